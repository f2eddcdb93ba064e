"""Dropout: zeroes random values while training, passes values through at evaluation."""

from __future__ import annotations

from collections.abc import Sequence

from ..settings import FLOAT, Setting
from .activation import pointwise_explain, same_shape
from .spec import Analysis, Arg, LayerSpec, Settings, Shape, TorchForm
from .window import expect_image

_P = Setting("p", FLOAT, 0.5, "drop probability", "chance of zeroing each value", 0.0, 1.0)
_ARGS = (
    Arg("p", "p", 0.5),
    Arg("inplace", default=False, ignored=True),
    # a functional dropout's `training` follows the model's mode, which the block follows too
    Arg("training", default=True, ignored=True),
)


def _image_same_shape(s: Settings, shapes: Sequence[Shape]) -> Analysis:
    return Analysis(expect_image("Dropout2d", shapes[0]))


DROPOUT = LayerSpec(
    type="Dropout",
    category="regularization",
    prefix="drop",
    description="Zeroes random values while training.",
    settings=(_P,),
    analyze=same_shape,
    explain=pointwise_explain,
    card=lambda s: f"p = {s['p']:g}",
    torch=TorchForm(
        "Dropout",
        _ARGS,
        functions=("torch.nn.functional.dropout(input, p=0.5, training=True, inplace=False)",),
    ),
)

DROPOUT_2D = LayerSpec(
    type="Dropout2d",
    category="regularization",
    prefix="drop",
    description="Zeroes whole random channels while training.",
    settings=(_P,),
    analyze=_image_same_shape,
    explain=pointwise_explain,
    card=lambda s: f"p = {s['p']:g}",
    torch=TorchForm(
        "Dropout2d",
        _ARGS,
        functions=("torch.nn.functional.dropout2d(input, p=0.5, training=True, inplace=False)",),
    ),
    input_rank=3,
)

BLOCKS = (DROPOUT, DROPOUT_2D)
