"""Flatten and fully connected (Linear) blocks."""

from __future__ import annotations

from collections.abc import Sequence
from math import prod

from ..errors import ShapeError
from ..settings import BOOL, INT, Setting
from .spec import GLOBAL, Analysis, Arg, Backward, LayerSpec, Settings, Shape, TorchForm
from .window import dims, thousands


def _flatten_analyze(s: Settings, shapes: Sequence[Shape]) -> Analysis:
    return Analysis((prod(shapes[0]),), window=GLOBAL)


def _flatten_explain(s: Settings, shapes: Sequence[Shape], a: Analysis) -> list[str]:
    if len(shapes[0]) == 1:
        return [f"already flat: {a.shape[0]} features"]
    return [f"{'*'.join(str(d) for d in shapes[0])} = {thousands(a.shape[0])} features"]


FLATTEN = LayerSpec(
    type="Flatten",
    category="dense",
    prefix="flatten",
    description="Unrolls C x H x W into one vector of C*H*W features.",
    analyze=_flatten_analyze,
    explain=_flatten_explain,
    card=lambda s: "C·H·W features",
    torch=TorchForm(
        "Flatten",
        (Arg("start_dim", default=1, fixed=1), Arg("end_dim", default=-1, fixed=-1)),
        functions=("torch.flatten(input, start_dim=0, end_dim=-1)",),
        methods=("flatten(self, start_dim=0, end_dim=-1)",),
    ),
    backward=Backward(aliases_input=True),  # a view of its input
)


def _linear_analyze(s: Settings, shapes: Sequence[Shape]) -> Analysis:
    shape = shapes[0]
    if len(shape) != 1:
        raise ShapeError(
            f"Linear needs a flat vector but gets a {dims(shape)} tensor",
            f"insert a Flatten before it ({'*'.join(map(str, shape))} = {thousands(prod(shape))} features)",
            code="needs_flatten",
        )
    n, out = shape[0], s["out_features"]
    return Analysis((out,), n * out + (out if s["bias"] else 0), 0, n * out, GLOBAL)


def _linear_explain(s: Settings, shapes: Sequence[Shape], a: Analysis) -> list[str]:
    n, m = shapes[0][0], a.shape[0]
    bias = f" + {m}" if s["bias"] else ""
    return [
        f"{thousands(n)} inputs, each connected to all {thousands(m)} outputs",
        f"params: {n}*{m}{bias} = {thousands(a.learnable)}",
        f"MACs: {n}*{m} = {thousands(a.macs)}",
    ]


LINEAR = LayerSpec(
    type="Linear",
    category="dense",
    prefix="fc",
    description="Fully connected layer: every input feeds every output.",
    settings=(
        Setting("out_features", INT, 10, "units", "number of outputs", 1, 1_000_000),
        Setting("bias", BOOL, True, "bias", "add a learned bias per output"),
    ),
    analyze=_linear_analyze,
    explain=_linear_explain,
    card=lambda s: f"{s['out_features']} units",
    torch=TorchForm(
        "Linear",
        (
            Arg("in_features", from_input=lambda shapes: shapes[0][0]),
            Arg("out_features", "out_features"),
            Arg("bias", "bias", True, read=lambda m: m.bias is not None),
        ),
    ),
    input_rank=1,
    fixes=("insert_flatten",),
    backward=Backward(saves_input=True),  # for the weight gradient
)

BLOCKS = (FLATTEN, LINEAR)
