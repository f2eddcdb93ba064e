"""Blocks that join branches: element-wise Add (residual connections) and channel Concat."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import ShapeError
from .spec import ADD, CONCAT, MULTIPLY, Analysis, Backward, LayerSpec, Merge, Settings, Shape
from .window import dims


def _list(shapes: Sequence[Shape]) -> str:
    return ", ".join(dims(s) for s in shapes)


def _add_analyze(s: Settings, shapes: Sequence[Shape]) -> Analysis:
    first = shapes[0]
    for other in shapes[1:]:
        if other != first:
            code = "add_channels" if other[1:] == first[1:] and len(other) == 3 else "add_shapes"
            fix = (
                "insert a 1x1 convolution on one branch to match the channel count"
                if code == "add_channels"
                else "make both branches produce the same shape (a 1x1 convolution with "
                "stride on the shortcut matches channels and size)"
            )
            raise ShapeError(f"Add needs inputs of one shape but gets {_list(shapes)}", fix, code=code)
    return Analysis(first)


def _add_explain(s: Settings, shapes: Sequence[Shape], a: Analysis) -> list[str]:
    return [f"element-wise sum of {len(shapes)} inputs of shape {dims(a.shape)}; params: 0"]


def _concat_analyze(s: Settings, shapes: Sequence[Shape]) -> Analysis:
    if len({len(s) for s in shapes}) > 1:
        raise ShapeError(
            f"Concat needs inputs of one rank but gets {_list(shapes)}",
            "flatten every input, or none of them",
            code="concat_rank",
        )
    channels = sum(s[0] for s in shapes)
    if len(shapes[0]) == 3:
        if len({s[1:] for s in shapes}) > 1:
            raise ShapeError(
                f"Concat joins channels, so every input needs the same height and width, "
                f"but gets {_list(shapes)}",
                "use padding or pooling on the branches so that they agree on H x W",
                code="concat_spatial",
            )
        return Analysis((channels, *shapes[0][1:]))
    return Analysis((channels,))


def _concat_explain(s: Settings, shapes: Sequence[Shape], a: Analysis) -> list[str]:
    chans = " + ".join(str(s[0]) for s in shapes)
    return [f"channels: {chans} = {a.shape[0]}; output {dims(a.shape)}; params: 0"]


def _sum(xs):
    out = xs[0]
    for x in xs[1:]:
        out = out + x
    return out


def _concatenate(xs):
    import torch

    return torch.cat(list(xs), dim=1)


def _multiply_analyze(s: Settings, shapes: Sequence[Shape]) -> Analysis:
    a, b = shapes
    if a == b:
        return Analysis(a)
    gate, full = (b, a) if len(b) == 3 and b[1:] == (1, 1) else (a, b)
    if len(full) == 3 and len(gate) == 3 and gate[1:] == (1, 1) and gate[0] == full[0]:
        return Analysis(full)
    raise ShapeError(
        f"Multiply needs two inputs of one shape, or a C x H x W tensor and a C x 1 x 1 gate, "
        f"but gets {_list(shapes)}",
        "make the gate branch end in C x 1 x 1 (global pooling, then 1x1 convolutions to C channels)",
        code="multiply_shapes",
    )


def _multiply_explain(s: Settings, shapes: Sequence[Shape], a: Analysis) -> list[str]:
    if shapes[0] == shapes[1]:
        return [f"element-wise product of two {dims(a.shape)} inputs; params: 0"]
    return [
        f"each of the {a.shape[0]} channels is scaled by its gate value; output {dims(a.shape)}; params: 0"
    ]


ADD_BLOCK = LayerSpec(
    type="Add",
    category="merge",
    prefix="add",
    description="Element-wise sum of its inputs (residual connections).",
    analyze=_add_analyze,
    explain=_add_explain,
    card=lambda s: "a + b",
    merge=Merge(lambda names, s: " + ".join(names), lambda xs, s: _sum(xs)),
    forward=ADD,
    min_inputs=2,
    max_inputs=None,
    fixes=("match_channels", "match_sizes"),
    backward=Backward(),  # a sum's gradient needs no tensor
)

CONCAT_BLOCK = LayerSpec(
    type="Concat",
    category="merge",
    prefix="concat",
    description="Joins its inputs along the channel axis (Inception).",
    analyze=_concat_analyze,
    explain=_concat_explain,
    card=lambda s: "along channels",
    merge=Merge(lambda names, s: f"torch.cat([{', '.join(names)}], dim=1)", lambda xs, s: _concatenate(xs)),
    forward=CONCAT,
    min_inputs=2,
    max_inputs=None,
    fixes=("match_sizes",),
    backward=Backward(),  # only the sizes, to split the gradient
)

MULTIPLY_BLOCK = LayerSpec(
    type="Multiply",
    category="merge",
    prefix="mul",
    description="Element-wise product; with a C x 1 x 1 input, scales each channel by it "
    "(squeeze-and-excitation gating).",
    analyze=_multiply_analyze,
    explain=_multiply_explain,
    card=lambda s: "a · b",
    merge=Merge(lambda names, s: " * ".join(names), lambda xs, s: xs[0] * xs[1]),
    forward=MULTIPLY,
    min_inputs=2,
    max_inputs=2,
    backward=Backward(saves_input=True),  # each input's gradient is the other input
)

BLOCKS = (ADD_BLOCK, CONCAT_BLOCK, MULTIPLY_BLOCK)
