"""Export a graph as plain PyTorch code.

The module file is what a person would write by hand: a docstring, one line per layer
with its output shape, a plain forward. Layer lines come from the same `TorchCall` that
builds the in-app model, so the two cannot drift apart, and the ``state_dict`` keys are
the node ids in both.
"""

from __future__ import annotations

import builtins
import keyword
import re
import textwrap

from ..blocks import CATALOG, INPUT
from ..graph import Graph
from ..inference import Inference, ValidInference, infer, require_valid


def class_name_for(name: str) -> str:
    """'LeNet-5' -> 'LeNet5', 'my cifar net' -> 'MyCifarNet'."""
    words = re.findall(r"[A-Za-z0-9]+", name)
    text = "".join(w[0].upper() + w[1:] for w in words) or "Network"
    if text[0].isdigit() or keyword.iskeyword(text):
        text = "Net" + text
    return text


def _shape(shape) -> str:
    return " x ".join(map(str, shape))


def _valid(graph: Graph, result: Inference | None) -> ValidInference:
    return require_valid(result or infer(graph))


def _steps(graph: Graph, result: ValidInference) -> list[str]:
    """Node ids that affect the output, in topological order."""
    needed = graph.ancestors(result.output)
    return [nid for nid in result.order if nid in needed]


def module_source(graph: Graph, result: Inference | None = None, class_name: str | None = None) -> str:
    """The body of the model: imports excluded, ``class <Name>(nn.Module)`` included."""
    result = _valid(graph, result)
    class_name = class_name or class_name_for(graph.name)
    steps = _steps(graph, result)
    inputs, _ = graph.adjacency()
    consumers: dict[str, list[str]] = {nid: [] for nid in steps}
    for nid in steps:
        for s in inputs[nid]:
            consumers[s].append(nid)

    init, forward, frozen = [], [], []
    names: dict[str, str] = {}
    for i, nid in enumerate(steps):
        node, info = graph.nodes[nid], result.nodes[nid]
        spec = CATALOG[node.type]
        # a value read only by the very next line lives in `x`; others get the node's name
        nxt = steps[i + 1] if i + 1 < len(steps) else None
        own = consumers[nid] == [nxt] or nid == result.output
        var = "x" if own else _variable(nid)
        names[nid] = var
        args = [names[s] for s in inputs[nid]]
        comment = f"  # {_shape(info.shape)}"
        if spec.forward == INPUT:
            if var != "x":
                forward.append(f"{var} = x{comment}")
            continue
        if spec.merge is not None:
            tensor = spec.merge.parameter
            if tensor is not None:  # a learned tensor the block owns, named after the node
                shape = tensor.shape(node.settings, info.input_shapes)
                fill = tensor.fill(node.settings)
                init.append(
                    f"self.{nid} = nn.Parameter(torch.full({shape!r}, {fill!r}))  # -> {_shape(info.shape)}"
                )
                args = [f"self.{nid}", *args]
            forward.append(f"{var} = {spec.merge.code(args, node.settings)}{comment}")
        else:
            call = spec.torch_code(node.settings, info.input_shapes)
            init.append(f"self.{nid} = {call}  # -> {_shape(info.shape)}")
            forward.append(f"{var} = self.{nid}({args[0]})")
        if node.frozen and info.learnable:
            frozen.append(f"self.{nid}.requires_grad_(False)")
    if names[result.output] != "x":
        forward.append(f"x = {names[result.output]}")

    lines = [f"class {class_name}(nn.Module):"]
    doc = graph.description or f"{graph.name}, exported from ConvCanvas."
    lines.append(docstring(textwrap.fill(doc, 88), indent="    "))
    lines += ["", "    def __init__(self):", "        super().__init__()"]
    lines += [f"        {line}" for line in init]
    if frozen:
        lines.append("        # frozen in ConvCanvas: these layers keep their loaded weights")
        lines += [f"        {line}" for line in frozen]
    lines += ["", "    def forward(self, x):"]
    lines += [f"        {line}" for line in forward]
    lines.append("        return x")
    return "\n".join(lines) + "\n"


def _variable(nid: str) -> str:
    return nid + "_" if nid in dir(builtins) or nid == "x" else nid


def docstring(text: str, indent: str = "") -> str:
    """`text` as a docstring literal, indented by `indent`.

    Names and descriptions come from project files, so they must never become code: text
    that a triple-quoted literal cannot hold as written (triple quotes, a quote at its end,
    backslashes, control characters) is written as an escaped ``repr`` literal instead.
    """
    holdable = (
        '"""' not in text
        and "\\" not in text
        and not text.endswith('"')
        and all(c.isprintable() or c == "\n" for c in text)
    )
    if not holdable:
        return indent + repr(text)
    first, *rest = text.split("\n")
    if not rest:
        return f'{indent}"""{first}"""'
    body = "\n".join(indent + line if line else "" for line in rest)
    return f'{indent}"""{first}\n{body}\n{indent}"""'


def _file_stem(graph: Graph) -> str:
    return re.sub(r"[^a-z0-9]+", "_", graph.name.lower()).strip("_") or "network"


def _origins_source(graph: Graph, result: ValidInference, class_name: str) -> str:
    """For an imported network: where each block's weights were in the source model, and a
    function that loads that model's state dict as it was saved (its own key names).
    Paths come from the file: `repr` makes each one a literal, never code."""
    used = _steps(graph, result)
    origins = {nid: graph.nodes[nid].origin for nid in used if graph.nodes[nid].origin}
    if not origins:
        return ""
    entries = "".join(f"    {nid!r}: {origin!r},\n" for nid, origin in origins.items())
    return f'''

# Where each block came from in the model this network was imported from: block
# "layer1_0_conv1" was module "layer1.0.conv1", whose weight was "layer1.0.conv1.weight".
ORIGINS = {{
{entries}}}


def load_original_state_dict(model, state_dict):
    """Load a state dict saved from the original model, with its own key names, e.g.
    load_original_state_dict({class_name}(), torchvision.models.resnet18(weights="DEFAULT").state_dict()).
    Returns the keys it had nothing for (blocks added after the import keep their values)."""
    own = model.state_dict()
    renamed, left = {{}}, []
    for key, tensor in own.items():
        block, _, name = key.partition(".")
        if block not in ORIGINS:
            left.append(key)
            continue
        source = f"{{ORIGINS[block]}}.{{name}}" if name else ORIGINS[block]
        if source not in state_dict:
            raise KeyError(f"the state dict has no {{source!r}} for {{key!r}}: is it the original model's?")
        # a linear layer on channels-last values became a 1x1 convolution: same numbers
        renamed[key] = state_dict[source].reshape(tensor.shape)
    model.load_state_dict(renamed, strict=False)
    return left
'''


def export_python(graph: Graph, result: Inference | None = None, class_name: str | None = None) -> str:
    """A standalone .py file that needs only torch and defines the network."""
    result = _valid(graph, result)
    class_name = class_name or class_name_for(graph.name)
    c, h, w = result.input_shape
    stem = _file_stem(graph)
    about = f"""{graph.name}: a convolutional network exported from ConvCanvas.

Input: batches of {_shape(result.input_shape)} tensors (N x {c} x {h} x {w}).
Output: {_shape(result.output_shape)} values per sample. Parameters: {result.total_params:,}.

Use it:

    import torch
    from {stem} import {class_name}

    model = {class_name}()
    model.load_state_dict(torch.load("weights.pt"))  # weights saved by ConvCanvas
    scores = model(torch.randn(1, {c}, {h}, {w}))

Weights in .safetensors files load with `safetensors.torch.load_file(path)`.
Run this file to check the model: python {stem}.py"""
    forms = [CATALOG[graph.nodes[nid].type].torch for nid in _steps(graph, result)]
    lines = sorted({form.import_line for form in forms if form and form.import_line})
    extra_imports = "".join(f"{line}\n" for line in lines)
    header = f"""{docstring(about)}

import torch
from torch import nn
{extra_imports}
INPUT_SHAPE = ({c}, {h}, {w})

"""
    main = (
        _origins_source(graph, result, class_name)
        + f'''

if __name__ == "__main__":
    model = {class_name}().eval()
    with torch.no_grad():
        out = model(torch.randn(2, *INPUT_SHAPE))
    print(f"{class_name}: input (2, {{', '.join(map(str, INPUT_SHAPE))}}) -> output {{tuple(out.shape)}}")
    print(f"parameters: {{sum(p.numel() for p in model.parameters()):,}}")
'''
    )
    return header + "\n" + module_source(graph, result, class_name) + main
