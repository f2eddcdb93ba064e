"""Dropout: zeroes random values while training, passes values through at evaluation."""

from __future__ import annotations

from collections.abc import Sequence
from math import prod

from ..settings import CHOICE, FLOAT, Setting
from .activation import pointwise_explain, same_shape
from .spec import MASK, Analysis, Arg, Backward, Kept, LayerSpec, Settings, Shape, TorchForm
from .window import expect_image

_P = Setting("p", FLOAT, 0.5, "drop probability", "chance of zeroing each value", 0.0, 1.0)
_ARGS = (
    Arg("p", "p", 0.5),
    Arg("inplace", default=False, ignored=True),
    # a functional dropout's `training` follows the model's mode, which the block follows too
    Arg("training", default=True, ignored=True),
)


def _off(s: Settings) -> bool:
    return s["p"] == 0  # torch returns the input tensor itself


# While training, dropout multiplies by a random tensor and keeps it (not its input): a
# mask per value (Dropout), per channel (Dropout2d) or per sample (StochasticDepth). With
# p = 1 torch multiplies by one zero instead.
def _dropout_mask(s: Settings, shapes: Sequence[Shape], out: Shape) -> tuple[Kept, ...]:
    return (Kept(1, per_sample=False),) if s["p"] == 1 else (Kept(prod(out), MASK),)


def _channel_mask(s: Settings, shapes: Sequence[Shape], out: Shape) -> tuple[Kept, ...]:
    return (Kept(1, per_sample=False),) if s["p"] == 1 else (Kept(out[0]),)


def _path_mask(s: Settings, shapes: Sequence[Shape], out: Shape) -> tuple[Kept, ...]:
    return (Kept(1, per_sample=s["mode"] == "row"),)


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
    backward=Backward(extra=_dropout_mask, aliases_input=_off),
    elementwise=True,
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
    backward=Backward(extra=_channel_mask, aliases_input=_off),
)

STOCHASTIC_DEPTH = LayerSpec(
    type="StochasticDepth",
    category="regularization",
    prefix="droppath",
    description="Drops a whole residual branch for random samples while training (drop path); "
    "passes values through at evaluation (EfficientNet, ConvNeXt).",
    settings=(
        Setting("p", FLOAT, 0.2, "drop probability", "chance of dropping the branch", 0.0, 1.0),
        Setting(
            "mode", CHOICE, "row", "mode", "per sample (row) or for the whole batch", choices=("row", "batch")
        ),
    ),
    analyze=same_shape,
    explain=pointwise_explain,
    card=lambda s: f"p = {s['p']:g}, {s['mode']}",
    torch=TorchForm(
        "torchvision.ops.StochasticDepth",
        (Arg("p", "p"), Arg("mode", "mode"), Arg("training", default=True, ignored=True)),
        functions=("torchvision.ops.stochastic_depth(input, p, mode, training=True)",),
    ),
    backward=Backward(extra=_path_mask, aliases_input=_off),
    elementwise=True,  # per sample: the same whatever the layout of a sample's values
)

BLOCKS = (DROPOUT, DROPOUT_2D, STOCHASTIC_DEPTH)
