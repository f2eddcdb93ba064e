"""Import an existing `nn.Module` onto the canvas by tracing it with torch.fx.

Modules and functions map to catalog blocks; anything that does not map is reported by
name and location (`ImportFailed.problems`) rather than dropped. Node ids come from the
module paths (``layer1.0.conv1`` -> ``layer1_0_conv1``), so a ConvCanvas export imports
back to the same ids, and `weight_names` maps each new state-dict key to the original.
"""

from __future__ import annotations

import importlib
import importlib.util
import operator
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import fx, nn

from ..errors import ConvCanvasError
from ..graph import Graph, is_valid_id
from ..inference import infer
from ..layout import apply_layout


class ImportFailed(ConvCanvasError):
    def __init__(self, source: str, problems: list[str]):
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(
            f"cannot import {source}: {len(problems)} part(s) have no ConvCanvas block:\n{lines}"
        )


@dataclass
class ImportResult:
    graph: Graph
    weight_names: dict[str, str] = field(default_factory=dict)  # graph key -> module key

    def state_dict_from(self, module: nn.Module) -> dict[str, torch.Tensor]:
        """The module's weights under the imported graph's names."""
        original = module.state_dict()
        return {new: original[old] for new, old in self.weight_names.items()}


def _pair_or_int(v):
    if isinstance(v, tuple | list):
        return v[0] if len(v) == 2 and v[0] == v[1] else tuple(v)
    return v


def _conv(m: nn.Conv2d):
    if m.padding_mode != "zeros":
        raise ValueError(f"padding_mode={m.padding_mode!r} (only zero padding is supported)")
    padding = m.padding if isinstance(m.padding, str) else _pair_or_int(m.padding)
    return "Conv2d", {
        "out_channels": m.out_channels,
        "kernel_size": _pair_or_int(m.kernel_size),
        "stride": _pair_or_int(m.stride),
        "padding": padding,
        "dilation": _pair_or_int(m.dilation),
        "groups": m.groups,
        "bias": m.bias is not None,
    }


def _pool(block_type: str):
    def convert(m):
        if getattr(m, "dilation", 1) not in (1, (1, 1)):
            raise ValueError("dilated pooling")
        if getattr(m, "return_indices", False):
            raise ValueError("return_indices=True")
        if getattr(m, "divisor_override", None):
            raise ValueError("divisor_override")
        params = {
            "kernel_size": _pair_or_int(m.kernel_size),
            "stride": _pair_or_int(m.stride) if m.stride is not None else None,
            "padding": _pair_or_int(m.padding),
            "ceil_mode": m.ceil_mode,
        }
        if params["stride"] == params["kernel_size"]:
            params["stride"] = None
        if block_type == "AvgPool2d":
            params["count_include_pad"] = m.count_include_pad
        return block_type, params

    return convert


def _adaptive(block_type: str):
    def convert(m):
        size = m.output_size
        if size is None or (isinstance(size, tuple) and None in size):
            raise ValueError("output_size with None")
        return block_type, {"output_size": _pair_or_int(size)}

    return convert


def _bn(block_type: str):
    def convert(m):
        if not m.track_running_stats or m.momentum is None:
            raise ValueError("batch norm without running statistics")
        return block_type, {"eps": m.eps, "momentum": m.momentum, "affine": m.affine}

    return convert


def _softmax(m):
    if m.dim not in (1, -1, None):
        raise ValueError(f"softmax over dim {m.dim} (only the channel/feature axis)")
    return "Softmax", {}


def _flatten(m):
    if m.start_dim != 1 or m.end_dim != -1:
        raise ValueError(f"Flatten(start_dim={m.start_dim}, end_dim={m.end_dim})")
    return "Flatten", {}


MODULES = {
    nn.Conv2d: _conv,
    nn.MaxPool2d: _pool("MaxPool2d"),
    nn.AvgPool2d: _pool("AvgPool2d"),
    nn.AdaptiveAvgPool2d: _adaptive("AdaptiveAvgPool2d"),
    nn.AdaptiveMaxPool2d: _adaptive("AdaptiveMaxPool2d"),
    nn.ReLU: lambda m: ("ReLU", {}),
    nn.LeakyReLU: lambda m: ("LeakyReLU", {"negative_slope": m.negative_slope}),
    nn.ELU: lambda m: ("ELU", {"alpha": m.alpha}),
    nn.GELU: lambda m: ("GELU", {"approximate": m.approximate}),
    nn.Sigmoid: lambda m: ("Sigmoid", {}),
    nn.Tanh: lambda m: ("Tanh", {}),
    nn.Softmax: _softmax,
    nn.BatchNorm2d: _bn("BatchNorm2d"),
    nn.BatchNorm1d: _bn("BatchNorm1d"),
    nn.LocalResponseNorm: lambda m: (
        "LocalResponseNorm",
        {"size": m.size, "alpha": m.alpha, "beta": m.beta, "k": m.k},
    ),
    nn.Dropout: lambda m: ("Dropout", {"p": m.p}),
    nn.Dropout2d: lambda m: ("Dropout2d", {"p": m.p}),
    nn.Flatten: _flatten,
    nn.Linear: lambda m: ("Linear", {"out_features": m.out_features, "bias": m.bias is not None}),
}

_ADDS = {operator.add, operator.iadd, torch.add}
_ACTIVATIONS = {
    F.relu: "ReLU",
    torch.relu: "ReLU",
    F.gelu: "GELU",
    torch.sigmoid: "Sigmoid",
    F.sigmoid: "Sigmoid",
    torch.tanh: "Tanh",
    F.tanh: "Tanh",
    F.elu: "ELU",
}
_METHOD_ACTIVATIONS = {"relu": "ReLU", "sigmoid": "Sigmoid", "tanh": "Tanh", "relu_": "ReLU"}


def import_module(
    module: nn.Module, input_shape: tuple[int, int, int], name: str | None = None
) -> ImportResult:
    """Trace `module` and return the equivalent graph, or raise `ImportFailed`."""
    name = name or type(module).__name__
    tracer = fx.Tracer()
    tracer.record_stack_traces = True  # so problems can name the source line
    try:
        traced = fx.GraphModule(module, tracer.trace(module))
    except Exception as e:  # fx raises many kinds for dynamic control flow
        raise ImportFailed(
            name,
            [
                f"torch.fx cannot trace it ({type(e).__name__}: {e}); data-dependent control flow in "
                "forward() is the usual cause"
            ],
        ) from None
    modules = dict(traced.named_modules())
    graph = Graph(name=name, description=(type(module).__doc__ or "").strip().split("\n")[0])
    weight_names: dict[str, str] = {}
    problems: list[str] = []
    value_of: dict[fx.Node, str | None] = {}  # fx node -> graph node id producing it
    used_targets: dict[str, str] = {}
    sizes: set[fx.Node] = set()  # x.size(0) nodes, for view(x.size(0), -1)

    def where(node: fx.Node) -> str:
        if node.op == "call_module":
            text = f"module '{node.target}' ({type(modules[node.target]).__name__})"
        else:
            target = getattr(node.target, "__name__", str(node.target))
            text = f"{node.op} '{target}' (fx node {node.name})"
        frames = re.findall(r'File "([^"]+)", line (\d+)', node.stack_trace or "")
        lines = [(f, n) for f, n in frames if f"{Path(torch.__file__).parent}" not in f]
        if lines:
            path, line = lines[-1]
            text += f" at {Path(path).name}:{line}"
        return text

    def add(node: fx.Node, block_type: str, params: dict, sources: list[fx.Node], node_id: str) -> None:
        ids = [value_of.get(s) for s in sources]
        if any(i is None for i in ids):
            value_of[node] = None
            return
        graph_id = node_id if node_id not in graph.nodes else graph.new_id(block_type)
        graph.add_node(block_type, params, node_id=graph_id)
        for i in ids:
            graph.connect(i, graph_id)
        value_of[node] = graph_id

    for node in traced.graph.nodes:
        try:
            if node.op == "placeholder":
                if graph.input_node() is not None:
                    problems.append(f"second input '{node.name}': networks take one input tensor")
                    continue
                graph.add_node("Input", {"shape": input_shape}, node_id="input")
                value_of[node] = "input"
            elif node.op == "output":
                continue
            elif node.op == "call_module":
                m = modules[node.target]
                if isinstance(m, nn.Identity):
                    value_of[node] = value_of.get(node.args[0])
                    continue
                convert = MODULES.get(type(m))
                if convert is None:
                    problems.append(f"{where(node)}: no matching block")
                    value_of[node] = None
                    continue
                block_type, params = convert(m)
                node_id = _id_for(node.target)
                if node.target in used_targets and any(True for _ in m.parameters()):
                    problems.append(
                        f"{where(node)} is called twice with shared weights; ConvCanvas blocks own their "
                        "weights"
                    )
                    value_of[node] = None
                    continue
                add(node, block_type, params, [node.args[0]], node_id)
                used_targets[node.target] = value_of[node] or ""
                if value_of[node]:
                    for key in m.state_dict():
                        weight_names[f"{value_of[node]}.{key}"] = f"{node.target}.{key}"
            elif node.op in ("call_function", "call_method"):
                _convert_call(node, add, value_of, sizes, graph, problems, where)
            else:
                problems.append(f"{where(node)}: parameters used directly are not supported")
                value_of[node] = None
        except (ValueError, TypeError) as e:
            problems.append(f"{where(node)}: {e}")
            value_of[node] = None
    if problems:
        raise ImportFailed(name, problems)
    apply_layout(graph)
    result = infer(graph)
    if not result.valid:
        raise ImportFailed(name, [str(e) for e in result.errors])
    return ImportResult(graph, weight_names)


def _convert_call(node, add, value_of, sizes, graph, problems, where) -> None:
    target, args = node.target, node.args
    if _is_batch_size_source(node, sizes):
        sizes.add(node)  # x.size(0), x.shape or x.shape[0]: only used by view/reshape below
        value_of[node] = None
        return
    if target in _ADDS or (node.op == "call_method" and target in ("add", "add_", "__iadd__")):
        tensors = [a for a in args if isinstance(a, fx.Node)]
        if len(tensors) != 2 or node.kwargs.get("alpha", 1) != 1:
            raise ValueError("only the sum of two tensors is supported")
        add(node, "Add", {}, tensors, graph.new_id("Add"))
        return
    if target is torch.cat:
        tensors = args[0]
        dim = args[1] if len(args) > 1 else node.kwargs.get("dim", 0)
        if dim not in (1, -3):
            raise ValueError(f"concatenation along dim {dim} (only channels, dim=1)")
        add(node, "Concat", {}, list(tensors), graph.new_id("Concat"))
        return
    if target is torch.flatten or (node.op == "call_method" and target == "flatten"):
        start = args[1] if len(args) > 1 else node.kwargs.get("start_dim", 0)
        end = args[2] if len(args) > 2 else node.kwargs.get("end_dim", -1)
        if start != 1 or end != -1:
            raise ValueError(f"flatten(start_dim={start}, end_dim={end}) (only start_dim=1)")
        add(node, "Flatten", {}, [args[0]], graph.new_id("Flatten"))
        return
    if node.op == "call_method" and target in ("view", "reshape"):
        shape = args[1] if len(args) == 2 and isinstance(args[1], tuple | list) else args[1:]
        if len(shape) == 2 and shape[1] == -1 and _is_batch_size(shape[0], sizes):
            add(node, "Flatten", {}, [args[0]], graph.new_id("Flatten"))
            return
        raise ValueError("only view/reshape to (batch, -1) is supported; use torch.flatten(x, 1)")
    block = _ACTIVATIONS.get(target) if node.op == "call_function" else _METHOD_ACTIVATIONS.get(target)
    if block:
        add(node, block, {}, [args[0]], graph.new_id(block))
        return
    if target is F.adaptive_avg_pool2d:
        size = args[1] if len(args) > 1 else node.kwargs["output_size"]
        add(
            node,
            "AdaptiveAvgPool2d",
            {"output_size": _pair_or_int(size)},
            [args[0]],
            graph.new_id("AdaptiveAvgPool2d"),
        )
        return
    if target is F.max_pool2d or target is F.avg_pool2d:
        kernel = args[1] if len(args) > 1 else node.kwargs["kernel_size"]
        stride = args[2] if len(args) > 2 else node.kwargs.get("stride")
        block = "MaxPool2d" if target is F.max_pool2d else "AvgPool2d"
        add(
            node,
            block,
            {"kernel_size": _pair_or_int(kernel), "stride": _pair_or_int(stride) if stride else None},
            [args[0]],
            graph.new_id(block),
        )
        return
    if target is F.dropout:
        p = args[1] if len(args) > 1 else node.kwargs.get("p", 0.5)
        add(node, "Dropout", {"p": p}, [args[0]], graph.new_id("Dropout"))
        return
    problems.append(f"{where(node)}: no matching block")
    value_of[node] = None


def _is_batch_size_source(node: fx.Node, sizes: set) -> bool:
    if node.op == "call_method" and node.target == "size":
        return True
    if node.op == "call_function" and node.target is getattr and node.args[1:] == ("shape",):
        return True
    return node.op == "call_function" and node.target is operator.getitem and node.args[0] in sizes


def _is_batch_size(value, sizes: set) -> bool:
    if not isinstance(value, fx.Node) or value not in sizes:
        return False
    if value.op == "call_method":  # x.size(0)
        return value.args[1:] == (0,)
    return value.target is operator.getitem and value.args[1] == 0  # x.shape[0]


def _id_for(target: str) -> str:
    node_id = re.sub(r"\W", "_", target.replace(".", "_"))
    return node_id if is_valid_id(node_id) else f"m_{node_id}"


def load_module_spec(spec: str) -> tuple[nn.Module, str]:
    """Instantiate a module from ``package.module:Class``, ``path/file.py:Class`` or
    ``torchvision:resnet18`` (random weights; the architecture is what is imported)."""
    if ":" not in spec:
        raise ConvCanvasError(
            f"{spec!r}: give the model as package.module:Class, path/to/file.py:Class or torchvision:name"
        )
    where, name = spec.rsplit(":", 1)
    if where == "torchvision":
        import torchvision

        try:
            factory = torchvision.models.get_model_builder(name)
        except ValueError:
            raise ConvCanvasError(f"torchvision has no model named {name!r}") from None
        return factory(weights=None), name
    if where.endswith(".py"):
        path = Path(where)
        if not path.exists():
            raise ConvCanvasError(f"{where}: no such file")
        module_name = f"_convcanvas_import_{path.stem}"
        loader = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(loader)
        sys.modules[module_name] = module
        try:
            loader.loader.exec_module(module)
        except Exception as e:
            raise ConvCanvasError(f"{where} raised {type(e).__name__} on import: {e}") from None
    else:
        try:
            module = importlib.import_module(where)
        except ImportError as e:
            raise ConvCanvasError(f"cannot import {where}: {e}") from None
    cls: Any = getattr(module, name, None)
    if cls is None:
        raise ConvCanvasError(f"{where} has no {name!r}")
    try:
        instance = cls() if isinstance(cls, type) else cls
    except TypeError as e:
        raise ConvCanvasError(f"{name}() needs arguments ({e}); wrap it in a class that takes none") from None
    if not isinstance(instance, nn.Module):
        raise ConvCanvasError(f"{spec} is not a torch.nn.Module")
    return instance, name
