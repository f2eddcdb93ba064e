"""Import an ONNX file onto the canvas: the same blocks, the same refusals, the file's weights.

How: each ONNX node is translated into the torch call that computes the same thing, and the
resulting `torch.fx` graph goes to the torch importer (`import_graph_module`), so the catalog's
declarations (`TorchForm`: module classes, functional signatures, argument rules) decide
which block each call is, exactly as for a traced `nn.Module`. A node with weights becomes the
torch module that owns them (``Conv`` -> ``nn.Conv2d``, ``Gemm`` -> ``nn.Linear``,
``BatchNormalization`` -> ``nn.BatchNorm2d``) holding the initializers as its parameters;
a node without weights becomes a functional call (``MaxPool`` -> ``F.max_pool2d(x, kernel,
stride, padding, dilation, ceil_mode)``, ``Add`` -> ``operator.add``). The table below
therefore knows ONNX's semantics and torch's spelling, never ConvCanvas's block types: a
translated call that no block declares (``Clip(-1, 1)`` -> ``F.hardtanh``) is refused by the
catalog-driven importer, with the ONNX node's name. Adding a block type to the catalog needs
no change here unless ONNX spells it with an operator this table lacks.

Why not onnx2torch: it builds its own module classes (``OnnxGlobalAveragePoolWithKnownInputShape``,
...) that the catalog does not know, so every block would need a second declaration for it,
and it accepts whatever it can run, while ConvCanvas must refuse what its blocks cannot
represent exactly.

Exporters rewrite networks for inference, and the translation undoes their spellings where
the meaning is certain: Flatten written as ``Reshape`` to (batch, features) or ``Squeeze``;
Linear as ``Gemm`` or ``MatMul`` + ``Add``; global pooling as ``GlobalAveragePool`` or
``ReduceMean``/``ReduceMax`` over height and width; ReLU6 as ``Clip(0, 6)``; SiLU as
``x * Sigmoid(x)``; Mish as ``x * Tanh(Softplus(x))``; an adaptive pooling to the size it
already has as a 1x1 pooling. Shape arithmetic (``Shape``, ``Gather``, ``Concat`` on
constants, ...) is evaluated with onnx's reference evaluator and never becomes a block. What
an exporter removed stays removed: Dropout (nothing at inference) and a BatchNorm folded into
the Conv before it (which then has a bias) compute the same outputs with fewer blocks.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import fx, nn

from ..errors import ConvCanvasError
from .importer import ImportFailed, ImportResult, import_graph_module

__all__ = ["OnnxImportResult", "import_onnx", "load_onnx"]

_WHAT_TO_DO = (
    "rewrite that part of the model with supported layers and export it again, or import its "
    "PyTorch module instead (convcanvas import file.py:Class)"
)


@dataclass
class OnnxImportResult(ImportResult):
    """The imported graph and the file's weights under the graph's names (`state_dict`),
    ready for ``build_model(graph).load_state_dict(...)``. `module` is the torch translation
    the graph was read from; `weight_names` maps each graph key to its key there."""

    state_dict: dict[str, torch.Tensor] = field(default_factory=dict)
    module: nn.Module | None = None


def import_onnx(path: str | Path, name: str | None = None) -> OnnxImportResult:
    """Read an ONNX file as a ConvCanvas graph with its weights, or raise `ImportFailed`
    (a model that cannot be represented exactly, each problem naming its ONNX node) or
    `ConvCanvasError` (a file that is not a usable ONNX model)."""
    path = Path(path)
    model = load_onnx(path)
    name = name or path.stem
    translated = _Translator(model, path.name).run()
    producer = " ".join(p for p in (model.producer_name, model.producer_version) if p)
    description = f"Imported from {path.name}" + (f" ({producer})" if producer else "")
    result = import_graph_module(
        translated.module, translated.input_shape, name, description, translated.describe
    )
    state = result.state_dict_from(translated.module)
    return OnnxImportResult(result.graph, result.weight_names, state, translated.module)


def load_onnx(path: str | Path):
    """The checked `onnx.ModelProto` in `path`, its external weights loaded and local
    functions inlined; a `ConvCanvasError` of one line for anything else."""
    import onnx
    from google.protobuf.message import DecodeError  # type: ignore[import-untyped]
    from onnx import external_data_helper, inliner

    path = Path(path)
    data = path.read_bytes()
    not_onnx = (
        f"{path.name} is not an ONNX model; give a .onnx file written by an ONNX exporter "
        "(torch.onnx.export, convcanvas export --format onnx)"
    )
    try:
        model = onnx.load_model_from_string(data)
    except DecodeError:
        raise ConvCanvasError(not_onnx) from None
    if model.ir_version == 0 or not model.graph.node:
        raise ConvCanvasError(not_onnx)
    for tensor in external_data_helper._get_all_tensors(model):
        if external_data_helper.uses_external_data(tensor):
            location = next((e.value for e in tensor.external_data if e.key == "location"), "")
            if not (path.parent / location).is_file():
                raise ConvCanvasError(
                    f"{path.name} keeps its weights in '{location}', which is not in {path.parent}; "
                    f"put that file next to {path.name}"
                )
    external_data_helper.load_external_data_for_model(model, str(path.parent))
    try:
        onnx.checker.check_model(model)
    except onnx.checker.ValidationError as e:
        reason = str(e).strip().split("\n")[0]
        raise ConvCanvasError(f"{path.name} is not a valid ONNX model: {reason}") from None
    if model.functions:
        model = inliner.inline_local_functions(model)
    return model


class _Refused(ValueError):
    """A node that cannot be represented exactly; the message says why."""


@dataclass
class _Translated:
    module: fx.GraphModule
    input_shape: tuple[int, int, int]
    describe: Callable[[fx.Node], str]


Handler = Callable[["_Translator", Any], None]
_HANDLERS: dict[str, Handler] = {}


def _handles(*ops: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        for op in ops:
            _HANDLERS[op] = handler
        return handler

    return register


def _attributes(node) -> dict[str, Any]:
    from onnx import helper

    values = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    return {k: v.decode() if isinstance(v, bytes) else v for k, v in values.items()}


def _float(value: float) -> float:
    """An attribute stored as float32 (0.2 -> 0.20000000298) back to the number that was meant."""
    return float(f"{value:.7g}")


class _Translator:
    """Walks the ONNX graph once, in its (topological) order, building the fx graph and
    running each call on an example batch so that every tensor's shape is known."""

    def __init__(self, model, source: str) -> None:
        from onnx import numpy_helper

        self.model, self.source = model, source
        self.opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 1)
        self.constants: dict[str, np.ndarray] = {
            t.name: numpy_helper.to_array(t) for t in model.graph.initializer
        }
        self.values: dict[str, fx.Node] = {}  # ONNX tensor name -> fx node computing it
        self.examples: dict[fx.Node, torch.Tensor] = {}
        self.broken: set[str] = set()  # tensors downstream of a refused node
        self.graph = fx.Graph()
        self.modules: dict[str, nn.Module] = {}
        self.origin: dict[fx.Node, Any] = {}  # fx node -> the ONNX node it came from
        self.producer: dict[str, Any] = {out: n for n in model.graph.node for out in n.output}
        self.consumers: dict[str, list[Any]] = {}
        for n in model.graph.node:
            for name in n.input:
                self.consumers.setdefault(name, []).append(n)
        self.absorbed: dict[str, str] = {}  # node name -> the tensor that already computes it
        self.problems: list[str] = []
        self.unsupported = False

    # -- the walk ---------------------------------------------------------------------------

    def run(self) -> _Translated:
        input_shape = self._input()
        for node in self.model.graph.node:
            try:
                self._translate(node)
            except _Refused as e:
                self.problems.append(f"{self._where(node)}: {e}")
                self.broken.update(node.output)
        outputs = [o.name for o in self.model.graph.output]
        if len(outputs) != 1:
            self.problems.append(
                f"the model has {len(outputs)} outputs ({', '.join(outputs)}); a ConvCanvas network "
                "has one: export only the output you need"
            )
        elif outputs[0] not in self.broken:
            if outputs[0] not in self.values:
                self.problems.append(f"output '{outputs[0]}' does not depend on the input")
            else:
                self.graph.output(self.values[outputs[0]])
        if self.unsupported:
            self.problems.append(
                f"the operators that import are {', '.join(sorted(_HANDLERS))}; {_WHAT_TO_DO}"
            )
        if self.problems:
            raise ImportFailed(self.source, self.problems)
        module = fx.GraphModule(self.modules, self.graph)
        module.graph.eliminate_dead_code()  # the halves of fused patterns (x * sigmoid(x))
        module.delete_all_unused_submodules()
        module.recompile()
        return _Translated(module, input_shape, self._describe)

    def _input(self) -> tuple[int, int, int]:
        initializers = {t.name for t in self.model.graph.initializer}
        inputs = [i for i in self.model.graph.input if i.name not in initializers]
        if len(inputs) != 1:
            names = ", ".join(i.name for i in inputs)
            raise ImportFailed(
                self.source, [f"the model takes {len(inputs)} inputs ({names}); ConvCanvas networks take one"]
            )
        given = inputs[0]
        dims = [
            d.dim_value if d.HasField("dim_value") else (d.dim_param or "?")
            for d in given.type.tensor_type.shape.dim
        ]
        where = f"input '{given.name}'"
        if len(dims) != 4:
            raise ImportFailed(
                self.source, [f"{where} has shape {dims}; ConvCanvas networks take batch x C x H x W images"]
            )
        dynamic = [
            f"{axis} ({dims[i]!r})"
            for i, axis in enumerate(("channels", "height", "width"), 1)
            if not isinstance(dims[i], int)
        ]
        if dynamic:
            raise ImportFailed(
                self.source,
                [
                    f"{where} has a dynamic {' and '.join(dynamic)}; only the batch size may vary: export it "
                    "with a fixed C x H x W (a dynamic axis for the batch only)"
                ],
            )
        if given.type.tensor_type.elem_type not in (1, 10, 11):  # float, float16, double
            raise ImportFailed(self.source, [f"{where} is not a floating-point tensor"])
        batch = dims[0] if isinstance(dims[0], int) and dims[0] > 0 else 2
        shape = (int(dims[1]), int(dims[2]), int(dims[3]))
        placeholder = self.graph.placeholder("input")
        self.values[given.name] = placeholder
        self.examples[placeholder] = torch.randn(batch, *shape)
        return shape

    def _translate(self, node) -> None:
        if any(name in self.broken for name in node.input):
            self.broken.update(node.output)  # already reported upstream
            return
        if node.name in self.absorbed:  # computed by the node that fused it (MatMul + Add)
            self.values[node.output[0]] = self.values[self.absorbed[node.name]]
            return
        if node.domain not in ("", "ai.onnx"):
            self.unsupported = True
            raise _Refused(f"operator from domain '{node.domain}' has no ConvCanvas block")
        if not any(name in self.values for name in node.input):
            self._fold(node)  # constants and shape arithmetic: evaluated now, never a block
            return
        if node.op_type == "Shape":  # of a network tensor: known from the example batch
            attrs = _attributes(node)
            shape = np.array(self.example(node).shape, dtype=np.int64)
            self.constants[node.output[0]] = shape[attrs.get("start", 0) : attrs.get("end", len(shape))]
            return
        if node.op_type == "CastLike" and node.input[0] in self.constants:  # a constant as float32
            self.constants[node.output[0]] = self.constants[node.input[0]].astype(np.float32)
            return
        handler = _HANDLERS.get(node.op_type)
        if handler is None:
            self.unsupported = True
            raise _Refused(f"no ConvCanvas block computes {node.op_type}")
        handler(self, node)

    def _fold(self, node) -> None:
        from onnx.reference import ReferenceEvaluator

        feeds = {name: self.constants[name] for name in node.input if name}
        try:
            outputs = ReferenceEvaluator(node, opsets={"": self.opset}).run(None, feeds)
        except Exception as e:  # the reference evaluator raises many kinds; report which
            raise _Refused(f"cannot evaluate this constant ({type(e).__name__}: {e})") from None
        for name, value in zip(node.output, outputs, strict=False):
            self.constants[name] = np.asarray(value)

    # -- what handlers use ------------------------------------------------------------------

    def _where(self, node) -> str:
        return f"ONNX node '{node.name or node.output[0]}' ({node.op_type})"

    def _describe(self, fx_node: fx.Node) -> str:
        node = self.origin.get(fx_node)
        return self._where(node) if node is not None else f"graph input ({fx_node.name})"

    def data(self, node, index: int = 0) -> fx.Node:
        name = node.input[index]
        if name not in self.values:
            raise _Refused(f"input '{name}' is a constant; ConvCanvas blocks take the network's tensors")
        return self.values[name]

    def example(self, node, index: int = 0) -> torch.Tensor:
        return self.examples[self.data(node, index)]

    def constant(self, node, index: int, what: str) -> np.ndarray | None:
        if index >= len(node.input) or not node.input[index]:
            return None
        name = node.input[index]
        if name not in self.constants:
            raise _Refused(f"its {what} ('{name}') is computed from the data; it must be a constant")
        return self.constants[name]

    def tensor(self, node, index: int, what: str) -> torch.Tensor | None:
        value = self.constant(node, index, what)
        return None if value is None else torch.from_numpy(np.array(value, dtype=np.float32))

    def call(self, node, target: Callable, *args: Any, output: int = 0, **kwargs: Any) -> fx.Node:
        """Add ``target(*args, **kwargs)`` for `node`, run it on the examples, and make it the
        value of the node's output (the last call of a node wins)."""
        fx_node = self.graph.call_function(target, args, kwargs)
        self._record(node, fx_node, target(*self._examples_of(args), **kwargs), output)
        return fx_node

    def call_module(self, node, module: nn.Module, x: fx.Node, weight: str) -> fx.Node:
        target = self._module_name(node, weight)
        self.modules[target] = module.eval()
        fx_node = self.graph.call_module(target, (x,))
        with torch.no_grad():
            self._record(node, fx_node, module(self.examples[x]), 0)
        return fx_node

    def alias(self, node, source: fx.Node) -> None:
        self.values[node.output[0]] = source

    def _record(self, node, fx_node: fx.Node, example: torch.Tensor, output: int) -> None:
        self.examples[fx_node] = example
        self.origin[fx_node] = node
        self.values[node.output[output]] = fx_node

    def _examples_of(self, args: tuple) -> tuple:
        def example(a: Any) -> Any:
            if isinstance(a, fx.Node):
                return self.examples[a]
            if isinstance(a, list):
                return [example(x) for x in a]
            return a

        return tuple(example(a) for a in args)

    def _module_name(self, node, weight: str) -> str:
        """The module path the weights came from (``layer1.0.conv1``), read from the weight's
        name (torch's dynamo exporter) or the node's scope (``/layer1/layer1.0/conv1/Conv``,
        its TorchScript exporter), so that imported ids read like the original's."""
        path = weight[: -len(".weight")] if weight.endswith(".weight") and "::" not in weight else ""
        if not path and node.name.startswith("/"):
            scopes: list[str] = []  # a scope that extends the one before names the same child deeper
            for scope in node.name.strip("/").split("/")[:-1]:
                if scopes and scope.startswith(f"{scopes[-1]}."):
                    scopes[-1] = scope
                else:
                    scopes.append(scope)
            path = ".".join(scopes)
        parts = [re.sub(r"\W", "_", p) for p in path.split(".") if p]
        name = ".".join(parts) or node.op_type.lower()
        candidate, k = name, 1

        def taken(c: str) -> bool:  # as a module, the parent of one, or the child of one
            return any(m == c or m.startswith(f"{c}.") or c.startswith(f"{m}.") for m in self.modules)

        while taken(candidate):
            k += 1
            candidate = f"{name}_{k}"
        return candidate


# -- the translation table: ONNX semantics, torch spelling ------------------------------------


def _pads(t: _Translator, node, attrs: dict, kernel: tuple[int, ...], strides, dilations) -> tuple:
    """(pad_h, pad_w) of a conv or pooling node, refusing padding that is not the same on both sides."""
    auto = attrs.get("auto_pad", "NOTSET")
    if auto == "VALID":
        return (0, 0)
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        size = t.example(node).shape[2:]
        totals = [
            max((math.ceil(n / s) - 1) * s + (k - 1) * d + 1 - n, 0)
            for n, k, s, d in zip(size, kernel, strides, dilations, strict=True)
        ]
        begin = [(p // 2 if auto == "SAME_UPPER" else p - p // 2) for p in totals]
        pads = [*begin, *(p - b for p, b in zip(totals, begin, strict=True))]
    else:
        pads = list(attrs.get("pads", [0] * 2 * len(kernel)))
    half = len(pads) // 2
    if pads[:half] != pads[half:]:
        raise _Refused(
            f"pads {pads} are not the same on both sides (begin {pads[:half]}, end {pads[half:]}); "
            "ConvCanvas pads each side equally: use an odd kernel with padding (k-1)/2, or pad the "
            "input to an even size first"
        )
    return tuple(pads[:half])


def _window(t: _Translator, node, kernel: tuple[int, ...]) -> tuple[tuple, tuple, tuple]:
    if len(kernel) != 2:
        raise _Refused(f"a {len(kernel)}-D window; ConvCanvas blocks slide over height and width")
    attrs = _attributes(node)
    strides = tuple(attrs.get("strides", [1, 1]))
    dilations = tuple(attrs.get("dilations", [1, 1]))
    return strides, dilations, _pads(t, node, attrs, kernel, strides, dilations)


@_handles("Conv")
def _conv(t: _Translator, node) -> None:
    x = t.data(node)
    weight, bias = t.tensor(node, 1, "weight"), t.tensor(node, 2, "bias")
    assert weight is not None  # the checker requires it
    kernel = tuple(weight.shape[2:])
    strides, dilations, padding = _window(t, node, kernel)
    groups = _attributes(node).get("group", 1)
    conv = nn.Conv2d(
        weight.shape[1] * groups,
        weight.shape[0],
        (kernel[0], kernel[1]),
        strides,
        padding,
        dilations,
        groups,
        bias=bias is not None,
    )
    _load(conv, weight, bias)
    t.call_module(node, conv, x, node.input[1])


def _load(module: nn.Conv2d | nn.Linear, weight: torch.Tensor, bias: torch.Tensor | None) -> None:
    with torch.no_grad():
        module.weight.copy_(weight)
        if module.bias is not None and bias is not None:
            module.bias.copy_(bias.reshape(module.bias.shape))


def _linear(t: _Translator, node, x: fx.Node, weight: torch.Tensor, bias: torch.Tensor | None) -> None:
    """``x @ weight.T + bias`` as nn.Linear; `weight` is (out, in)."""
    if t.examples[x].dim() != 2:
        raise _Refused(
            f"a matrix product over a {t.examples[x].dim()}-D tensor; Linear takes (batch, features)"
        )
    out_features, in_features = weight.shape
    if bias is not None and bias.numel() != out_features:
        raise _Refused(f"its bias has {bias.numel()} values for {out_features} outputs")
    linear = nn.Linear(in_features, out_features, bias=bias is not None)
    _load(linear, weight, bias)
    t.call_module(node, linear, x, node.input[1])


@_handles("Gemm")
def _gemm(t: _Translator, node) -> None:
    attrs = _attributes(node)
    if attrs.get("transA", 0) or _float(attrs.get("alpha", 1.0)) != 1 or _float(attrs.get("beta", 1.0)) != 1:
        raise _Refused(f"Gemm with {attrs} (Linear is Gemm with alpha=1, beta=1, transA=0)")
    weight = t.tensor(node, 1, "weight")
    assert weight is not None
    _linear(t, node, t.data(node), weight if attrs.get("transB", 0) else weight.T, t.tensor(node, 2, "bias"))


@_handles("MatMul")
def _matmul(t: _Translator, node) -> None:
    weight = t.tensor(node, 1, "weight matrix")
    if weight is None or weight.dim() != 2:
        raise _Refused("only a product with a constant 2-D matrix (a Linear layer) is supported")
    bias, users = None, t.consumers.get(node.output[0], [])
    if len(users) == 1 and users[0].op_type == "Add":  # MatMul + Add is Linear with a bias
        add = users[0]
        other = add.input[1] if add.input[0] == node.output[0] else add.input[0]
        if other in t.constants and t.constants[other].size == weight.shape[1]:
            bias = torch.from_numpy(np.array(t.constants[other], dtype=np.float32)).flatten()
            t.absorbed[add.name] = node.output[0]
    _linear(t, node, t.data(node), weight.T, bias)


@_handles("BatchNormalization")
def _batch_norm(t: _Translator, node) -> None:
    x = t.data(node)
    if len([o for o in node.output if o]) > 1 or _attributes(node).get("training_mode", 0):
        raise _Refused("BatchNormalization in training mode; export the model in eval mode")
    scale, shift = t.tensor(node, 1, "scale"), t.tensor(node, 2, "bias")
    mean, var = t.tensor(node, 3, "mean"), t.tensor(node, 4, "variance")
    attrs = _attributes(node)
    rank = t.examples[x].dim()
    norm_class = {4: nn.BatchNorm2d, 2: nn.BatchNorm1d}.get(rank)
    if norm_class is None:
        raise _Refused(f"BatchNormalization of a {rank}-D tensor (only images or flat vectors)")
    assert scale is not None and shift is not None and mean is not None and var is not None
    norm = norm_class(
        scale.numel(),
        eps=_float(attrs.get("epsilon", 1e-5)),
        momentum=float(f"{1 - attrs.get('momentum', 0.9):.6g}"),  # ONNX keeps 1 - torch's
    )
    with torch.no_grad():
        norm.weight.copy_(scale)
        norm.bias.copy_(shift)
        assert norm.running_mean is not None and norm.running_var is not None
        norm.running_mean.copy_(mean)
        norm.running_var.copy_(var)
    t.call_module(node, norm, x, node.input[1])


def _pool_window(t: _Translator, node) -> tuple[tuple, tuple, tuple, tuple, bool] | None:
    """kernel, stride, dilation, padding, ceil_mode; None for a 1x1 window that changes nothing."""
    attrs = _attributes(node)
    kernel = tuple(attrs["kernel_shape"])
    strides, dilations, padding = _window(t, node, kernel)
    if kernel == (1, 1) and strides == (1, 1) and padding == (0, 0):
        return None
    return kernel, strides, dilations, padding, bool(attrs.get("ceil_mode", 0))


@_handles("MaxPool")
def _max_pool(t: _Translator, node) -> None:
    x = t.data(node)
    if len(node.output) > 1 and node.output[1] and t.consumers.get(node.output[1]):
        raise _Refused("its indices output is used; ConvCanvas's MaxPool2d returns values only")
    window = _pool_window(t, node)
    if window is None:  # how exporters write an adaptive pooling to the size it already has
        t.call(node, F.adaptive_max_pool2d, x, tuple(t.examples[x].shape[2:]))
        return
    kernel, stride, dilation, padding, ceil_mode = window
    t.call(node, F.max_pool2d, x, kernel, stride, padding, dilation, ceil_mode)


@_handles("AveragePool")
def _average_pool(t: _Translator, node) -> None:
    x = t.data(node)
    window = _pool_window(t, node)
    if window is None:
        t.call(node, F.adaptive_avg_pool2d, x, tuple(t.examples[x].shape[2:]))
        return
    kernel, stride, dilation, padding, ceil_mode = window
    if dilation != (1, 1):
        raise _Refused(f"dilations {list(dilation)}; average pooling has no dilation")
    include = bool(_attributes(node).get("count_include_pad", 0))
    t.call(node, F.avg_pool2d, x, kernel, stride, padding, ceil_mode, include)


@_handles("GlobalAveragePool", "GlobalMaxPool")
def _global_pool(t: _Translator, node) -> None:
    pool = F.adaptive_avg_pool2d if node.op_type == "GlobalAveragePool" else F.adaptive_max_pool2d
    t.call(node, pool, t.data(node), 1)


@_handles("ReduceMean", "ReduceMax")
def _reduce(t: _Translator, node) -> None:
    """A mean or maximum over height and width: global pooling (then a flatten without keepdims)."""
    x = t.data(node)
    attrs = _attributes(node)
    axes = attrs.get("axes")
    if axes is None:
        given = t.constant(node, 1, "axes")
        axes = None if given is None else given.tolist()
    rank = t.examples[x].dim()
    if axes is None or rank != 4 or sorted(a % rank for a in axes) != [2, 3]:
        raise _Refused(
            f"{node.op_type} over axes {axes} (only over height and width, axes [2, 3], global pooling)"
        )
    pooled = t.call(
        node, F.adaptive_avg_pool2d if node.op_type == "ReduceMean" else F.adaptive_max_pool2d, x, 1
    )
    if not attrs.get("keepdims", 1):
        t.call(node, torch.flatten, pooled, 1)


def _as_flatten(t: _Translator, node, x: fx.Node, shape: tuple[int, ...]) -> None:
    """A reshape that keeps the batch and joins the rest is Flatten; one that changes nothing is dropped."""
    before = tuple(t.examples[x].shape)
    if shape == before:
        t.alias(node, x)
    elif shape == (before[0], math.prod(before[1:])):
        t.call(node, torch.flatten, x, 1)
    else:
        raise _Refused(
            f"reshapes {list(before[1:])} to {list(shape[1:])} per sample; only flattening to "
            "(batch, features) has a block"
        )


@_handles("Flatten")
def _flatten(t: _Translator, node) -> None:
    x = t.data(node)
    axis = _attributes(node).get("axis", 1)
    before = tuple(t.examples[x].shape)
    if axis % len(before) != 1:
        raise _Refused(f"Flatten from axis {axis} (only axis 1, keeping the batch)")
    _as_flatten(t, node, x, (before[0], math.prod(before[1:])))


@_handles("Reshape")
def _reshape(t: _Translator, node) -> None:
    x = t.data(node)
    target = t.constant(node, 1, "shape")
    assert target is not None
    before = tuple(t.examples[x].shape)
    allow_zero = _attributes(node).get("allowzero", 0)
    dims = [before[i] if d == 0 and not allow_zero else int(d) for i, d in enumerate(target.tolist())]
    try:
        shape = tuple(t.examples[x].reshape(dims).shape)
    except RuntimeError as e:
        raise _Refused(f"cannot reshape {list(before)} to {dims}: {e}") from None
    _as_flatten(t, node, x, shape)


@_handles("Squeeze")
def _squeeze(t: _Translator, node) -> None:
    x = t.data(node)
    axes = _attributes(node).get("axes")
    if axes is None:
        given = t.constant(node, 1, "axes")
        axes = None if given is None else given.tolist()
    example = t.examples[x]
    shape = tuple(example.squeeze(tuple(axes)).shape if axes is not None else example.squeeze().shape)
    if axes is None and example.shape[0] == 1:
        raise _Refused("Squeeze without axes would also drop a batch of 1; give the axes")
    _as_flatten(t, node, x, shape)


@_handles("Cast", "CastLike")
def _cast(t: _Translator, node) -> None:
    """A cast of a network tensor to float32, which it already is, changes nothing."""
    x = t.data(node)
    to = _attributes(node).get("to") if node.op_type == "Cast" else t.values.get(node.input[1])
    if to not in (1, x) and not (node.op_type == "CastLike" and node.input[1] in t.values):
        raise _Refused("a cast to a type other than float32; ConvCanvas networks compute in float32")
    t.alias(node, x)


@_handles("Identity", "Dropout")
def _identity(t: _Translator, node) -> None:
    training = node.input[2] if node.op_type == "Dropout" and len(node.input) > 2 else ""
    if training in t.constants and bool(t.constants[training]):
        raise _Refused("Dropout in training mode; export the model in eval mode")
    t.alias(node, t.data(node))


def _two_tensors(t: _Translator, node, combine: str) -> tuple[fx.Node, fx.Node]:
    if len(node.input) != 2 or any(name not in t.values for name in node.input):
        raise _Refused(
            f"{combine} with a constant; ConvCanvas's {node.op_type} joins two branches of the network "
            "(a constant bias or scale belongs to the layer before it)"
        )
    return t.values[node.input[0]], t.values[node.input[1]]


@_handles("Add", "Sum")
def _add(t: _Translator, node) -> None:
    a, b = _two_tensors(t, node, "adds")
    t.call(node, operator.add, a, b)


def _made_by(t: _Translator, name: str, op: str):
    node = t.producer.get(name)
    return node if node is not None and node.op_type == op else None


@_handles("Mul")
def _mul(t: _Translator, node) -> None:
    a, b = _two_tensors(t, node, "multiplies")
    for x_name, gate_name in (node.input, reversed(node.input)):
        gate = _made_by(t, gate_name, "Sigmoid")
        if gate is not None and gate.input[0] == x_name:  # x * sigmoid(x)
            t.call(node, F.silu, t.values[x_name])
            return
        tanh = _made_by(t, gate_name, "Tanh")
        softplus = tanh and _made_by(t, tanh.input[0], "Softplus")
        if softplus is not None and softplus.input[0] == x_name:  # x * tanh(softplus(x))
            t.call(node, F.mish, t.values[x_name])
            return
    t.call(node, operator.mul, a, b)


@_handles("Concat")
def _concat(t: _Translator, node) -> None:
    if any(name not in t.values for name in node.input):
        raise _Refused("joins a constant tensor; Concat joins branches of the network")
    t.call(node, torch.cat, [t.values[name] for name in node.input], _attributes(node)["axis"])


_POINTWISE: dict[str, Callable] = {
    "Relu": torch.relu,
    "Sigmoid": torch.sigmoid,
    "Tanh": torch.tanh,
    "HardSwish": F.hardswish,
    "Mish": F.mish,
    "Softplus": F.softplus,
}


@_handles(*_POINTWISE)
def _pointwise(t: _Translator, node) -> None:
    t.call(node, _POINTWISE[node.op_type], t.data(node))


@_handles("Clip")
def _clip(t: _Translator, node) -> None:
    x = t.data(node)
    attrs = _attributes(node)
    low, high = attrs.get("min"), attrs.get("max")  # attributes before opset 11, inputs since
    given_low, given_high = t.constant(node, 1, "minimum"), t.constant(node, 2, "maximum")
    low = low if given_low is None else float(given_low)
    high = high if given_high is None else float(given_high)
    if low == 0 and high == 6:
        t.call(node, F.relu6, x)
    elif low == 0 and (high is None or math.isinf(high)):
        t.call(node, torch.relu, x)
    else:  # the faithful call; the catalog refuses it unless a block declares hardtanh
        t.call(node, F.hardtanh, x, -math.inf if low is None else low, math.inf if high is None else high)


@_handles("HardSigmoid")
def _hard_sigmoid(t: _Translator, node) -> None:
    attrs = _attributes(node)
    alpha, beta = attrs.get("alpha", 0.2), attrs.get("beta", 0.5)
    if not (math.isclose(alpha, 1 / 6, rel_tol=1e-6) and math.isclose(beta, 0.5)):
        raise _Refused(
            f"HardSigmoid with alpha={alpha:.6g}, beta={beta:.6g} (torch's is alpha=1/6, beta=0.5)"
        )
    t.call(node, F.hardsigmoid, t.data(node))


@_handles("LeakyRelu")
def _leaky_relu(t: _Translator, node) -> None:
    t.call(node, F.leaky_relu, t.data(node), _float(_attributes(node).get("alpha", 0.01)))


@_handles("Elu")
def _elu(t: _Translator, node) -> None:
    t.call(node, F.elu, t.data(node), _float(_attributes(node).get("alpha", 1.0)))


@_handles("Gelu")
def _gelu(t: _Translator, node) -> None:
    t.call(node, F.gelu, t.data(node), approximate=_attributes(node).get("approximate", "none"))


@_handles("Softmax")
def _softmax(t: _Translator, node) -> None:
    x = t.data(node)
    rank = t.examples[x].dim()
    axis = _attributes(node).get("axis", -1 if t.opset >= 13 else 1)
    if t.opset < 13 and rank != 2:
        raise _Refused(f"Softmax of opset {t.opset} over a {rank}-D tensor (it flattens first)")
    t.call(node, F.softmax, x, axis % rank)


@_handles("LRN")
def _lrn(t: _Translator, node) -> None:
    attrs = _attributes(node)
    t.call(
        node,
        F.local_response_norm,
        t.data(node),
        attrs["size"],
        _float(attrs.get("alpha", 1e-4)),
        _float(attrs.get("beta", 0.75)),
        _float(attrs.get("bias", 1.0)),
    )
