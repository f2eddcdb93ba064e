"""Normalisation blocks."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import ShapeError
from ..settings import BOOL, FLOAT, INT, Setting
from .spec import (
    SCALE,
    Analysis,
    Arg,
    Backward,
    ChannelsLast,
    Kept,
    LayerSpec,
    Merge,
    OwnTensor,
    Settings,
    Shape,
    TorchForm,
)
from .window import dims, expect_image, thousands


def _running_stats_required(m) -> bool:
    # without running statistics a BatchNorm normalises by the batch at test time too
    return bool(m.track_running_stats) and m.momentum is not None


def _batch_norm_args() -> tuple[Arg, ...]:
    return (
        Arg("num_features", from_input=lambda shapes: shapes[0][0]),
        Arg("eps", "eps", 1e-5),
        Arg("momentum", "momentum", 0.1),
        Arg("affine", "affine", True),
        Arg("track_running_stats", default=True, fixed=True, read=_running_stats_required),
    )


def _batch_norm_counts(s: Settings, shape: Shape) -> Analysis:
    c = shape[0]
    # running mean, running variance and the batch counter
    return Analysis(shape, 2 * c if s["affine"] else 0, 2 * c + 1)


def _bn2d_analyze(s: Settings, shapes: Sequence[Shape]) -> Analysis:
    return _batch_norm_counts(s, expect_image("BatchNorm2d", shapes[0]))


def _bn1d_analyze(s: Settings, shapes: Sequence[Shape]) -> Analysis:
    if len(shapes[0]) != 1:
        raise ShapeError(
            f"BatchNorm1d needs a flat vector but gets {dims(shapes[0])}",
            "use BatchNorm2d for C x H x W tensors",
            code="needs_vector",
        )
    return _batch_norm_counts(s, shapes[0])


def _batch_statistics(s: Settings, shapes: Sequence[Shape], out: Shape) -> tuple[Kept, ...]:
    # the batch mean and inverse standard deviation, one value per channel for the whole batch
    return (Kept(shapes[0][0], per_sample=False), Kept(shapes[0][0], per_sample=False))


# the input, to normalise the gradient by; the running statistics are buffers (weights)
_BN_BACKWARD = Backward(saves_input=True, extra=_batch_statistics)


def _bn_explain(s: Settings, shapes: Sequence[Shape], a: Analysis) -> list[str]:
    c = shapes[0][0]
    learn = f"2*{c} = {thousands(2 * c)} (a scale and a shift per channel)" if s["affine"] else "0"
    return [
        f"normalises each of the {c} channels; shape stays {dims(a.shape)}",
        f"params: {learn}; running mean and variance add {thousands(2 * c)} non-trained values",
    ]


def _bn_settings(what: str) -> tuple[Setting, ...]:
    return (
        Setting("eps", FLOAT, 1e-5, "epsilon", "added to the variance for stability", 0.0, 1.0),
        Setting("momentum", FLOAT, 0.1, "momentum", "update rate of the running statistics", 0.0, 1.0),
        Setting("affine", BOOL, True, "affine", f"learn a scale and shift per {what}"),
    )


BATCH_NORM_2D = LayerSpec(
    type="BatchNorm2d",
    category="normalization",
    prefix="bn",
    description="Normalises each channel over the batch, then scales and shifts.",
    settings=_bn_settings("channel"),
    analyze=_bn2d_analyze,
    explain=_bn_explain,
    card=lambda s: "per channel" if s["affine"] else "per channel, no affine",
    torch=TorchForm("BatchNorm2d", _batch_norm_args()),
    input_rank=3,
    backward=_BN_BACKWARD,
)

BATCH_NORM_1D = LayerSpec(
    type="BatchNorm1d",
    category="normalization",
    prefix="bn",
    description="Batch normalisation of a flat feature vector.",
    settings=_bn_settings("feature"),
    analyze=_bn1d_analyze,
    explain=_bn_explain,
    card=lambda s: "per feature" if s["affine"] else "per feature, no affine",
    torch=TorchForm("BatchNorm1d", _batch_norm_args()),
    input_rank=1,
    backward=_BN_BACKWARD,
)


def _lrn_analyze(s: Settings, shapes: Sequence[Shape]) -> Analysis:
    return Analysis(expect_image("LocalResponseNorm", shapes[0]))


def _lrn_explain(s: Settings, shapes: Sequence[Shape], a: Analysis) -> list[str]:
    return [
        f"each value is divided by (k + alpha/n * sum of squares over {s['size']} neighbouring "
        f"channels)^beta; shape stays {dims(a.shape)}; params: 0"
    ]


def _lrn_kept(s: Settings, shapes: Sequence[Shape], out: Shape) -> tuple[Kept, ...]:
    # torch composes it from tensor ops: the squares padded by size - 1 channels (kept by an
    # average pool), then the sum raised to beta (its input and its output are both kept)
    c, h, w = shapes[0]
    return (Kept((c + s["size"] - 1) * h * w), Kept(c * h * w), Kept(c * h * w))


LOCAL_RESPONSE_NORM = LayerSpec(
    type="LocalResponseNorm",
    category="normalization",
    prefix="lrn",
    description="Local response normalisation across neighbouring channels (AlexNet).",
    settings=(
        Setting("size", INT, 5, "size", "number of neighbouring channels", 1, 1024),
        Setting("alpha", FLOAT, 1e-4, "alpha", "scale", 0.0, 10.0),
        Setting("beta", FLOAT, 0.75, "beta", "exponent", 0.0, 10.0),
        Setting("k", FLOAT, 1.0, "k", "additive constant", 0.0, 100.0),
    ),
    analyze=_lrn_analyze,
    explain=_lrn_explain,
    card=lambda s: f"size {s['size']}",
    torch=TorchForm(
        "LocalResponseNorm",
        (Arg("size", "size"), Arg("alpha", "alpha", 1e-4), Arg("beta", "beta", 0.75), Arg("k", "k", 1.0)),
        functions=("torch.nn.functional.local_response_norm(input, size, alpha=0.0001, beta=0.75, k=1.0)",),
    ),
    input_rank=3,
    backward=Backward(saves_input=True, extra=_lrn_kept),
)


def _layer_norm_analyze(s: Settings, shapes: Sequence[Shape]) -> Analysis:
    c, _, _ = expect_image("LayerNorm2d", shapes[0])
    return Analysis(shapes[0], 2 * c if s["affine"] else 0)


def _layer_norm_explain(s: Settings, shapes: Sequence[Shape], a: Analysis) -> list[str]:
    c, h, w = shapes[0]
    learn = f"2*{c} = {thousands(2 * c)} (a scale and a shift per channel)" if s["affine"] else "0"
    return [
        f"at each of the {h}*{w} positions, the {c} channel values are normalised by their own "
        f"mean and variance (no batch statistics); shape stays {dims(a.shape)}",
        f"params: {learn}",
    ]


def _normalized_channels(m) -> int | tuple[int, ...]:
    # the channel count of a LayerNorm over channels alone; its whole shape otherwise
    shape = tuple(m.normalized_shape)
    return shape[0] if len(shape) == 1 else shape


def _has_bias(m) -> bool:
    return m.bias is not None or not m.elementwise_affine  # no bias without an affine


def _pixel_statistics(s: Settings, shapes: Sequence[Shape], out: Shape) -> tuple[Kept, ...]:
    # the mean and inverse standard deviation of every pixel's channels
    _, h, w = shapes[0]
    return (Kept(h * w), Kept(h * w))


LAYER_NORM_2D = LayerSpec(
    type="LayerNorm2d",
    category="normalization",
    prefix="ln",
    description="Normalises the channels at each pixel by their mean and variance, then scales "
    "and shifts (ConvNeXt); the same in training and evaluation.",
    settings=(
        Setting("eps", FLOAT, 1e-5, "epsilon", "added to the variance for stability", 0.0, 1.0),
        Setting("affine", BOOL, True, "affine", "learn a scale and shift per channel"),
    ),
    analyze=_layer_norm_analyze,
    explain=_layer_norm_explain,
    card=lambda s: "over channels" if s["affine"] else "over channels, no affine",
    torch=TorchForm(
        "torchvision.models.convnext.LayerNorm2d",
        (
            Arg("normalized_shape", from_input=lambda shapes: shapes[0][0], read=_normalized_channels),
            Arg("eps", "eps", 1e-5),
            Arg("elementwise_affine", "affine", True),
            Arg("bias", default=True, fixed=True, read=_has_bias),
        ),
        # ConvNeXt's blocks normalise with nn.LayerNorm(C) between two permutes
        channels_last=ChannelsLast("LayerNorm", channels=_normalized_channels),
    ),
    input_rank=3,
    backward=Backward(saves_input=True, extra=_pixel_statistics),
)


def _layer_scale_analyze(s: Settings, shapes: Sequence[Shape]) -> Analysis:
    c, _, _ = expect_image("LayerScale", shapes[0])
    return Analysis(shapes[0], c)


def _layer_scale_explain(s: Settings, shapes: Sequence[Shape], a: Analysis) -> list[str]:
    c = shapes[0][0]
    return [
        f"each of the {c} channels is multiplied by its own learned scale, which starts at "
        f"{s['init']:g}; shape stays {dims(a.shape)}",
        f"params: {thousands(c)} (a {c} x 1 x 1 tensor)",
    ]


LAYER_SCALE = LayerSpec(
    type="LayerScale",
    category="normalization",
    prefix="scale",
    description="Multiplies each channel by a learned scale that starts small, so a residual "
    "branch starts close to zero (ConvNeXt).",
    settings=(Setting("init", FLOAT, 1e-6, "initial scale", "value every scale starts at", 0.0, 1000.0),),
    analyze=_layer_scale_analyze,
    explain=_layer_scale_explain,
    card=lambda s: f"per channel, from {s['init']:g}",
    merge=Merge(
        lambda names, s: f"{names[0]} * {names[1]}",
        lambda xs, s: xs[0] * xs[1],
        parameter=OwnTensor(lambda s, shapes: (shapes[0][0], 1, 1), lambda s: s["init"]),
    ),
    forward=SCALE,
    input_rank=3,
    backward=Backward(saves_input=True),  # for the scale's gradient
)

BLOCKS = (BATCH_NORM_2D, BATCH_NORM_1D, LOCAL_RESPONSE_NORM, LAYER_NORM_2D, LAYER_SCALE)
