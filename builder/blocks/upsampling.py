"""Blocks that enlarge the image: the transposed convolution and Upsample (decoders, U-Nets).

An upsampling block never drops input rows, and its output step is a fraction 1/S of an
input pixel: its `Window` says so with a Fraction stride, which receptive-field tracking
carries on exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from ..errors import ShapeError
from ..settings import BOOL, CHOICE, INT, SIZE2, Setting, pair
from .spec import Analysis, Arg, Backward, LayerSpec, Settings, Shape, TorchForm, Window
from .window import dims, expect_image, size_text, step_text, thousands, xy


def _step(s: int) -> int | Fraction:
    """Input pixels per output step of a block that upsamples by `s` (kept an int for 1)."""
    return 1 if s == 1 else Fraction(1, s)


def _transposed_span(k: int, d: int, s: int) -> int:
    """Input pixels between the first and the last that reach one output pixel, inclusive.

    Output o takes input i through tap t where i*S + t*D = o + P, so the taps reaching one
    output are those whose offsets t*D agree modulo S; the widest such pair sets the span.
    """
    return max(t * d // s for t in range(k) if (t * d) % s == 0) + 1


def _geometry(s: Settings):
    return (
        pair(s["kernel_size"]),
        pair(s["stride"]),
        pair(s["padding"]),
        pair(s["output_padding"]),
        pair(s["dilation"]),
    )


def _transposed_size(n: int, k: int, s: int, p: int, op: int, d: int) -> int:
    """(N - 1)*S - 2P + D*(F - 1) + output_padding + 1, torch's output-size rule."""
    return (n - 1) * s - 2 * p + d * (k - 1) + op + 1


def _size_rule(axis: str, n: int, k: int, s: int, p: int, op: int, d: int) -> str:
    out = _transposed_size(n, k, s, p, op, d)
    return f"{axis}: ({n} - 1)*{s} - 2*{p} + {d}*({k} - 1) + {op} + 1 = {out}"


def _transposed_analyze(s: Settings, shapes: Sequence[Shape]) -> Analysis:
    c, h, w = expect_image("ConvTranspose2d", shapes[0])
    groups, out_c = s["groups"], s["out_channels"]
    for what, n, setting in (("input", c, "groups"), ("output", out_c, "out_channels")):
        if n % groups:
            raise ShapeError(
                f"{what} channels {n} are not divisible by groups {groups}",
                f"set groups to a divisor of {n}",
                code="groups",
                setting=setting,
            )
    kernel, stride, pad, out_pad, dilation = _geometry(s)
    for axis in (0, 1):
        if out_pad[axis] >= max(stride[axis], dilation[axis]):
            raise ShapeError(
                f"output padding {xy(*out_pad)} must be smaller than the stride {xy(*stride)} "
                f"or the dilation {xy(*dilation)}",
                "set output padding to at most stride - 1 (it only picks among the sizes that "
                "a stride makes possible)",
                code="output_padding",
                setting="output_padding",
            )
    oh = _transposed_size(h, kernel[0], stride[0], pad[0], out_pad[0], dilation[0])
    ow = _transposed_size(w, kernel[1], stride[1], pad[1], out_pad[1], dilation[1])
    if oh <= 0 or ow <= 0:
        axis, n = (0, h) if oh <= 0 else (1, w)
        rule = _size_rule("HW"[axis], n, kernel[axis], stride[axis], pad[axis], out_pad[axis], dilation[axis])
        raise ShapeError(
            f"padding {xy(*pad)} crops away the whole output: {rule} is not positive",
            "use less padding, or a larger kernel or stride",
            code="kernel_too_large",
            setting="padding",
        )
    taps = kernel[0] * kernel[1] * (out_c // groups)  # outputs each input value is spread over
    learnable = taps * c + (out_c if s["bias"] else 0)
    window = Window(
        (
            _transposed_span(kernel[0], dilation[0], stride[0]),
            _transposed_span(kernel[1], dilation[1], stride[1]),
        ),
        (_step(stride[0]), _step(stride[1])),
        (0, 0),
        False,  # every input row reaches the output
    )
    return Analysis((out_c, oh, ow), learnable, 0, c * h * w * taps, window)


def _transposed_explain(s: Settings, shapes: Sequence[Shape], a: Analysis) -> list[str]:
    kernel, stride, pad, out_pad, dilation = _geometry(s)
    c, h, w = shapes[0]
    hline = _size_rule("H", h, kernel[0], stride[0], pad[0], out_pad[0], dilation[0])
    wline = _size_rule("W", w, kernel[1], stride[1], pad[1], out_pad[1], dilation[1])
    lines = ["H, W" + hline[1:]] if hline[1:] == wline[1:] else [hline, wline]
    g, out = s["groups"], a.shape[0]
    per = f"({out}/{g})" if g != 1 else f"{out}"
    bias = f" + {out}" if s["bias"] else ""
    lines.append(f"params: {kernel[0]}*{kernel[1]}*{c}*{per}{bias} = {thousands(a.learnable)}")
    lines.append(
        f"MACs: each of the {c}*{h}*{w} input values is spread over {kernel[0]}*{kernel[1]}*{per} "
        f"outputs = {thousands(a.macs)}"
    )
    return lines


def _transposed_card(s: Settings) -> str:
    text = f"{size_text(s['kernel_size'])}, {s['out_channels']}, s{step_text(s['stride'])}"
    if s["padding"] != 0:
        text += f", p{step_text(s['padding'])}"
    if s["output_padding"] != 0:
        text += f", op{step_text(s['output_padding'])}"
    if s["dilation"] != 1:
        text += f", d{step_text(s['dilation'])}"
    if s["groups"] != 1:
        text += f", g{s['groups']}"
    return text


CONV_TRANSPOSE_2D = LayerSpec(
    type="ConvTranspose2d",
    category="convolution",
    prefix="tconv",
    description="Transposed convolution: spreads each input value over a K x K patch of the "
    "output, S pixels apart, so a stride enlarges the image (decoders, U-Nets).",
    settings=(
        Setting("out_channels", INT, 16, "filters", "number of output channels N", 1, 65536),
        Setting("kernel_size", SIZE2, 2, "kernel", "filter size F (or [height, width])", 1, 1024),
        Setting("stride", SIZE2, 2, "stride", "upsampling factor S", 1, 1024),
        Setting("padding", SIZE2, 0, "padding", "P rows cropped from each side of the output", 0, 1024),
        Setting(
            "output_padding", SIZE2, 0, "output padding", "rows added on one side (less than S)", 0, 1023
        ),
        Setting("dilation", SIZE2, 1, "dilation", "spacing between kernel taps", 1, 256),
        Setting("groups", INT, 1, "groups", "split channels into groups", 1, 65536),
        Setting("bias", BOOL, True, "bias", "add a learned bias per output channel"),
    ),
    analyze=_transposed_analyze,
    explain=_transposed_explain,
    card=_transposed_card,
    torch=TorchForm(
        "ConvTranspose2d",
        (
            Arg("in_channels", from_input=lambda shapes: shapes[0][0]),
            Arg("out_channels", "out_channels"),
            Arg("kernel_size", "kernel_size"),
            Arg("stride", "stride", 1),
            Arg("padding", "padding", 0),
            Arg("output_padding", "output_padding", 0),
            Arg("groups", "groups", 1),
            Arg("bias", "bias", True, read=lambda m: m.bias is not None),
            Arg("dilation", "dilation", 1),
            Arg("padding_mode", default="zeros", fixed="zeros"),
        ),
    ),
    input_rank=3,
    backward=Backward(saves_input=True),  # for the weight gradient
)


def _upsample_analyze(s: Settings, shapes: Sequence[Shape]) -> Analysis:
    c, h, w = expect_image("Upsample", shapes[0])
    if s["align_corners"] and s["mode"] == "nearest":
        raise ShapeError(
            "align corners applies to bilinear interpolation only, but the mode is nearest",
            "turn align corners off, or set the mode to bilinear",
            code="align_corners",
            setting="align_corners",
        )
    sh, sw = pair(s["scale_factor"])
    # a bilinear output value mixes the two nearest input pixels on each axis
    kh, kw = (2 if sh > 1 else 1, 2 if sw > 1 else 1) if s["mode"] == "bilinear" else (1, 1)
    window = Window((kh, kw), (_step(sh), _step(sw)), (0, 0), False)
    return Analysis((c, h * sh, w * sw), 0, 0, 0, window)


def _upsample_explain(s: Settings, shapes: Sequence[Shape], a: Analysis) -> list[str]:
    _, h, w = shapes[0]
    sh, sw = pair(s["scale_factor"])
    lines = [f"H: {h}*{sh} = {a.shape[1]}, W: {w}*{sw} = {a.shape[2]}"]
    if s["mode"] == "nearest":
        lines.append(f"each input pixel is repeated {xy(sh, sw)} times; params: 0")
    else:
        corners = "corner pixels aligned" if s["align_corners"] else "pixel centres aligned"
        lines.append(f"each output value interpolates its nearest input pixels ({corners}); params: 0")
    lines.append(f"output {dims(a.shape)}")
    return lines


def _upsample_card(s: Settings) -> str:
    text = f"×{step_text(s['scale_factor'])} {s['mode']}"
    return text + (", corners" if s["align_corners"] else "")


def _align_corners_from_torch(s: Settings) -> Settings:
    # torch's None (its default) is False for bilinear and the only value nearest takes
    return {**s, "align_corners": bool(s.get("align_corners"))}


UPSAMPLE = LayerSpec(
    type="Upsample",
    category="pooling",
    prefix="up",
    description="Enlarges the image by a whole factor, repeating pixels (nearest) or "
    "interpolating between them (bilinear); no weights.",
    settings=(
        Setting("scale_factor", SIZE2, 2, "scale", "factor for height and width (or [h, w])", 1, 64),
        Setting(
            "mode", CHOICE, "nearest", "mode", "how new pixels are filled", choices=("nearest", "bilinear")
        ),
        Setting("align_corners", BOOL, False, "align corners", "bilinear: map corner pixels onto corners"),
    ),
    analyze=_upsample_analyze,
    explain=_upsample_explain,
    card=_upsample_card,
    torch=TorchForm(
        "Upsample",
        (
            Arg("size", default=None, fixed=None),
            Arg("scale_factor", "scale_factor", None),
            Arg("mode", "mode", "nearest"),
            Arg("align_corners", "align_corners", None, write=lambda s: True if s["align_corners"] else None),
            # with a whole scale factor, recomputing it from the output size changes nothing
            Arg("recompute_scale_factor", default=None, fixed=None, accepts=(False, True)),
            Arg("antialias", default=False, fixed=False, read=lambda m: False),  # F.interpolate only
        ),
        functions=(
            "torch.nn.functional.interpolate(input, size=None, scale_factor=None, mode='nearest', "
            "align_corners=None, recompute_scale_factor=None, antialias=False)",
        ),
        settings_from_torch=_align_corners_from_torch,
    ),
    input_rank=3,
    backward=Backward(),  # its gradient needs only the sizes
)

BLOCKS = (CONV_TRANSPOSE_2D, UPSAMPLE)
