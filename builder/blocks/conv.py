"""Convolution blocks."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import ShapeError
from ..settings import BOOL, INT, PADDING, SIZE2, Setting, pair
from .spec import Analysis, Arg, Backward, ChannelsLast, LayerSpec, Settings, Shape, TorchForm, Window
from .window import (
    effective_kernel,
    expect_image,
    padding_for,
    size_lines,
    size_text,
    slide,
    step_text,
    thousands,
    xy,
)


def _geometry(s: Settings):
    kernel, stride, dilation = pair(s["kernel_size"]), pair(s["stride"]), pair(s["dilation"])
    return kernel, stride, dilation, padding_for(s, kernel, dilation)


def _analyze(s: Settings, shapes: Sequence[Shape]) -> Analysis:
    c, h, w = expect_image("Conv2d", shapes[0])
    groups, out_c = s["groups"], s["out_channels"]
    if c % groups:
        raise ShapeError(
            f"input channels {c} are not divisible by groups {groups}",
            f"set groups to a divisor of {c} (1 for an ordinary convolution, {c} for depthwise)",
            code="groups",
            setting="groups",
        )
    if out_c % groups:
        raise ShapeError(
            f"filters {out_c} (output channels) are not divisible by groups {groups}",
            f"set filters to a multiple of {groups}",
            code="groups",
            setting="out_channels",
        )
    kernel, stride, dilation, pad = _geometry(s)
    same = s["padding"] == "same"
    if same:
        if stride != (1, 1):
            raise ShapeError(
                f"padding 'same' needs stride 1, but stride is {xy(*stride)}",
                "set stride to 1, or give the padding as a number",
                code="same_stride",
                setting="padding",
            )
        oh, ow = h, w
    else:
        oh, ow = slide(h, w, kernel, stride, pad, dilation)
    per_output = kernel[0] * kernel[1] * (c // groups)
    learnable = per_output * out_c + (out_c if s["bias"] else 0)
    window = Window(effective_kernel(kernel, dilation), stride, pad, not same)
    # positional: keyword arguments would double the cost of this call on every edit
    return Analysis((out_c, oh, ow), learnable, 0, out_c * oh * ow * per_output, window)


def _explain(s: Settings, shapes: Sequence[Shape], a: Analysis) -> list[str]:
    kernel, _, dilation, pad = _geometry(s)
    c, out = shapes[0][0], a.shape
    lines = []
    if s["padding"] == "same":
        lines.append(f"padding 'same': P = d*(F-1)/2 = {xy(*pad)}, so H, W stay {xy(*out[1:])}")
    else:
        assert isinstance(a.window, Window)
        lines += size_lines(shapes[0], out, a.window, kernel, dilation)
    g = s["groups"]
    per = f"({c}/{g})" if g != 1 else f"{c}"
    bias = f" + {out[0]}" if s["bias"] else ""
    lines.append(f"params: {kernel[0]}*{kernel[1]}*{per}*{out[0]}{bias} = {thousands(a.learnable)}")
    lines.append(f"MACs: {out[1]}*{out[2]}*{out[0]} * ({kernel[0]}*{kernel[1]}*{per}) = {thousands(a.macs)}")
    return lines


def _card(s: Settings) -> str:
    kernel, stride, padding = size_text(s["kernel_size"]), step_text(s["stride"]), step_text(s["padding"])
    text = f"{kernel}, {s['out_channels']}, s{stride}, p{padding}"
    if s["dilation"] != 1:
        text += f", d{step_text(s['dilation'])}"
    if s["groups"] != 1:
        text += f", g{s['groups']}"
    return text


def _channels(shapes: Sequence[Shape]) -> int:
    return shapes[0][0]


CONV2D = LayerSpec(
    type="Conv2d",
    category="convolution",
    prefix="conv",
    description="2-D convolution: slides learned K x K filters over the input.",
    settings=(
        Setting("out_channels", INT, 16, "filters", "number of filters N", 1, 65536),
        Setting("kernel_size", SIZE2, 3, "kernel", "filter size F (or [height, width])", 1, 1024),
        Setting("stride", SIZE2, 1, "stride", "step S between positions", 1, 1024),
        Setting("padding", PADDING, 0, "padding", "zeros P added on each side, or 'same'", 0, 1024),
        Setting("dilation", SIZE2, 1, "dilation", "spacing between kernel taps", 1, 256),
        Setting("groups", INT, 1, "groups", "split channels into groups (depthwise = channels)", 1, 65536),
        Setting("bias", BOOL, True, "bias", "add a learned bias per filter"),
    ),
    analyze=_analyze,
    explain=_explain,
    card=_card,
    torch=TorchForm(
        "Conv2d",
        (
            Arg("in_channels", from_input=_channels),
            Arg("out_channels", "out_channels"),
            Arg("kernel_size", "kernel_size"),
            Arg("stride", "stride", 1),
            Arg("padding", "padding", 0),
            Arg("dilation", "dilation", 1),
            Arg("groups", "groups", 1),
            Arg("bias", "bias", True, read=lambda m: m.bias is not None),
            Arg("padding_mode", default="zeros", fixed="zeros"),
        ),
        # ConvNeXt's 1x1 convolutions are nn.Linear layers between two permutes
        channels_last=ChannelsLast(
            "Linear",
            channels=lambda m: m.in_features,
            settings=lambda m: {"out_channels": m.out_features, "kernel_size": 1, "bias": m.bias is not None},
        ),
    ),
    input_rank=3,
    shows_filters=True,
    fixes=("same_padding",),
    # the weight gradient is computed from the input (the weights themselves count as weights)
    backward=Backward(saves_input=True),
)

BLOCKS = (CONV2D,)
