"""Import an existing `nn.Module` onto the canvas by tracing it with torch.fx.

Modules and functions map to catalog blocks; anything that does not map is reported by
name and location (`ImportFailed.problems`) rather than dropped. Node ids come from the
module paths (``layer1.0.conv1`` -> ``layer1_0_conv1``), so a ConvCanvas export imports
back to the same ids, and `weight_names` maps each new state-dict key to the original.
"""

from __future__ import annotations

import ast
import functools
import importlib
import importlib.util
import inspect
import operator
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import fx, nn

from ..blocks import ADD, CATALOG, CONCAT, MULTIPLY, Arg, LayerSpec
from ..errors import ConvCanvasError
from ..graph import Graph, is_valid_id
from ..inference import infer
from ..layout import apply_layout


class ImportFailed(ConvCanvasError):
    """A module cannot be imported; `problems` names each part with its location."""

    def __init__(self, source: str, problems: list[str], headline: str | None = None):
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        headline = headline or f"{len(problems)} part(s) cannot be represented exactly"
        super().__init__(f"cannot import {source}: {headline}:\n{lines}")


@dataclass
class ImportResult:
    graph: Graph
    weight_names: dict[str, str] = field(default_factory=dict)  # graph key -> module key

    def state_dict_from(self, module: nn.Module) -> dict[str, torch.Tensor]:
        """The module's weights under the imported graph's names."""
        original = module.state_dict()
        return {new: original[old] for new, old in self.weight_names.items()}


def _canonical(value: Any) -> Any:
    """torch's spelling of a value in ConvCanvas's canonical form: (3, 3) -> 3, [2, 1] -> (2, 1)."""
    if isinstance(value, tuple | list):
        return value[0] if len(value) == 2 and value[0] == value[1] else tuple(value)
    return value


@dataclass(frozen=True)
class _Signature:
    """A functional call's parameter names and defaults, parsed from its catalog declaration."""

    spec: LayerSpec
    names: tuple[str, ...]
    defaults: dict[str, Any]

    @classmethod
    def parse(cls, spec: LayerSpec, text: str) -> tuple[str, _Signature]:
        path, rest = text.split("(", 1)
        definition = ast.parse(f"def {path.rsplit('.', 1)[-1]}({rest}: pass").body[0]
        assert isinstance(definition, ast.FunctionDef)
        args = definition.args.args
        names = tuple(a.arg for a in args)
        values = [ast.literal_eval(d) for d in definition.args.defaults]
        defaults = dict(zip(names[len(names) - len(values) :], values, strict=True))
        return path, cls(spec, names, defaults)

    def bind(self, node: fx.Node) -> dict[str, Any]:
        """Argument name -> value for every argument after the tensor, defaults filled in."""
        if len(node.args) > len(self.names):
            raise ValueError(f"{len(node.args)} arguments, more than {self.spec.type} takes")
        bound = dict(zip(self.names, node.args, strict=False))
        for key, value in node.kwargs.items():
            if key not in self.names:
                raise ValueError(f"argument {key}={value!r} has no {self.spec.type} setting")
            bound[key] = value
        missing = [n for n in self.names if n not in bound and n not in self.defaults]
        if missing:
            raise ValueError(f"missing argument {missing[0]}")
        return {n: bound.get(n, self.defaults.get(n)) for n in self.names[1:]}


def _resolve(path: str) -> Any:
    module, _, attr = path.rpartition(".")
    return getattr(importlib.import_module(module), attr)


@functools.cache
def _recognisers() -> tuple[dict[type, LayerSpec], dict[Any, _Signature], dict[str, _Signature]]:
    """Module classes, functions and tensor methods of every catalog block, read from the catalog."""
    modules: dict[type, LayerSpec] = {}
    functions: dict[Any, _Signature] = {}
    methods: dict[str, _Signature] = {}
    for spec in CATALOG.values():
        if spec.torch is None:
            continue
        modules[spec.torch.module_class()] = spec
        for text in spec.torch.functions:
            path, signature = _Signature.parse(spec, text)
            functions[_resolve(path)] = signature
        for text in spec.torch.methods:
            name, signature = _Signature.parse(spec, text)
            methods[name] = signature
    return modules, functions, methods


def _settings_from(spec: LayerSpec, read: Callable[[Arg], Any], given: Callable[[Arg], bool]) -> dict:
    """A block's settings from torch's arguments, refusing any value a setting cannot represent."""
    assert spec.torch is not None
    settings: dict[str, Any] = {}
    for arg in spec.torch.args:
        if arg.ignored or arg.from_input is not None or not given(arg):
            continue
        value = read(arg)
        if isinstance(value, fx.Node):
            raise ValueError(f"{arg.name} is computed while the model runs; it must be a constant")
        if arg.setting is not None:
            settings[arg.setting] = _canonical(value)
        elif value != arg.fixed and value not in arg.accepts:
            raise ValueError(
                f"{arg.name}={value!r} (ConvCanvas's {spec.type} needs {arg.name}={arg.fixed!r})"
            )
    if spec.torch.settings_from_torch is not None:
        settings = spec.torch.settings_from_torch(settings)
    return settings


def _module_settings(spec: LayerSpec, m: nn.Module) -> dict:
    return _settings_from(
        spec, lambda arg: arg.read(m) if arg.read else getattr(m, arg.name), lambda arg: True
    )


def _call_settings(signature: _Signature, node: fx.Node) -> dict:
    bound = signature.bind(node)
    spec = signature.spec
    assert spec.torch is not None
    declared = {arg.name for arg in spec.torch.args}
    for name, value in bound.items():
        if name not in declared and value != signature.defaults.get(name):
            raise ValueError(f"{name}={value!r} has no {spec.type} setting")
    return _settings_from(spec, lambda arg: bound[arg.name], lambda arg: arg.name in bound)


def import_module(
    module: nn.Module, input_shape: tuple[int, int, int], name: str | None = None
) -> ImportResult:
    """Trace `module` and return the equivalent graph, or raise `ImportFailed`."""
    name = name or type(module).__name__
    tracer = _Tracer()
    tracer.record_stack_traces = True  # so problems can name the source line
    was_training = module.training
    # eval mode: what the network computes once trained (no auxiliary heads, dropout off)
    module.eval()
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
    finally:
        module.train(was_training)
    modules = dict(traced.named_modules())
    graph = Graph(name=name, description=(type(module).__doc__ or "").strip().split("\n")[0])
    weight_names: dict[str, str] = {}
    problems: list[str] = []
    value_of: dict[fx.Node, str | None] = {}  # fx node -> graph node id producing it
    used_targets: dict[str, str] = {}
    imported_modules: dict[str, tuple[nn.Module, str]] = {}  # graph id -> (module, where)
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

    def add(node: fx.Node, block_type: str, settings: dict, sources: list[fx.Node], node_id: str) -> None:
        ids = [i for s in sources if (i := value_of.get(s)) is not None]
        if len(ids) != len(sources):
            value_of[node] = None
            return
        graph_id = node_id if node_id not in graph.nodes else graph.new_id(block_type)
        graph.add_node(block_type, settings, node_id=graph_id)
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
                spec = _recognisers()[0].get(type(m))
                if spec is None:
                    problems.append(f"{where(node)}: no matching block")
                    value_of[node] = None
                    continue
                block_type, settings = spec.type, _module_settings(spec, m)
                node_id = _id_for(node.target)
                if node.target in used_targets and any(True for _ in m.parameters()):
                    problems.append(
                        f"{where(node)} is called twice with shared weights; ConvCanvas blocks own their "
                        "weights"
                    )
                    value_of[node] = None
                    continue
                add(node, block_type, settings, [node.args[0]], node_id)
                graph_id = value_of[node]
                used_targets[node.target] = graph_id or ""
                if graph_id:
                    imported_modules[graph_id] = (m, where(node))
                    for key in m.state_dict():
                        weight_names[f"{graph_id}.{key}"] = f"{node.target}.{key}"
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
        raise ImportFailed(name, [str(e) for e in result.errors], "the imported network does not check out")
    mismatches = _input_mismatches(graph, result, imported_modules)
    if mismatches:
        raise ImportFailed(
            name, mismatches, "its layers do not fit the input shape given (check --input-shape)"
        )
    return ImportResult(graph, weight_names)


def _input_mismatches(graph: Graph, result, imported_modules: dict[str, tuple[nn.Module, str]]) -> list[str]:
    """Sizes a module was built for (in_channels, in_features, ...) that differ from what
    reaches it: the graph would derive them from its input and silently be another network."""
    problems = []
    for node_id, (module, where) in imported_modules.items():
        spec = CATALOG[graph.nodes[node_id].type]
        assert spec.torch is not None
        shapes = result.nodes[node_id].input_shapes
        for arg in spec.torch.args:
            if arg.from_input is None:
                continue
            built, reaching = getattr(module, arg.name), arg.from_input(shapes)
            if built != reaching:
                shape = " x ".join(map(str, shapes[0]))
                problems.append(f"{where} was built for {arg.name}={built}, but its input is {shape}")
    return problems


_ADDS = {operator.add, operator.iadd, torch.add}
_MULTIPLIES = {operator.mul, operator.imul, torch.mul}


class _Tracer(fx.Tracer):
    """torch.fx's tracer, told about the catalog: a module class that is a block (such as
    torchvision's StochasticDepth) stays one call, and plain-Python functions that are blocks
    are recorded as calls rather than traced into."""

    def __init__(self) -> None:
        modules, functions, _ = _recognisers()
        # torch's own functions reach fx through __torch_function__; others must be named
        python_functions = tuple(
            f for f in functions if inspect.isfunction(f) and f.__module__.split(".")[0] != "torch"
        )
        super().__init__(autowrap_functions=python_functions)
        self._block_classes = tuple(modules)

    def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
        return type(m) in self._block_classes or super().is_leaf_module(m, module_qualified_name)


def _block_with(forward: str) -> str:
    return next(spec.type for spec in CATALOG.values() if spec.forward == forward)


def _convert_call(node, add, value_of, sizes, graph, problems, where) -> None:
    target, args = node.target, node.args
    if _is_batch_size_source(node, sizes):
        sizes.add(node)  # x.size(0), x.shape or x.shape[0]: only used by view/reshape below
        value_of[node] = None
        return
    _, functions, methods = _recognisers()
    signature = functions.get(target) if node.op == "call_function" else methods.get(target)
    if signature is not None:
        spec = signature.spec
        add(node, spec.type, _call_settings(signature, node), [args[0]], graph.new_id(spec.type))
        return
    if target in _ADDS or (node.op == "call_method" and target in ("add", "add_", "__iadd__")):
        tensors = [a for a in args if isinstance(a, fx.Node)]
        if len(tensors) != 2 or node.kwargs.get("alpha", 1) != 1:
            raise ValueError("only the sum of two tensors is supported")
        block = _block_with(ADD)
        add(node, block, {}, tensors, graph.new_id(block))
        return
    if target in _MULTIPLIES or (node.op == "call_method" and target in ("mul", "mul_", "__imul__")):
        tensors = [a for a in args if isinstance(a, fx.Node)]
        if len(tensors) != 2:
            raise ValueError("only the product of two tensors is supported (not a tensor and a number)")
        block = _block_with(MULTIPLY)
        add(node, block, {}, tensors, graph.new_id(block))
        return
    if target is torch.cat:
        tensors = list(args[0])
        dim = args[1] if len(args) > 1 else node.kwargs.get("dim", 0)
        if len(tensors) == 1:  # joining one tensor returns it unchanged
            value_of[node] = value_of.get(tensors[0])
            return
        if dim not in (1, -3):
            raise ValueError(f"concatenation along dim {dim} (only channels, dim=1)")
        block = _block_with(CONCAT)
        add(node, block, {}, tensors, graph.new_id(block))
        return
    if target is torch.mean or (node.op == "call_method" and target == "mean"):
        _global_average(node, add, value_of, graph)
        return
    if node.op == "call_method" and target in ("view", "reshape"):
        shape = args[1] if len(args) == 2 and isinstance(args[1], tuple | list) else args[1:]
        if len(shape) == 2 and shape[1] == -1 and _is_batch_size(shape[0], sizes):
            add(node, "Flatten", {}, [args[0]], graph.new_id("Flatten"))
            return
        raise ValueError("only view/reshape to (batch, -1) is supported; use torch.flatten(x, 1)")
    problems.append(f"{where(node)}: no matching block")
    value_of[node] = None


def _global_average(node: fx.Node, add, value_of, graph: Graph) -> None:
    """``x.mean([2, 3])`` is global average pooling; without keepdim it also flattens."""
    x, *rest = node.args
    dims = rest[0] if rest else node.kwargs.get("dim")
    keepdim = rest[1] if len(rest) > 1 else node.kwargs.get("keepdim", False)
    if (
        not isinstance(dims, list | tuple)
        or sorted(d % 4 for d in dims) != [2, 3]
        or node.kwargs.get("dtype")
    ):
        raise ValueError(f"mean over dims {dims!r} (only over height and width, dims [2, 3])")
    add(node, "AdaptiveAvgPool2d", {"output_size": 1}, [x], graph.new_id("AdaptiveAvgPool2d"))
    if not keepdim and value_of.get(node) is not None:
        pooled = value_of[node]
        flat = graph.new_id("Flatten")
        graph.add_node("Flatten", {}, node_id=flat)
        graph.connect(pooled, flat)
        value_of[node] = flat


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
    return bool(value.target is operator.getitem and value.args[1] == 0)  # x.shape[0]


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
        found = importlib.util.spec_from_file_location(module_name, path)
        if found is None or found.loader is None:
            raise ConvCanvasError(f"{where}: not a Python file that can be imported")
        module = importlib.util.module_from_spec(found)
        sys.modules[module_name] = module
        try:
            found.loader.exec_module(module)
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
