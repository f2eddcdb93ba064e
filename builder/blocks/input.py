"""The network's input, and the pass-through Identity block."""

from __future__ import annotations

from collections.abc import Sequence
from math import prod

from ..settings import SHAPE, Setting
from .activation import pointwise_explain, same_shape
from .spec import INPUT, Analysis, Backward, LayerSpec, Settings, Shape, TorchForm
from .window import dims, thousands

INPUT_PRESETS: dict[str, tuple[int, int, int]] = {
    "MNIST": (1, 28, 28),
    "CIFAR": (3, 32, 32),
    "ImageNet": (3, 224, 224),
}


def _input_analyze(s: Settings, shapes: Sequence[Shape]) -> Analysis:
    return Analysis(tuple(s["shape"]))


def _input_explain(s: Settings, shapes: Sequence[Shape], a: Analysis) -> list[str]:
    preset = next((n for n, shape in INPUT_PRESETS.items() if shape == tuple(s["shape"])), "custom")
    return [f"input {dims(a.shape)} ({preset}); {thousands(prod(a.shape))} values per sample"]


INPUT_BLOCK = LayerSpec(
    type="Input",
    category="input",
    prefix="input",
    description="The network's input tensor (channels x height x width).",
    settings=(Setting("shape", SHAPE, (1, 28, 28), "shape", "channels, height, width"),),
    analyze=_input_analyze,
    explain=_input_explain,
    card=lambda s: " x ".join(map(str, s["shape"])),
    forward=INPUT,
    min_inputs=0,
    max_inputs=0,
    backward=Backward(),  # the batch itself: it counts where a block keeps it (the first Conv2d)
)

IDENTITY = LayerSpec(
    type="Identity",
    category="utility",
    prefix="identity",
    description="Passes its input through unchanged: a placeholder, e.g. for a removed head.",
    analyze=same_shape,
    explain=pointwise_explain,
    card=lambda s: "x",
    torch=TorchForm("Identity"),
    backward=Backward(aliases_input=True),  # returns its input tensor
    elementwise=True,
)

BLOCKS = (INPUT_BLOCK, IDENTITY)
