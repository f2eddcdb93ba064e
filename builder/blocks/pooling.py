"""Pooling blocks: max and average windows, and adaptive (global) pooling."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import ShapeError
from ..settings import BOOL, SIZE2, Setting, pair
from .spec import GLOBAL, INT64, Analysis, Arg, Backward, Kept, LayerSpec, Settings, Shape, TorchForm, Window
from .window import expect_image, size_lines, size_text, slide, step_text, xy


def _geometry(s: Settings):
    kernel = pair(s["kernel_size"])
    stride = pair(s["stride"]) if s["stride"] is not None else kernel
    return kernel, stride, pair(s["padding"])


def _analyze_for(block: str):
    def analyze(s: Settings, shapes: Sequence[Shape]) -> Analysis:
        c, h, w = expect_image(block, shapes[0])
        kernel, stride, pad = _geometry(s)
        if 2 * pad[0] > kernel[0] or 2 * pad[1] > kernel[1]:
            raise ShapeError(
                f"padding {xy(*pad)} is more than half the kernel {xy(*kernel)}",
                f"set padding to at most {kernel[0] // 2}",
                code="pool_padding",
                setting="padding",
            )
        ceil_mode = s["ceil_mode"]
        oh, ow = slide(h, w, kernel, stride, pad, ceil_mode=ceil_mode)
        return Analysis((c, oh, ow), 0, 0, 0, Window(kernel, stride, pad, not ceil_mode))

    return analyze


def _explain(s: Settings, shapes: Sequence[Shape], a: Analysis) -> list[str]:
    assert isinstance(a.window, Window)
    lines = size_lines(shapes[0], a.shape, a.window, a.window.kernel, ceil_mode=s["ceil_mode"])
    lines.append(f"channels stay {a.shape[0]}; params: 0 (pooling has no weights)")
    return lines


def _card(s: Settings) -> str:
    stride = s["stride"] if s["stride"] is not None else s["kernel_size"]
    text = f"{size_text(s['kernel_size'])}, s{step_text(stride)}"
    if s["padding"] != 0:
        text += f", p{step_text(s['padding'])}"
    return text + (", ceil" if s["ceil_mode"] else "")


def _stride_none_when_kernel(s: Settings) -> Settings:
    # torch stores stride = kernel_size when none was given; ConvCanvas keeps "none" for that
    return {**s, "stride": None} if s.get("stride") == s["kernel_size"] else s


_SETTINGS = (
    Setting("kernel_size", SIZE2, 2, "kernel", "window size F", min=1, max=1024),
    Setting(
        "stride",
        SIZE2,
        None,
        "stride",
        "step S between windows; empty means the kernel size",
        min=1,
        max=1024,
        optional=True,
    ),
    Setting("padding", SIZE2, 0, "padding", "P on each side, at most half the kernel", min=0, max=512),
    Setting("ceil_mode", BOOL, False, "ceil mode", "round the output size up instead of down"),
)

_WINDOW_ARGS = (
    Arg("kernel_size", "kernel_size"),
    Arg("stride", "stride", None),
    Arg("padding", "padding", 0),
)


def _indices(s: Settings, shapes: Sequence[Shape], out: Shape) -> tuple[Kept, ...]:
    # where each maximum came from, one int64 per output value
    return (Kept(out[0] * out[1] * out[2], INT64),)


# max pooling keeps its input and the indices of the maxima
_MAX_BACKWARD = Backward(saves_input=True, extra=_indices)

MAX_POOL = LayerSpec(
    type="MaxPool2d",
    category="pooling",
    prefix="pool",
    description="Max pooling: keeps the largest value of each window.",
    settings=_SETTINGS,
    analyze=_analyze_for("MaxPool2d"),
    explain=_explain,
    card=_card,
    torch=TorchForm(
        "MaxPool2d",
        (
            *_WINDOW_ARGS,
            Arg("dilation", default=1, fixed=1, accepts=((1, 1),)),
            Arg("return_indices", default=False, fixed=False),
            Arg("ceil_mode", "ceil_mode", False),
        ),
        functions=(
            "torch.nn.functional.max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, "
            "ceil_mode=False, return_indices=False)",
        ),
        settings_from_torch=_stride_none_when_kernel,
    ),
    input_rank=3,
    backward=_MAX_BACKWARD,
)

AVG_POOL = LayerSpec(
    type="AvgPool2d",
    category="pooling",
    prefix="avgpool",
    description="Average pooling: averages each window.",
    settings=(
        *_SETTINGS,
        Setting("count_include_pad", BOOL, True, "count padding", "include padded zeros in the mean"),
    ),
    analyze=_analyze_for("AvgPool2d"),
    explain=_explain,
    card=_card,
    torch=TorchForm(
        "AvgPool2d",
        (
            *_WINDOW_ARGS,
            Arg("ceil_mode", "ceil_mode", False),
            Arg("count_include_pad", "count_include_pad", True),
            Arg("divisor_override", default=None, fixed=None),
        ),
        functions=(
            "torch.nn.functional.avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, "
            "count_include_pad=True, divisor_override=None)",
        ),
        settings_from_torch=_stride_none_when_kernel,
    ),
    input_rank=3,
    backward=Backward(saves_input=True),  # torch's kernel keeps the input, if only for its size
)


def _adaptive_analyze_for(block: str):
    def analyze(s: Settings, shapes: Sequence[Shape]) -> Analysis:
        c, _, _ = expect_image(block, shapes[0])
        oh, ow = pair(s["output_size"])
        return Analysis((c, oh, ow), window=GLOBAL)

    return analyze


def _adaptive_explain(s: Settings, shapes: Sequence[Shape], a: Analysis) -> list[str]:
    _, h, w = shapes[0]
    return [f"{xy(h, w)} is split into {xy(*a.shape[1:])} regions, one value per region and channel"]


def _adaptive_card(s: Settings) -> str:
    return "global" if s["output_size"] == 1 else f"to {size_text(s['output_size'])}"


_OUTPUT_SIZE = (Setting("output_size", SIZE2, 1, "output size", "H x W of the output", 1, 4096),)

ADAPTIVE_AVG_POOL = LayerSpec(
    type="AdaptiveAvgPool2d",
    category="pooling",
    prefix="adapool",
    description="Averages into a fixed output size, whatever the input size "
    "(output size 1: global average pooling).",
    settings=_OUTPUT_SIZE,
    analyze=_adaptive_analyze_for("AdaptiveAvgPool2d"),
    explain=_adaptive_explain,
    card=_adaptive_card,
    torch=TorchForm(
        "AdaptiveAvgPool2d",
        (Arg("output_size", "output_size"),),
        functions=("torch.nn.functional.adaptive_avg_pool2d(input, output_size)",),
    ),
    input_rank=3,
    # to 1 x 1 torch takes the mean, which keeps nothing; other sizes keep the input
    backward=Backward(saves_input=lambda s: pair(s["output_size"]) != (1, 1)),
)

ADAPTIVE_MAX_POOL = LayerSpec(
    type="AdaptiveMaxPool2d",
    category="pooling",
    prefix="adamaxpool",
    description="Max-pools into a fixed output size.",
    settings=_OUTPUT_SIZE,
    analyze=_adaptive_analyze_for("AdaptiveMaxPool2d"),
    explain=_adaptive_explain,
    card=_adaptive_card,
    torch=TorchForm(
        "AdaptiveMaxPool2d",
        (Arg("output_size", "output_size"), Arg("return_indices", default=False, fixed=False)),
        functions=("torch.nn.functional.adaptive_max_pool2d(input, output_size, return_indices=False)",),
    ),
    input_rank=3,
    backward=_MAX_BACKWARD,
)

BLOCKS = (MAX_POOL, AVG_POOL, ADAPTIVE_AVG_POOL, ADAPTIVE_MAX_POOL)
