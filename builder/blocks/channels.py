"""Blocks that rearrange or select channels: ChannelShuffle and the channel Slice (ShuffleNet)."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import ShapeError
from ..settings import INT, Setting
from .spec import SLICE, Analysis, Arg, Backward, LayerSpec, Merge, Settings, Shape, TorchForm
from .window import dims, expect_image


def _shuffle_analyze(s: Settings, shapes: Sequence[Shape]) -> Analysis:
    c, _, _ = expect_image("ChannelShuffle", shapes[0])
    groups = s["groups"]
    if c % groups:
        raise ShapeError(
            f"input channels {c} are not divisible by groups {groups}",
            f"set groups to a divisor of {c}",
            code="groups",
            setting="groups",
        )
    return Analysis(shapes[0])


def _shuffle_explain(s: Settings, shapes: Sequence[Shape], a: Analysis) -> list[str]:
    c, g = a.shape[0], s["groups"]
    return [
        f"{c} channels = {g} groups of {c // g}; channel i of group j moves to position i*{g} + j, "
        "so the next grouped convolution sees every group",
        f"shape stays {dims(a.shape)}; params: 0",
    ]


CHANNEL_SHUFFLE = LayerSpec(
    type="ChannelShuffle",
    category="utility",
    prefix="shuffle",
    description="Interleaves the channels of its groups, so that information crosses the groups "
    "of grouped convolutions (ShuffleNet).",
    settings=(Setting("groups", INT, 2, "groups", "number of channel groups to interleave", 1, 65536),),
    analyze=_shuffle_analyze,
    explain=_shuffle_explain,
    card=lambda s: f"{s['groups']} groups",
    torch=TorchForm(
        "ChannelShuffle",
        (Arg("groups", "groups"),),
        # torchvision's ShuffleNet calls its own view-transpose-view function
        functions=("torchvision.models.shufflenetv2.channel_shuffle(x, groups)",),
    ),
    input_rank=3,
    backward=Backward(),  # a permutation: its gradient is the inverse permutation
)


def _slice_analyze(s: Settings, shapes: Sequence[Shape]) -> Analysis:
    shape = shapes[0]
    c, start, end = shape[0], s["start"], s["end"]
    what = "channels" if len(shape) == 3 else "features"
    if end > c:
        raise ShapeError(
            f"{what} [{start}, {end}) reach past the input's {c} {what}",
            f"set end to at most {c}",
            code="slice_range",
            setting="end",
        )
    if start >= end:
        raise ShapeError(
            f"{what} [{start}, {end}) are empty: start must be below end",
            f"set start below {end}, or end above {start}",
            code="slice_range",
            setting="start",
        )
    return Analysis((end - start, *shape[1:]))


def _slice_explain(s: Settings, shapes: Sequence[Shape], a: Analysis) -> list[str]:
    start, end = s["start"], s["end"]
    return [
        f"{'channels' if len(a.shape) == 3 else 'features'} {start} to {end - 1} of {shapes[0][0]}: "
        f"{end} - {start} = {a.shape[0]}; output {dims(a.shape)}; params: 0"
    ]


def _slice_code(names: Sequence[str], s: Settings) -> str:
    start = s["start"] or ""  # x[:, :58] rather than x[:, 0:58]
    return f"{names[0]}[:, {start}:{s['end']}]"


SLICE_BLOCK = LayerSpec(
    type="Slice",
    category="merge",
    prefix="slice",
    description="Keeps the channels from start up to (not including) end: one part of a channel "
    "split, as ShuffleNet's x.chunk(2, dim=1).",
    settings=(
        Setting("start", INT, 0, "start", "first channel kept", 0, 65535),
        Setting("end", INT, 1, "end", "channel after the last one kept", 1, 65536),
    ),
    analyze=_slice_analyze,
    explain=_slice_explain,
    card=lambda s: f"channels {s['start']}:{s['end']}",
    merge=Merge(_slice_code, lambda xs, s: xs[0][:, s["start"] : s["end"]]),
    forward=SLICE,
    backward=Backward(aliases_input=True),  # a view of its input
)

BLOCKS = (CHANNEL_SHUFFLE, SLICE_BLOCK)
