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

from ..blocks import ADD, CATALOG, CONCAT, MULTIPLY, SCALE, SLICE, Arg, ChannelsLast, LayerSpec
from ..errors import ConvCanvasError, SettingError
from ..graph import Graph, is_valid_id, path_problem
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
    # graph key -> its shape where the block holds a module's tensor in another shape (a
    # channels-last nn.Linear's (out, in) weight is a 1x1 convolution's (out, in, 1, 1))
    reshaped: dict[str, tuple[int, ...]] = field(default_factory=dict, kw_only=True)

    def state_dict_from(self, module: nn.Module) -> dict[str, torch.Tensor]:
        """The module's weights under the imported graph's names (and in its shapes)."""
        original = module.state_dict()
        state = {new: original[old] for new, old in self.weight_names.items()}
        for key, shape in self.reshaped.items():
            state[key] = state[key].reshape(shape)
        return state


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


@functools.cache
def _channels_last_forms() -> dict[type, tuple[LayerSpec, ChannelsLast]]:
    """Module classes that do a block's work on a channels-last tensor, read from the catalog."""
    return {
        _resolve(f"torch.nn.{form.module}"): (spec, form)
        for spec in CATALOG.values()
        if spec.torch is not None and (form := spec.torch.channels_last) is not None
    }


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
    description = (type(module).__doc__ or "").strip().split("\n")[0]
    return import_graph_module(traced, input_shape, name, description)


def import_graph_module(
    traced: fx.GraphModule,
    input_shape: tuple[int, int, int],
    name: str,
    description: str = "",
    describe: Callable[[fx.Node], str] | None = None,
) -> ImportResult:
    """The graph of an already traced module (the ONNX importer builds one), or `ImportFailed`.

    `describe` names an fx node in problem messages; by default its module or function and
    source line.
    """
    modules = dict(traced.named_modules())
    graph = Graph(name=name, description=description)
    weight_names: dict[str, str] = {}
    problems: list[str] = []
    value_of: dict[fx.Node, str | None] = {}  # fx node -> graph node id producing it
    used_targets: dict[str, str] = {}
    imported_modules: dict[str, tuple[nn.Module, str]] = {}  # graph id -> (module, where)
    # graph id -> (module, where, its form) for a channels-last module that became a block
    converted: dict[str, tuple[nn.Module, str, ChannelsLast]] = {}
    sizes: set[fx.Node] = set()  # x.size(0) nodes, for view(x.size(0), -1)

    def where(node: fx.Node) -> str:
        if describe is not None:
            return describe(node)
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

    layout = _Layout(graph, value_of, traced, weight_names, where)
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
                form = None
                if node.args and node.args[0] in layout.channels_last:
                    spec, form = layout.module_block(node, type(m), spec)
                if spec is None:
                    problems.append(f"{where(node)}: no matching block")
                    value_of[node] = None
                    continue
                block_type = spec.type
                settings = form.settings(m) if form and form.settings else _module_settings(spec, m)
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
                    if form is None:
                        imported_modules[graph_id] = (m, where(node))
                    else:
                        converted[graph_id] = (m, where(node), form)
                    for key in m.state_dict():
                        weight_names[f"{graph_id}.{key}"] = f"{node.target}.{key}"
            elif node.op in ("call_function", "call_method"):
                if not layout.convert(node, add):
                    _convert_call(node, add, value_of, sizes, graph, problems, where)
            elif node.op == "get_attr":
                layout.parameter(node)
            else:
                problems.append(f"{where(node)}: {node.op} is not supported")
                value_of[node] = None
        except (ValueError, TypeError, SettingError) as e:
            problems.append(f"{where(node)}: {e}")
            value_of[node] = None
    if problems:
        raise ImportFailed(name, problems)
    _record_origins(graph, weight_names, value_of)
    apply_layout(graph)
    result = infer(graph)
    if not result.valid:
        raise ImportFailed(name, [str(e) for e in result.errors], "the imported network does not check out")
    mismatches = _input_mismatches(graph, result, imported_modules)
    reshaped: dict[str, tuple[int, ...]] = {}
    mismatches += _tensor_mismatches(graph, result, converted, layout, weight_names, reshaped)
    if mismatches:
        raise ImportFailed(
            name, mismatches, "its layers do not fit the input shape given (check --input-shape)"
        )
    return ImportResult(graph, weight_names, reshaped=reshaped)


def _record_origins(graph: Graph, weight_names: dict[str, str], value_of: dict[fx.Node, str | None]) -> None:
    """Each imported block's module path in the source model (``layer2.0.conv1``: where its
    weights were) and its group, the module whose forward made it (``layer2.0``), so the
    canvas can frame ResNet's blocks and stages and exported code can load the original
    state dict."""
    for key, source in weight_names.items():
        block, _, name = key.partition(".")
        suffix = f".{name}"
        graph.nodes[block].origin = source[: -len(suffix)] if name and source.endswith(suffix) else source
    for fx_node, graph_id in value_of.items():
        if graph_id is None or graph_id == "input" or graph_id not in graph.nodes:
            continue
        node = graph.nodes[graph_id]
        if node.group:  # several fx nodes can stand for one block (views): the first made it
            continue
        stack = [path.split("@")[0] for path in fx_node.meta.get("nn_module_stack", {})]
        if fx_node.op == "call_module":
            node.origin = node.origin or str(fx_node.target)
            stack = stack[:-1]  # the module itself is the block, not a group around it
        if stack and path_problem(stack[-1], "group") is None:
            node.group = stack[-1]


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
            built = arg.read(module) if arg.read else getattr(module, arg.name)
            reaching = arg.from_input(shapes)
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
        except KeyboardInterrupt:
            raise
        except BaseException as e:  # SystemExit too: a script's argparse must not end the app
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
    except KeyboardInterrupt:
        raise
    except BaseException as e:  # the user's constructor may raise anything, SystemExit included
        raise ConvCanvasError(f"{name}() raised {type(e).__name__}: {e}") from None
    if not isinstance(instance, nn.Module):
        raise ConvCanvasError(f"{spec} is not a torch.nn.Module")
    return instance, name


_TO_CHANNELS_LAST = (0, 2, 3, 1)
_TO_CHANNELS_FIRST = (0, 3, 1, 2)


class _Layout:
    """What the importer follows besides which block computes each value.

    - Channels-last sections: ``permute(0, 2, 3, 1)`` makes a value channels-last and
      ``permute(0, 3, 1, 2)`` makes it channels-first again, both without a block. In
      between, a module that the catalog declares as a block's channels-last form
      (``nn.Linear`` for a 1x1 Conv2d, ``nn.LayerNorm`` for LayerNorm2d) becomes that block
      and element-wise blocks pass; anything else is refused.
    - Parameters used directly (``get_attr``): one of shape C x 1 x 1 multiplied with a value
      is the block whose forward kind is SCALE (LayerScale), carrying that parameter.
    - Channel splits: ``x.chunk(n, dim=1)`` followed by ``[i]``, and ``x[:, a:b]``, are the
      block whose forward kind is SLICE, one per part.
    """

    def __init__(self, graph: Graph, value_of: dict, traced: fx.GraphModule, weight_names: dict, where):
        self.graph, self.value_of, self.traced = graph, value_of, traced
        self.weight_names, self.where = weight_names, where
        self.channels_last: set[fx.Node] = set()
        self.parameters: dict[fx.Node, str] = {}  # get_attr node -> its target
        self.chunks: dict[fx.Node, tuple[fx.Node, int]] = {}  # chunk node -> (input, parts)
        self.scales: dict[str, tuple[torch.Tensor, str]] = {}  # graph id -> (tensor, where)

    def module_block(self, node: fx.Node, cls: type, spec: LayerSpec | None):
        """(spec, channels-last form or None) for a module called on a channels-last value."""
        self.channels_last.add(node)
        found = _channels_last_forms().get(cls)
        if found is not None:
            return found
        if spec is not None and spec.elementwise:
            return spec, None
        raise ValueError(self._refusal())

    def _refusal(self) -> str:
        forms = sorted({f"nn.{form.module}" for _, form in _channels_last_forms().values()})
        return (
            "it works on a channels-last tensor (after permute(0, 2, 3, 1)), where only "
            f"{', '.join(forms)} and element-wise blocks can be imported; permute back with "
            "permute(0, 3, 1, 2) before it"
        )

    def parameter(self, node: fx.Node) -> None:
        """A parameter read directly: kept for the multiplication that makes it a LayerScale."""
        for user in node.users:
            if not (user.op == "call_function" and user.target in _MULTIPLIES) and not (
                user.op == "call_method" and user.target in ("mul", "__mul__")
            ):
                used_by = getattr(user.target, "__name__", user.target)
                raise ValueError(
                    f"parameter '{node.target}' is used directly by {user.op} '{used_by}'; only a "
                    "C x 1 x 1 parameter multiplied with a value (a LayerScale) is supported"
                )
        self.parameters[node] = str(node.target)
        self.value_of[node] = None

    def channels(self, node: fx.Node) -> int:
        """The channel count of an imported value, from the graph imported so far."""
        graph_id = self.value_of.get(node)
        info = infer(self.graph).nodes.get(graph_id) if graph_id else None
        if info is None or info.shape is None:
            raise ValueError("the channel count of its input is unknown (a part before it did not import)")
        return info.shape[0]

    def convert(self, node: fx.Node, add) -> bool:
        """Import `node` if it is a layout change, a channel split or a LayerScale; False if
        it is none of those (the caller converts it); ValueError if it cannot be imported."""
        target: Any = node.target
        args: Any = node.args
        method = target if node.op == "call_method" else None
        x = args[0] if args else None
        on_last = x in self.channels_last
        if any(a in self.channels_last for a in node.all_input_nodes):
            self.channels_last.add(node)  # until a permute back, refused or not
        if target is torch.permute or method == "permute":
            dims = args[1] if len(args) == 2 and isinstance(args[1], tuple | list) else args[1:]
            dims = tuple(d % 4 for d in dims) if all(isinstance(d, int) for d in dims) else dims
            if dims == (_TO_CHANNELS_FIRST if on_last else _TO_CHANNELS_LAST):
                self.value_of[node] = self.value_of.get(x)
                if on_last:
                    self.channels_last.discard(node)
                else:
                    self.channels_last.add(node)
                return True
            raise ValueError(
                f"permute to {dims} (only to channels-last (0, 2, 3, 1) and back (0, 3, 1, 2), "
                "around blocks that work on either layout)"
            )
        if method == "contiguous" and len(args) == 1:  # a copy in the same layout
            self.value_of[node] = self.value_of.get(x)
            return True
        if target in _MULTIPLIES or method in ("mul", "__mul__"):
            return self._scale(node, add)
        if target is torch.chunk or method == "chunk":
            self._chunk(node)
            return True
        if target is operator.getitem and (x in self.chunks or isinstance(args[1], tuple)):
            self._slice(node, add)
            return True
        if any(a in self.channels_last for a in node.all_input_nodes):
            _, functions, methods = _recognisers()
            signature = functions.get(target) if node.op == "call_function" else methods.get(target)
            if signature is None or not signature.spec.elementwise or not on_last:
                raise ValueError(self._refusal())
            spec = signature.spec
            add(node, spec.type, _call_settings(signature, node), [x], self.graph.new_id(spec.type))
            return True
        return False

    def _scale(self, node: fx.Node, add) -> bool:
        args: Any = node.args
        params = [a for a in args if a in self.parameters]
        if not params:
            return False
        values = [a for a in args if isinstance(a, fx.Node) and a not in self.parameters]
        param = params[0]
        tensor: torch.Tensor = self.traced.get_parameter(self.parameters[param])
        if len(params) != 1 or len(values) != 1 or values[0] in self.channels_last:
            raise ValueError(
                f"parameter '{param.target}' is multiplied with {len(values)} channels-first value(s); "
                "a LayerScale multiplies one C x H x W value by a C x 1 x 1 parameter"
            )
        if tensor.dim() != 3 or tuple(tensor.shape[1:]) != (1, 1):
            raise ValueError(
                f"parameter '{param.target}' has shape {tuple(tensor.shape)}; only a C x 1 x 1 "
                "per-channel scale (LayerScale) is supported"
            )
        block = _block_with(SCALE)
        spec = CATALOG[block]
        tensor = tensor.detach()
        first = tensor.flatten()[0]
        same = bool((tensor == first).all())  # an untrained scale: record where it starts
        # the shortest decimal that is this float32 (1e-06, not 9.999999974752427e-07)
        settings = {"init": float(str(first.numpy()))} if same else {}
        add(node, block, settings, values, _id_for(self.parameters[param]))
        if self.value_of.get(node):
            made = self.value_of[node]
            self.weight_names[made] = self.parameters[param]
            self.scales[made] = (tensor, self.where(node))
        assert spec.merge is not None and spec.merge.parameter is not None, f"{block} owns a tensor"
        return True

    def _chunk(self, node: fx.Node) -> None:
        args: Any = node.args
        x, *rest = args
        parts = rest[0] if rest else node.kwargs.get("chunks")
        dim = rest[1] if len(rest) > 1 else node.kwargs.get("dim", 0)
        if dim not in (1, -3):
            raise ValueError(f"chunk along dim {dim} (only channels, dim=1)")
        if not isinstance(parts, int) or any(
            u.op != "call_function" or u.target is not operator.getitem for u in node.users
        ):
            raise ValueError("only x.chunk(n, dim=1) followed by indexing each part is supported")
        self.chunks[node] = (x, parts)
        self.value_of[node] = None

    def _slice(self, node: fx.Node, add) -> None:
        """A part of a chunk, or x[:, a:b]: the channels [start, end) of one value."""
        args: Any = node.args
        source, index = args
        if source in self.chunks:
            x, parts = self.chunks[source]
            c = self.channels(x)
            size = -(-c // parts)  # torch.chunk: parts of ceil(C / n) channels, the last smaller
            start, end = index * size, min(c, (index + 1) * size)
        else:
            x = source
            rows, channels = (*index, slice(None))[:2]
            if (
                len(index) > 2
                or rows != slice(None)
                or not isinstance(channels, slice)
                or channels.step not in (None, 1)
            ):
                raise ValueError(f"indexing with {index!r} (only channel ranges x[:, a:b])")
            c = self.channels(x)
            start, end, _ = channels.indices(c)
        if x in self.channels_last:
            raise ValueError(self._refusal())
        block = _block_with(SLICE)
        add(node, block, {"start": start, "end": end}, [x], self.graph.new_id(block))


def _tensor_mismatches(
    graph: Graph,
    result,
    converted: dict[str, tuple[nn.Module, str, ChannelsLast]],
    layout: _Layout,
    weight_names: dict[str, str],
    reshaped: dict[str, tuple[int, ...]],
) -> list[str]:
    """Channels-last modules and LayerScale parameters whose sizes differ from what reaches
    them; fills `reshaped` with the block's shape for each tensor a block holds differently."""
    problems = []
    for node_id, (module, where, form) in converted.items():
        node, shapes = graph.nodes[node_id], result.nodes[node_id].input_shapes
        spec = CATALOG[node.type]
        built, channels = form.channels(module), shapes[0][0]
        if built != channels:
            shape = " x ".join(map(str, shapes[0]))
            problems.append(f"{where} was built for {built} channels, but its input is {shape}")
            continue
        with torch.device("meta"):
            own = spec.build_module(node.settings, shapes).state_dict()
        original = module.state_dict()
        for key, tensor in own.items():
            if tuple(tensor.shape) != tuple(original[key].shape):
                reshaped[f"{node_id}.{key}"] = tuple(tensor.shape)
    for node_id, (tensor, where) in layout.scales.items():
        node, shapes = graph.nodes[node_id], result.nodes[node_id].input_shapes
        merge = CATALOG[node.type].merge
        assert merge is not None and merge.parameter is not None
        expected = merge.parameter.shape(node.settings, shapes)
        if tuple(tensor.shape) != tuple(expected):
            shape = " x ".join(map(str, shapes[0]))
            problems.append(f"{where}: its parameter is {tuple(tensor.shape)}, but its input is {shape}")
    return problems
