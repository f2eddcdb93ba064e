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
from fractions import Fraction
from typing import Any

from ..settings import Setting

Shape = tuple[int, ...]
Settings = dict[str, Any]

# Forward kinds: how a node's output is computed from its inputs.
MODULE = "module"  # out = self.<id>(x)
ADD = "add"  # out = a + b + ...
CONCAT = "concat"  # out = torch.cat([a, b, ...], dim=1)
MULTIPLY = "multiply"  # out = a * b, broadcast (squeeze-and-excitation gating)
SLICE = "slice"  # out = x[:, start:end], a range of channels (ShuffleNet's channel split)
SCALE = "scale"  # out = self.<id> * x, a learned tensor the block owns (ConvNeXt's layer scale)
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

    `kernel` is the effective extent (a dilated kernel spans d*(k-1) + 1 pixels), counted in
    the block's input pixels. `stride` is the input pixels per output step: a Fraction 1/S
    for a block that upsamples by S (a transposed convolution, Upsample), so receptive
    fields after one are exact fractions of pixels and shown rounded up.
    `tiles_exactly` is False where the block itself decides what happens to the rows that
    a stride leaves over (ceil mode, 'same' padding, upsampling), so no dropped-rows warning
    applies.
    """

    kernel: tuple[int, int]
    stride: tuple[int | Fraction, int | Fraction]
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
class OwnTensor:
    """A learned tensor that a block which is not a module owns, registered on the model as
    the parameter ``self.<id>`` (its state-dict key is the node id)."""

    shape: Callable[[Settings, Sequence[Shape]], Shape]  # from the settings and input shapes
    fill: Callable[[Settings], float]  # the value it starts at


@dataclass(frozen=True, slots=True)
class Merge:
    """How a block that is not a torch module computes its output (joining branches, reading
    a range of channels, scaling by its own tensor): the same expression in the in-app model
    (`run`, given the input tensors and the settings) and in exported code (`code`, given
    the names of the input variables and the settings). A block with a `parameter` gets it
    first: the tensor in `run`, its name ``self.<id>`` in `code`."""

    code: Callable[[Sequence[str], Settings], str]
    run: Callable[[Sequence[Any], Settings], Any]
    parameter: OwnTensor | None = None


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
    # the value torch gets, where it is not the setting as it stands (Upsample passes
    # align_corners=None, torch's default, for False: nearest mode refuses any other value)
    write: Callable[[Settings], Any] | None = None

    def value(self, settings: Settings, shapes: Sequence[Shape]) -> Any:
        if self.from_input is not None:
            return self.from_input(shapes)
        if self.write is not None:
            return self.write(settings)
        if self.setting is not None:
            return settings[self.setting]
        return self.fixed


@dataclass(frozen=True, slots=True)
class ChannelsLast:
    """The torch module that does a block's work on a channels-last tensor (N x H x W x C),
    as ConvNeXt writes a 1x1 convolution as ``nn.Linear`` after ``permute(0, 2, 3, 1)``.

    The importer turns such a module, met between ``permute(0, 2, 3, 1)`` and
    ``permute(0, 3, 1, 2)``, into this block; its weights keep their values and take the
    block's shapes (a Linear weight (out, in) becomes (out, in, 1, 1)).
    """

    module: str  # a torch.nn class name
    channels: Callable[[Any], Any]  # the channel count it was built for (compared with C)
    # the block's settings read from the module; None: read like the block's own module
    # (a subclass such as torchvision's LayerNorm2d has the same attributes)
    settings: Callable[[Any], Settings] | None = None


@dataclass(frozen=True, slots=True)
class TorchForm:
    """How torch spells a block: ``torch.nn.<module>(...)``, functional calls and tensor methods.

    `functions` are signatures such as
    ``"torch.nn.functional.max_pool2d(input, kernel_size, stride=None, padding=0)"``: the
    importer binds a traced call's arguments to these names and maps them through `args`.
    `methods` are tensor-method signatures the same way, ``"flatten(self, start_dim=0, end_dim=-1)"``.
    `settings_from_torch` adjusts imported settings where torch stores a derived value
    (a pooling module stores stride = kernel when none was given).
    `channels_last` names the module that does the same work on a channels-last tensor.
    """

    module: str  # a torch.nn class name, or a dotted path such as "torchvision.ops.StochasticDepth"
    args: tuple[Arg, ...] = ()
    functions: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()
    settings_from_torch: Callable[[Settings], Settings] | None = None
    channels_last: ChannelsLast | None = None

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


# Element types of the tensors a backward keeps besides its inputs and output.
VALUE = "value"  # the activations' dtype (4 bytes in float32)
INT64 = "int64"  # 8 bytes: max-pooling indices
MASK = "mask"  # dropout's keep mask: bool on CUDA (a fused kernel), the activations' dtype elsewhere


@dataclass(frozen=True, slots=True)
class Kept:
    """One tensor that a block's backward keeps besides its inputs and output."""

    elements: int  # per sample, or for the whole batch when `per_sample` is False
    dtype: str = VALUE
    per_sample: bool = True  # False: one tensor for the batch (BatchNorm's batch mean)


SettingsTest = Callable[[Settings], bool]


@dataclass(frozen=True, slots=True)
class Backward:
    """What autograd keeps of a block for the backward pass, as torch's kernels do in training.

    `builder.memory` counts these tensors once per storage, so a tensor that several blocks
    keep (a ReLU's output that the next convolution saves as its input) counts once. A flag
    is a bool or a test of the block's settings.

    saves_input: it keeps its input tensors (Conv2d and Linear for the weight gradient,
        GELU, MaxPool2d, BatchNorm); the network's input batch counts when the first
        block keeps it.
    saves_output: it keeps its output (ReLU, Sigmoid, Tanh, Softmax: their gradient needs
        only the result).
    extra(settings, input_shapes, output_shape): other tensors it keeps, such as max-pooling
        indices, BatchNorm's batch mean and inverse std, or dropout's mask.
    aliases_input: its output is its input's storage (a view such as Flatten, or the input
        itself such as Identity), so it costs nothing.
    """

    saves_input: bool | SettingsTest = False
    saves_output: bool = False
    extra: Callable[[Settings, Sequence[Shape], Shape], tuple[Kept, ...]] | None = None
    aliases_input: bool | SettingsTest = False


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
    torch: how torch spells it; None for Input and for the blocks that are an expression
        instead of a module (`merge`: Add, Concat, Multiply, Slice, LayerScale).
    fixes: names of the quick fixes in `builder.fixes` that apply to its errors.
    backward: what its backward pass keeps in memory (`Backward`); every block declares it.
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
    merge: Merge | None = None  # for blocks that are an expression instead of a module
    forward: str = MODULE
    min_inputs: int = 1
    max_inputs: int | None = 1
    input_rank: int | None = None  # 3 for image blocks, 1 for vector blocks, None for any
    shows_filters: bool = False  # its weights are image filters worth drawing
    outputs_probabilities: bool = False  # a final one is skipped by training, which uses scores
    fixes: tuple[str, ...] = field(default=())
    backward: Backward | None = None
    # it acts on each value (or each sample) alone, so it works the same on any memory
    # layout: the importer lets it run inside a channels-last section (ConvNeXt's GELU)
    elementwise: bool = False

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
