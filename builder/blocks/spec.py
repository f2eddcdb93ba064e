"""How a block type is declared: `LayerSpec` and the small records it is made of.

A `LayerSpec` says everything ConvCanvas knows about one block type: its settings, its one
arithmetic rule (`analyze`: shape, counts, MACs and sliding window together), how torch
spells it (`TorchForm`: the constructor, the functional calls and tensor methods, and how
each torch argument maps to a setting), its card text, its category, and which quick fixes
apply. Inference, the palette, cards, the inspector, the model builder, the code exporter and
the importer all read these declarations and nothing else.

Nothing here imports torch: torch classes and functions are named by their dotted path and
resolved only by the code that builds or imports modules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..settings import Setting

Shape = tuple[int, ...]
Settings = dict[str, Any]

# Forward kinds: how a node's output is computed from its inputs.
MODULE = "module"  # out = self.<id>(x)
ADD = "add"  # out = a + b + ...
CONCAT = "concat"  # out = torch.cat([a, b, ...], dim=1)
MULTIPLY = "multiply"  # out = a * b, broadcast (squeeze-and-excitation gating)
INPUT = "input"


@dataclass(frozen=True, slots=True)
class Category:
    """A palette group: its title and the colour its blocks wear on the canvas."""

    name: str
    title: str
    colour: str  # "#rrggbb"


# Window and Analysis are made for every node on every edit: plain (not frozen) slotted
# classes construct several times faster than frozen ones.
@dataclass(slots=True)
class Window:
    """The sliding window of a conv or pooling block, for receptive-field tracking.

    `kernel` is the effective extent (a dilated kernel spans d*(k-1) + 1 pixels).
    `tiles_exactly` is False where the block itself decides what happens to the rows that
    a stride leaves over (ceil mode, 'same' padding), so no dropped-rows warning applies.
    """

    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    tiles_exactly: bool = True


GLOBAL = "global"  # a block whose output sees the whole input (Linear, Flatten, adaptive pooling)


@dataclass(slots=True)
class Analysis:
    """What one block does to its inputs: output shape and per-sample counts.

    Blocks on the hot path build it with positional arguments, in this order.
    """

    shape: Shape
    learnable: int = 0  # parameters that gradients can update
    buffers: int = 0  # state that is not learned, e.g. BatchNorm running statistics
    macs: int = 0  # multiply-accumulates per sample
    window: Window | str | None = None  # None: point-wise; GLOBAL: sees everything


@dataclass(frozen=True, slots=True)
class Merge:
    """How a block that joins branches computes its output: the same expression in the
    in-app model (`run`, given the input tensors) and in exported code (`code`, given the
    names of the input variables)."""

    code: Callable[[Sequence[str]], str]
    run: Callable[[Sequence[Any]], Any]


REQUIRED: Any = type("Required", (), {"__repr__": lambda self: "<required>"})()


@dataclass(frozen=True, slots=True)
class Arg:
    """One argument of a torch constructor or functional call.

    An argument carries a block setting (`setting`), comes from the input shape
    (`from_input`, e.g. ``in_channels``), or is `fixed` at one value that ConvCanvas always
    uses (the importer accepts that value and those in `accepts`, and refuses any other).
    `ignored` arguments (``inplace``) make no difference to the result. `default` is torch's
    default: generated code leaves out an argument equal to it.
    """

    name: str
    setting: str | None = None
    default: Any = REQUIRED
    from_input: Callable[[Sequence[Shape]], Any] | None = None
    fixed: Any = REQUIRED
    accepts: tuple[Any, ...] = ()
    ignored: bool = False
    read: Callable[[Any], Any] | None = None  # reads it back from a module; default: attribute

    def value(self, settings: Settings, shapes: Sequence[Shape]) -> Any:
        if self.from_input is not None:
            return self.from_input(shapes)
        if self.setting is not None:
            return settings[self.setting]
        return self.fixed


@dataclass(frozen=True, slots=True)
class TorchForm:
    """How torch spells a block: ``torch.nn.<module>(...)``, functional calls and tensor methods.

    `functions` are signatures such as
    ``"torch.nn.functional.max_pool2d(input, kernel_size, stride=None, padding=0)"``: the
    importer binds a traced call's arguments to these names and maps them through `args`.
    `methods` are tensor-method signatures the same way, ``"flatten(self, start_dim=0, end_dim=-1)"``.
    `settings_from_torch` adjusts imported settings where torch stores a derived value
    (a pooling module stores stride = kernel when none was given).
    """

    module: str  # a torch.nn class name, or a dotted path such as "torchvision.ops.StochasticDepth"
    args: tuple[Arg, ...] = ()
    functions: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()
    settings_from_torch: Callable[[Settings], Settings] | None = None

    def call(self, settings: Settings, shapes: Sequence[Shape]) -> tuple[list[Any], dict[str, Any]]:
        """Positional and keyword arguments for the constructor, in the order torch lists them.

        Arguments without a default are positional; the others are keywords, left out when
        they equal torch's default so that generated code reads like hand-written code.
        """
        positional: list[Any] = []
        keywords: dict[str, Any] = {}
        for arg in self.args:
            if arg.ignored:
                continue
            value = arg.value(settings, shapes)
            if arg.default is REQUIRED:
                positional.append(value)
            elif value != arg.default:
                keywords[arg.name] = value
        return positional, keywords

    @property
    def import_line(self) -> str | None:
        """The import exported code needs for a class outside torch.nn, e.g.
        ``from torchvision.ops import StochasticDepth``."""
        package, _, name = self.module.rpartition(".")
        return f"from {package} import {name}" if package else None

    def module_class(self) -> Any:
        import importlib

        package, _, name = self.module.rpartition(".")
        return getattr(importlib.import_module(package or "torch.nn"), name)

    def code(self, settings: Settings, shapes: Sequence[Shape]) -> str:
        positional, keywords = self.call(settings, shapes)
        parts = [repr(a) for a in positional] + [f"{k}={v!r}" for k, v in keywords.items()]
        package, _, name = self.module.rpartition(".")
        return f"{name if package else 'nn.' + name}({', '.join(parts)})"


def _no_explanation(settings: Settings, shapes: Sequence[Shape], result: Analysis) -> list[str]:
    return []


@dataclass(frozen=True, slots=True)
class LayerSpec:
    """Declaration of one block type.

    analyze(settings, input_shapes) -> Analysis, raising ShapeError with the numbers that
        broke a rule. This is the block's only arithmetic: inference runs it, the torch
        oracle tests check it, and `explain` receives its result.
    explain(settings, input_shapes, analysis) -> lines of arithmetic with the numbers.
    card(settings) -> the settings line of the block's card, e.g. '5x5, 6, s1, p2'.
    torch: how torch spells it; None for Input, Add and Concat, which are not modules.
    fixes: names of the quick fixes in `builder.fixes` that apply to its errors.
    """

    type: str
    category: str
    prefix: str  # node ids are prefix1, prefix2, ...
    description: str
    analyze: Callable[[Settings, Sequence[Shape]], Analysis]
    card: Callable[[Settings], str]
    settings: tuple[Setting, ...] = ()
    explain: Callable[[Settings, Sequence[Shape], Analysis], list[str]] = _no_explanation
    torch: TorchForm | None = None
    merge: Merge | None = None  # for blocks that join branches instead of being a module
    forward: str = MODULE
    min_inputs: int = 1
    max_inputs: int | None = 1
    input_rank: int | None = None  # 3 for image blocks, 1 for vector blocks, None for any
    shows_filters: bool = False  # its weights are image filters worth drawing
    outputs_probabilities: bool = False  # a final one is skipped by training, which uses scores
    fixes: tuple[str, ...] = field(default=())

    def setting(self, name: str) -> Setting:
        for s in self.settings:
            if s.name == name:
                return s
        raise KeyError(f"{self.type} has no setting {name!r}")

    def defaults(self) -> Settings:
        return {s.name: s.default for s in self.settings}

    def infer(self, settings: Settings, shapes: Sequence[Shape]) -> Shape:
        """The output shape alone (a view of `analyze`)."""
        return self.analyze(settings, shapes).shape

    def card_text(self, settings: Settings) -> str:
        return self.card(settings)

    def build_module(self, settings: Settings, shapes: Sequence[Shape]):
        """The torch module for this block, from the same arguments as its generated code."""
        if self.torch is None:
            raise TypeError(f"{self.type} is not a torch module")
        positional, keywords = self.torch.call(settings, shapes)
        return self.torch.module_class()(*positional, **keywords)

    def torch_code(self, settings: Settings, shapes: Sequence[Shape]) -> str:
        if self.torch is None:
            raise TypeError(f"{self.type} is not a torch module")
        return self.torch.code(settings, shapes)
