"""The layer catalog: one `LayerSpec` per block type, read by everything else.

Inference, the model builder, the code exporter, the palette and the inspector all read
these declarations; adding a block type is adding one entry to `CATALOG`.

Shapes leave out the batch dimension: ``(C, H, W)`` for images, ``(F,)`` for vectors.
Shape rules raise `ShapeError` with the numbers that broke them; the node id is added by
`builder.inference`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from math import prod
from typing import Any

from .errors import ShapeError
from .settings import BOOL, CHOICE, FLOAT, INT, PADDING, SHAPE, SIZE2, Setting, pair

Shape = tuple[int, ...]
Settings = dict[str, Any]

# Forward kinds: how a node's output is computed from its inputs.
MODULE = "module"  # out = self.<id>(x)
ADD = "add"  # out = a + b + ...
CONCAT = "concat"  # out = torch.cat([a, b, ...], dim=1)
INPUT = "input"

GLOBAL = "global"  # window() result: the output sees the whole input


@dataclass(frozen=True, slots=True)
class TorchCall:
    """A torch.nn constructor call: ``nn.<cls>(*args, **kwargs)``."""

    cls: str
    args: tuple = ()
    kwargs: tuple[tuple[str, Any], ...] = ()

    def build(self):
        from torch import nn

        return getattr(nn, self.cls)(*self.args, **dict(self.kwargs))

    def code(self) -> str:
        parts = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs]
        return f"nn.{self.cls}({', '.join(parts)})"


def _none(*_a) -> None:
    return None


def _zero(*_a) -> int:
    return 0


def _no_state(*_a) -> tuple[int, int]:
    return (0, 0)


@dataclass(frozen=True, slots=True)
class LayerSpec:
    """Declaration of one block type.

    infer(params, input_shapes) -> output shape, raising ShapeError.
    count(params, input_shapes) -> (learnable parameters, non-learnable buffers).
    macs(params, input_shapes, output_shape) -> multiply-accumulates per sample.
    window(params) -> ((kh, kw), (sh, sw), (ph, pw)) of effective kernel, stride and
        padding for receptive-field tracking; None for point-wise blocks, GLOBAL for blocks
        whose output sees the whole input.
    torch(params, input_shapes) -> TorchCall, or None for Input, Add and Concat.
    explain(params, input_shapes, output_shape) -> lines of arithmetic with the numbers.
    analyze(params, input_shapes) -> (shape, learnable, buffers, macs, window) in one call; by
        default composed from the four above, fused where a block's arithmetic is shared.
    """

    type: str
    category: str
    prefix: str
    description: str
    infer: Callable[[Settings, list[Shape]], Shape]
    settings: tuple[Setting, ...] = ()
    count: Callable[[Settings, list[Shape]], tuple[int, int]] = _no_state
    macs: Callable[[Settings, list[Shape], Shape], int] = _zero
    window: Callable[[Settings], Any] = _none
    torch: Callable[[Settings, list[Shape]], TorchCall | None] = _none
    explain: Callable[[Settings, list[Shape], Shape], list[str]] = lambda *_a: []
    analyze: Callable | None = None  # fused infer+count+macs+window; composed when not given
    forward: str = MODULE
    min_inputs: int = 1
    max_inputs: int | None = 1
    input_rank: int | None = None  # 3 for image blocks, 1 for vector blocks, None for any
    card: Callable[[Settings], str] = lambda _s: ""
    shows_filters: bool = False  # its weights are image filters worth drawing
    outputs_probabilities: bool = False  # a final one is skipped by training (it uses the scores)

    def card_text(self, settings: Settings) -> str:
        """Key settings in the compact form of course notes: '5x5, 6, s1, p2'."""
        return self.card(settings)

    def __post_init__(self) -> None:
        if self.analyze is None:
            infer, count, macs, window = self.infer, self.count, self.macs, self.window

            def analyze(p: Settings, shapes: list[Shape]):
                shape = infer(p, shapes)
                learnable, buffers = count(p, shapes)
                return shape, learnable, buffers, macs(p, shapes, shape), window(p)

            object.__setattr__(self, "analyze", analyze)

    def setting(self, name: str) -> Setting:
        for p in self.settings:
            if p.name == name:
                return p
        raise KeyError(f"{self.type} has no parameter {name!r}")

    def defaults(self) -> Settings:
        return {p.name: p.default for p in self.settings}


# ---------------------------------------------------------------------------------------
# Shared arithmetic


def _hw(shape: Shape) -> str:
    return " x ".join(str(d) for d in shape)


def _xy(h: int, w: int) -> str:
    return f"{h}x{w}"


def _expect_image(block: str, shape: Shape) -> tuple[int, int, int]:
    if len(shape) != 3:
        raise ShapeError(
            f"{block} needs a C x H x W input but gets a flat vector of {shape[0]} features",
            "move it before the Flatten, or use Linear for flat vectors",
            code="needs_image",
        )
    return shape


def _padding_for(p: Settings, kh: int, kw: int, dh: int, dw: int) -> tuple[int, int]:
    padding = p["padding"]
    if padding == "valid":
        return (0, 0)
    if padding == "same":
        # torch pads (d*(k-1))//2 on the left/top and the rest on the right/bottom.
        return ((dh * (kh - 1)) // 2, (dw * (kw - 1)) // 2)
    return pair(padding)


def _window_size(n: int, k: int, s: int, pad: int, ceil_mode: bool) -> tuple[int, int]:
    """Output size of a sliding window and how many input rows the windows never reach."""
    span = n + 2 * pad - k
    if ceil_mode:
        out = -(-span // s) + 1
        # torch drops a last window that would start in the right padding
        if (out - 1) * s >= n + pad:
            out -= 1
        return out, 0
    return span // s + 1, span % s


def _slide(
    h: int,
    w: int,
    k: tuple[int, int],
    s: tuple[int, int],
    pad: tuple[int, int],
    d: tuple[int, int] = (1, 1),
    ceil_mode: bool = False,
) -> tuple[int, int]:
    ekh, ekw = d[0] * (k[0] - 1) + 1, d[1] * (k[1] - 1) + 1
    ph, pw = pad
    oh, _ = _window_size(h, ekh, s[0], ph, ceil_mode)
    ow, _ = _window_size(w, ekw, s[1], pw, ceil_mode)
    if oh <= 0 or ow <= 0:
        dil = f" ({_xy(*k)} with dilation {_xy(*d)})" if d != (1, 1) else ""
        size = f"{h}" if h == w and ph == pw else f"{_xy(h, w)}"
        padn = f"{ph}" if ph == pw else f"{_xy(ph, pw)}"
        n, f, pp, ss, out = (h, ekh, ph, s[0], oh) if oh <= 0 else (w, ekw, pw, s[1], ow)
        rule = _size_rule("H" if oh <= 0 else "W", n, f, pp, ss, out, ceil_mode)
        raise ShapeError(
            f"kernel {_xy(ekh, ekw)}{dil} is larger than its padded input "
            f"{_xy(h + 2 * ph, w + 2 * pw)} (input {size} + 2*{padn} padding): "
            f"{rule} is not positive",
            "add padding (or set it to 'same'), use a smaller kernel, "
            "or remove a pooling layer before this one",
            code="kernel_too_large",
            setting="kernel_size",
        )
    return oh, ow


def _size_rule(axis: str, n: int, f: int, pad: int, s: int, out: int, ceil_mode: bool) -> str:
    fn = "ceil" if ceil_mode else "floor"
    return f"{axis}: {fn}(({n} - {f} + 2*{pad}) / {s}) + 1 = {out}"


def _size_lines(
    shape: Shape,
    out: Shape,
    k: tuple[int, int],
    s: tuple[int, int],
    pad: tuple[int, int],
    d: tuple[int, int] = (1, 1),
    ceil_mode: bool = False,
) -> list[str]:
    _, h, w = shape
    ek = (d[0] * (k[0] - 1) + 1, d[1] * (k[1] - 1) + 1)
    lines = []
    if d != (1, 1):
        lines.append(
            f"effective kernel F = d*(k-1) + 1 = {d[0]}*({k[0]}-1) + 1 = {ek[0]}"
            + (f", {d[1]}*({k[1]}-1) + 1 = {ek[1]}" if (d[1], k[1]) != (d[0], k[0]) else "")
        )
    hline = _size_rule("H", h, ek[0], pad[0], s[0], out[1], ceil_mode)
    wline = _size_rule("W", w, ek[1], pad[1], s[1], out[2], ceil_mode)
    if hline[1:] == wline[1:]:
        lines.append("H, W" + hline[1:])
    else:
        lines += [hline, wline]
    return lines


def _f(n: int) -> str:
    return f"{n:,}"


def _kw(**kwargs: Any) -> tuple[tuple[str, Any], ...]:
    """Keyword arguments to print, leaving out those equal to torch's defaults."""
    return tuple((k, v) for k, v in kwargs.items() if v is not _DEFAULT)


class _Default:
    def __repr__(self) -> str:
        return "<default>"


_DEFAULT = _Default()


def _unless(value: Any, default: Any) -> Any:
    return _DEFAULT if value == default else value


# ---------------------------------------------------------------------------------------
# Input

_INPUT_PRESETS = {
    "MNIST": (1, 28, 28),
    "CIFAR": (3, 32, 32),
    "ImageNet": (3, 224, 224),
}
INPUT_PRESETS: dict[str, tuple[int, int, int]] = dict(_INPUT_PRESETS)


def _input_infer(p: Settings, shapes: list[Shape]) -> Shape:
    return tuple(p["shape"])


def _input_explain(p: Settings, shapes: list[Shape], out: Shape) -> list[str]:
    preset = next((n for n, s in INPUT_PRESETS.items() if s == tuple(p["shape"])), "custom")
    return [f"input {_hw(out)} ({preset}); {_f(prod(out))} values per sample"]


# ---------------------------------------------------------------------------------------
# Convolution


def _conv_geometry(p: Settings):
    k, s, d = pair(p["kernel_size"]), pair(p["stride"]), pair(p["dilation"])
    return k, s, d, _padding_for(p, k[0], k[1], d[0], d[1])


def _conv_analyze(p: Settings, shapes: list[Shape]):
    """Shape, learnable and buffer counts, MACs and window in one pass: inference runs this
    on every edit, so the parameters are normalised once rather than in each accessor."""
    c, h, w = _expect_image("Conv2d", shapes[0])
    groups, out_c = p["groups"], p["out_channels"]
    if c % groups:
        raise ShapeError(
            f"input channels {c} are not divisible by groups {groups}",
            f"set groups to a divisor of {c} (1 for an ordinary convolution, {c} for depthwise)",
            code="groups",
            setting="groups",
        )
    if out_c % groups:
        raise ShapeError(
            f"output channels {out_c} are not divisible by groups {groups}",
            f"set output channels to a multiple of {groups}",
            code="groups",
            setting="out_channels",
        )
    k, s, d, pad = _conv_geometry(p)
    if p["padding"] == "same":
        if s != (1, 1):
            raise ShapeError(
                f"padding 'same' needs stride 1, but stride is {_xy(*s)}",
                "set stride to 1, or give the padding as a number",
                code="same_stride",
                setting="padding",
            )
        oh, ow = h, w
    else:
        oh, ow = _slide(h, w, k, s, pad, d)
    per_output = k[0] * k[1] * (c // groups)
    learnable = per_output * out_c + (out_c if p["bias"] else 0)
    window = _conv_window_of(k, s, d, pad)
    return (out_c, oh, ow), learnable, 0, out_c * oh * ow * per_output, window


def _conv_infer(p: Settings, shapes: list[Shape]) -> Shape:
    return _conv_analyze(p, shapes)[0]


def _conv_count(p: Settings, shapes: list[Shape]) -> tuple[int, int]:
    _, learnable, buffers, _, _ = _conv_analyze(p, shapes)
    return learnable, buffers


def _conv_macs(p: Settings, shapes: list[Shape], out: Shape) -> int:
    return _conv_analyze(p, shapes)[3]


def _conv_window_of(k, s, d, pad):
    """(effective kernel, stride, padding): a dilated kernel spans d*(k-1) + 1 pixels."""
    return (d[0] * (k[0] - 1) + 1, d[1] * (k[1] - 1) + 1), s, pad


def _conv_window(p: Settings):
    return _conv_window_of(*_conv_geometry(p))


def _conv_torch(p: Settings, shapes: list[Shape]) -> TorchCall:
    padding = p["padding"]
    return TorchCall(
        "Conv2d",
        (shapes[0][0], p["out_channels"]),
        _kw(
            kernel_size=p["kernel_size"],
            stride=_unless(p["stride"], 1),
            padding=_unless(padding, 0),
            dilation=_unless(p["dilation"], 1),
            groups=_unless(p["groups"], 1),
            bias=_unless(p["bias"], True),
        ),
    )


def _conv_explain(p: Settings, shapes: list[Shape], out: Shape) -> list[str]:
    k, s, d, pad = _conv_geometry(p)
    c = shapes[0][0]
    lines = []
    if p["padding"] == "same":
        lines.append(f"padding 'same': P = d*(F-1)/2 = {_xy(*pad)}, so H, W stay {_xy(*out[1:])}")
    else:
        lines += _size_lines(shapes[0], out, k, s, pad, d)
    g = p["groups"]
    per = f"({c}/{g})" if g != 1 else f"{c}"
    bias = f" + {out[0]}" if p["bias"] else ""
    params, _ = _conv_count(p, shapes)
    lines.append(f"params: {k[0]}*{k[1]}*{per}*{out[0]}{bias} = {_f(params)}")
    lines.append(
        f"MACs: {out[1]}*{out[2]}*{out[0]} * ({k[0]}*{k[1]}*{per}) = {_f(_conv_macs(p, shapes, out))}"
    )
    return lines


# ---------------------------------------------------------------------------------------
# Pooling


def _pool_geometry(p: Settings):
    k = pair(p["kernel_size"])
    s = pair(p["stride"]) if p["stride"] is not None else k
    return k, s, pair(p["padding"])


def _pool_infer_for(block: str):
    def infer(p: Settings, shapes: list[Shape]) -> Shape:
        c, h, w = _expect_image(block, shapes[0])
        k, s, pad = _pool_geometry(p)
        if 2 * pad[0] > k[0] or 2 * pad[1] > k[1]:
            raise ShapeError(
                f"padding {_xy(*pad)} is more than half the kernel {_xy(*k)}",
                f"set padding to at most {k[0] // 2}",
                code="pool_padding",
                setting="padding",
            )
        oh, ow = _slide(h, w, k, s, pad, ceil_mode=p["ceil_mode"])
        return (c, oh, ow)

    return infer


def _pool_window(p: Settings):
    return _pool_geometry(p)


def _pool_torch_for(cls: str):
    def call(p: Settings, shapes: list[Shape]) -> TorchCall:
        extra = {}
        if cls == "AvgPool2d":
            extra["count_include_pad"] = _unless(p["count_include_pad"], True)
        return TorchCall(
            cls,
            (p["kernel_size"],),
            _kw(
                stride=_DEFAULT if p["stride"] is None else p["stride"],
                padding=_unless(p["padding"], 0),
                ceil_mode=_unless(p["ceil_mode"], False),
                **extra,
            ),
        )

    return call


def _pool_explain(p: Settings, shapes: list[Shape], out: Shape) -> list[str]:
    k, s, pad = _pool_geometry(p)
    lines = _size_lines(shapes[0], out, k, s, pad, ceil_mode=p["ceil_mode"])
    lines.append(f"channels stay {out[0]}; params: 0 (pooling has no weights)")
    return lines


_POOL_PARAMS = (
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


# ---------------------------------------------------------------------------------------
# Adaptive and global pooling


def _adaptive_infer_for(block: str):
    def infer(p: Settings, shapes: list[Shape]) -> Shape:
        c, _, _ = _expect_image(block, shapes[0])
        oh, ow = pair(p["output_size"])
        return (c, oh, ow)

    return infer


def _adaptive_explain(p: Settings, shapes: list[Shape], out: Shape) -> list[str]:
    _, h, w = shapes[0]
    return [f"{_xy(h, w)} is split into {_xy(*out[1:])} regions, one value per region and channel"]


# ---------------------------------------------------------------------------------------
# Point-wise blocks (activations, dropout)


def _same_shape(p: Settings, shapes: list[Shape]) -> Shape:
    return shapes[0]


def _image_same_shape_for(block: str):
    def infer(p: Settings, shapes: list[Shape]) -> Shape:
        return _expect_image(block, shapes[0])

    return infer


def _simple_torch(cls: str, **fixed: Any):
    def call(p: Settings, shapes: list[Shape]) -> TorchCall:
        return TorchCall(cls, (), tuple(fixed.items()))

    return call


def _dropout_torch_for(cls: str):
    def call(p: Settings, shapes: list[Shape]) -> TorchCall:
        return TorchCall(cls, (), _kw(p=_unless(p["p"], 0.5)))

    return call


def _leaky_torch(p: Settings, shapes: list[Shape]) -> TorchCall:
    return TorchCall("LeakyReLU", (), _kw(negative_slope=_unless(p["negative_slope"], 0.01)))


def _elu_torch(p: Settings, shapes: list[Shape]) -> TorchCall:
    return TorchCall("ELU", (), _kw(alpha=_unless(p["alpha"], 1.0)))


def _gelu_torch(p: Settings, shapes: list[Shape]) -> TorchCall:
    return TorchCall("GELU", (), _kw(approximate=_unless(p["approximate"], "none")))


def _softmax_torch(p: Settings, shapes: list[Shape]) -> TorchCall:
    # dim=1 is the channel/feature axis once the batch dimension is added
    return TorchCall("Softmax", (), (("dim", 1),))


def _pointwise_explain(p: Settings, shapes: list[Shape], out: Shape) -> list[str]:
    return [f"element-wise: shape stays {_hw(out)}; params: 0"]


# ---------------------------------------------------------------------------------------
# Normalisation


def _bn2d_count(p: Settings, shapes: list[Shape]) -> tuple[int, int]:
    c = shapes[0][0]
    return (2 * c if p["affine"] else 0), 2 * c + 1


def _bn_torch_for(cls: str):
    def call(p: Settings, shapes: list[Shape]) -> TorchCall:
        return TorchCall(
            cls,
            (shapes[0][0],),
            _kw(
                eps=_unless(p["eps"], 1e-5),
                momentum=_unless(p["momentum"], 0.1),
                affine=_unless(p["affine"], True),
            ),
        )

    return call


def _bn_explain(p: Settings, shapes: list[Shape], out: Shape) -> list[str]:
    c = shapes[0][0]
    learn = f"2*{c} = {_f(2 * c)} (a scale and a shift per channel)" if p["affine"] else "0"
    return [
        f"normalises each of the {c} channels; shape stays {_hw(out)}",
        f"params: {learn}; running mean and variance add {_f(2 * c)} non-trained values",
    ]


def _bn1d_infer(p: Settings, shapes: list[Shape]) -> Shape:
    if len(shapes[0]) != 1:
        raise ShapeError(
            f"BatchNorm1d needs a flat vector but gets {_hw(shapes[0])}",
            "use BatchNorm2d for C x H x W tensors",
            code="needs_vector",
        )
    return shapes[0]


def _lrn_torch(p: Settings, shapes: list[Shape]) -> TorchCall:
    return TorchCall(
        "LocalResponseNorm",
        (p["size"],),
        _kw(alpha=_unless(p["alpha"], 1e-4), beta=_unless(p["beta"], 0.75), k=_unless(p["k"], 1.0)),
    )


def _lrn_explain(p: Settings, shapes: list[Shape], out: Shape) -> list[str]:
    return [
        f"each value is divided by (k + alpha/n * sum of squares over {p['size']} neighbouring "
        f"channels)^beta; shape stays {_hw(out)}; params: 0"
    ]


# ---------------------------------------------------------------------------------------
# Dense


def _flatten_infer(p: Settings, shapes: list[Shape]) -> Shape:
    return (prod(shapes[0]),)


def _flatten_explain(p: Settings, shapes: list[Shape], out: Shape) -> list[str]:
    if len(shapes[0]) == 1:
        return [f"already flat: {out[0]} features"]
    return [f"{'*'.join(str(d) for d in shapes[0])} = {_f(out[0])} features"]


def _linear_infer(p: Settings, shapes: list[Shape]) -> Shape:
    shape = shapes[0]
    if len(shape) != 1:
        raise ShapeError(
            f"Linear needs a flat vector but gets a {_hw(shape)} tensor",
            f"insert a Flatten before it ({'*'.join(map(str, shape))} = {_f(prod(shape))} features)",
            code="needs_flatten",
        )
    return (p["out_features"],)


def _linear_count(p: Settings, shapes: list[Shape]) -> tuple[int, int]:
    n, out = shapes[0][0], p["out_features"]
    return n * out + (out if p["bias"] else 0), 0


def _linear_macs(p: Settings, shapes: list[Shape], out: Shape) -> int:
    return prod(shapes[0]) * p["out_features"]


def _linear_torch(p: Settings, shapes: list[Shape]) -> TorchCall:
    return TorchCall("Linear", (shapes[0][0], p["out_features"]), _kw(bias=_unless(p["bias"], True)))


def _linear_explain(p: Settings, shapes: list[Shape], out: Shape) -> list[str]:
    n, m = shapes[0][0], out[0]
    bias = f" + {m}" if p["bias"] else ""
    return [
        f"{_f(n)} inputs, each connected to all {_f(m)} outputs",
        f"params: {n}*{m}{bias} = {_f(_linear_count(p, shapes)[0])}",
        f"MACs: {n}*{m} = {_f(n * m)}",
    ]


# ---------------------------------------------------------------------------------------
# Merges


def _names(shapes: list[Shape]) -> str:
    return ", ".join(_hw(s) for s in shapes)


def _add_infer(p: Settings, shapes: list[Shape]) -> Shape:
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
            raise ShapeError(f"Add needs inputs of one shape but gets {_names(shapes)}", fix, code=code)
    return first


def _add_explain(p: Settings, shapes: list[Shape], out: Shape) -> list[str]:
    return [f"element-wise sum of {len(shapes)} inputs of shape {_hw(out)}; params: 0"]


def _concat_infer(p: Settings, shapes: list[Shape]) -> Shape:
    ranks = {len(s) for s in shapes}
    if len(ranks) > 1:
        raise ShapeError(
            f"Concat needs inputs of one rank but gets {_names(shapes)}",
            "flatten every input, or none of them",
            code="concat_rank",
        )
    if len(shapes[0]) == 3:
        sizes = {s[1:] for s in shapes}
        if len(sizes) > 1:
            raise ShapeError(
                f"Concat joins channels, so every input needs the same height and width, "
                f"but gets {_names(shapes)}",
                "use padding or pooling on the branches so that they agree on H x W",
                code="concat_spatial",
            )
        return (sum(s[0] for s in shapes), *shapes[0][1:])
    return (sum(s[0] for s in shapes),)


def _concat_explain(p: Settings, shapes: list[Shape], out: Shape) -> list[str]:
    chans = " + ".join(str(s[0]) for s in shapes)
    return [f"channels: {chans} = {out[0]}; output {_hw(out)}; params: 0"]


def _size_text(v) -> str:
    return f"{v}x{v}" if isinstance(v, int) else f"{v[0]}x{v[1]}"


def _num_text(v) -> str:
    return str(v) if isinstance(v, int | str) else f"{v[0]},{v[1]}"


def _conv_card(p: Settings) -> str:
    k, c = _size_text(p["kernel_size"]), p["out_channels"]
    text = f"{k}, {c}, s{_num_text(p['stride'])}, p{_num_text(p['padding'])}"
    if p["dilation"] != 1:
        text += f", d{_num_text(p['dilation'])}"
    if p["groups"] != 1:
        text += f", g{p['groups']}"
    return text


def _pool_card(p: Settings) -> str:
    stride = p["stride"] if p["stride"] is not None else p["kernel_size"]
    text = f"{_size_text(p['kernel_size'])}, s{_num_text(stride)}"
    if p["padding"] != 0:
        text += f", p{_num_text(p['padding'])}"
    return text + (", ceil" if p["ceil_mode"] else "")


def _adaptive_card(p: Settings) -> str:
    return "global" if p["output_size"] == 1 else f"to {_size_text(p['output_size'])}"


# ---------------------------------------------------------------------------------------
# The registry

_P_DROPOUT = Setting("p", FLOAT, 0.5, "drop probability", "chance of zeroing each value", 0.0, 1.0)

_SPECS = (
    LayerSpec(
        "Input",
        "input",
        "input",
        "The network's input tensor (channels x height x width).",
        _input_infer,
        settings=(Setting("shape", SHAPE, (1, 28, 28), "shape", "channels, height, width"),),
        explain=_input_explain,
        forward=INPUT,
        min_inputs=0,
        max_inputs=0,
        card=lambda p: " x ".join(map(str, p["shape"])),
    ),
    LayerSpec(
        "Conv2d",
        "convolution",
        "conv",
        "2-D convolution: slides learned K x K filters over the input.",
        _conv_infer,
        settings=(
            Setting("out_channels", INT, 16, "filters", "number of filters N", 1, 65536),
            Setting("kernel_size", SIZE2, 3, "kernel", "filter size F (or [height, width])", 1, 1024),
            Setting("stride", SIZE2, 1, "stride", "step S between positions", 1, 1024),
            Setting("padding", PADDING, 0, "padding", "zeros P added on each side, or 'same'", 0, 1024),
            Setting("dilation", SIZE2, 1, "dilation", "spacing between kernel taps", 1, 256),
            Setting(
                "groups", INT, 1, "groups", "split channels into groups (depthwise = channels)", 1, 65536
            ),
            Setting("bias", BOOL, True, "bias", "add a learned bias per filter"),
        ),
        count=_conv_count,
        macs=_conv_macs,
        window=_conv_window,
        analyze=_conv_analyze,
        torch=_conv_torch,
        explain=_conv_explain,
        input_rank=3,
        card=_conv_card,
        shows_filters=True,
    ),
    LayerSpec(
        "MaxPool2d",
        "pooling",
        "pool",
        "Max pooling: keeps the largest value of each window.",
        _pool_infer_for("MaxPool2d"),
        settings=_POOL_PARAMS,
        window=_pool_window,
        torch=_pool_torch_for("MaxPool2d"),
        explain=_pool_explain,
        input_rank=3,
        card=_pool_card,
    ),
    LayerSpec(
        "AvgPool2d",
        "pooling",
        "avgpool",
        "Average pooling: averages each window.",
        _pool_infer_for("AvgPool2d"),
        settings=(
            *_POOL_PARAMS,
            Setting("count_include_pad", BOOL, True, "count padding", "include padded zeros in the mean"),
        ),
        window=_pool_window,
        torch=_pool_torch_for("AvgPool2d"),
        explain=_pool_explain,
        input_rank=3,
        card=_pool_card,
    ),
    LayerSpec(
        "AdaptiveAvgPool2d",
        "pooling",
        "adapool",
        "Averages into a fixed output size, whatever the input size (output size 1: global average pooling).",
        _adaptive_infer_for("AdaptiveAvgPool2d"),
        settings=(Setting("output_size", SIZE2, 1, "output size", "H x W of the output", 1, 4096),),
        window=lambda p: GLOBAL,
        torch=lambda p, s: TorchCall("AdaptiveAvgPool2d", (p["output_size"],)),
        explain=_adaptive_explain,
        input_rank=3,
        card=_adaptive_card,
    ),
    LayerSpec(
        "AdaptiveMaxPool2d",
        "pooling",
        "adamaxpool",
        "Max-pools into a fixed output size.",
        _adaptive_infer_for("AdaptiveMaxPool2d"),
        settings=(Setting("output_size", SIZE2, 1, "output size", "H x W of the output", 1, 4096),),
        window=lambda p: GLOBAL,
        torch=lambda p, s: TorchCall("AdaptiveMaxPool2d", (p["output_size"],)),
        explain=_adaptive_explain,
        input_rank=3,
        card=_adaptive_card,
    ),
    LayerSpec(
        "ReLU",
        "activation",
        "relu",
        "max(0, x)",
        _same_shape,
        torch=_simple_torch("ReLU"),
        explain=_pointwise_explain,
    ),
    LayerSpec(
        "LeakyReLU",
        "activation",
        "lrelu",
        "x if x > 0 else slope * x",
        _same_shape,
        settings=(Setting("negative_slope", FLOAT, 0.01, "slope", "slope for negative inputs", 0.0, 1.0),),
        torch=_leaky_torch,
        explain=_pointwise_explain,
        card=lambda p: f"slope {p['negative_slope']:g}",
    ),
    LayerSpec(
        "ELU",
        "activation",
        "elu",
        "x if x > 0 else alpha * (exp(x) - 1)",
        _same_shape,
        settings=(Setting("alpha", FLOAT, 1.0, "alpha", "saturation value for negative inputs", 0.0, 100.0),),
        torch=_elu_torch,
        explain=_pointwise_explain,
    ),
    LayerSpec(
        "GELU",
        "activation",
        "gelu",
        "Gaussian error linear unit, as in transformers.",
        _same_shape,
        settings=(
            Setting(
                "approximate", CHOICE, "none", "approximation", "exact or tanh", choices=("none", "tanh")
            ),
        ),
        torch=_gelu_torch,
        explain=_pointwise_explain,
    ),
    LayerSpec(
        "Sigmoid",
        "activation",
        "sigmoid",
        "1 / (1 + exp(-x))",
        _same_shape,
        torch=_simple_torch("Sigmoid"),
        explain=_pointwise_explain,
    ),
    LayerSpec(
        "Tanh",
        "activation",
        "tanh",
        "tanh(x), the classic LeNet activation",
        _same_shape,
        torch=_simple_torch("Tanh"),
        explain=_pointwise_explain,
    ),
    LayerSpec(
        "Softmax",
        "activation",
        "softmax",
        "Turns scores into class probabilities (over channels or features). "
        "Training uses the scores before it.",
        _same_shape,
        torch=_softmax_torch,
        explain=_pointwise_explain,
        outputs_probabilities=True,
    ),
    LayerSpec(
        "BatchNorm2d",
        "normalization",
        "bn",
        "Normalises each channel over the batch, then scales and shifts.",
        _image_same_shape_for("BatchNorm2d"),
        settings=(
            Setting("eps", FLOAT, 1e-5, "epsilon", "added to the variance for stability", 0.0, 1.0),
            Setting("momentum", FLOAT, 0.1, "momentum", "update rate of the running statistics", 0.0, 1.0),
            Setting("affine", BOOL, True, "affine", "learn a scale and shift per channel"),
        ),
        count=_bn2d_count,
        torch=_bn_torch_for("BatchNorm2d"),
        explain=_bn_explain,
        input_rank=3,
    ),
    LayerSpec(
        "BatchNorm1d",
        "normalization",
        "bn",
        "Batch normalisation of a flat feature vector.",
        _bn1d_infer,
        settings=(
            Setting("eps", FLOAT, 1e-5, "epsilon", "added to the variance for stability", 0.0, 1.0),
            Setting("momentum", FLOAT, 0.1, "momentum", "update rate of the running statistics", 0.0, 1.0),
            Setting("affine", BOOL, True, "affine", "learn a scale and shift per feature"),
        ),
        count=_bn2d_count,
        torch=_bn_torch_for("BatchNorm1d"),
        explain=_bn_explain,
        input_rank=1,
    ),
    LayerSpec(
        "LocalResponseNorm",
        "normalization",
        "lrn",
        "Local response normalisation across neighbouring channels (AlexNet).",
        _image_same_shape_for("LocalResponseNorm"),
        settings=(
            Setting("size", INT, 5, "size", "number of neighbouring channels", 1, 1024),
            Setting("alpha", FLOAT, 1e-4, "alpha", "scale", 0.0, 10.0),
            Setting("beta", FLOAT, 0.75, "beta", "exponent", 0.0, 10.0),
            Setting("k", FLOAT, 1.0, "k", "additive constant", 0.0, 100.0),
        ),
        torch=_lrn_torch,
        explain=_lrn_explain,
        input_rank=3,
        card=lambda p: f"size {p['size']}",
    ),
    LayerSpec(
        "Dropout",
        "regularization",
        "drop",
        "Zeroes random values while training.",
        _same_shape,
        settings=(_P_DROPOUT,),
        torch=_dropout_torch_for("Dropout"),
        explain=_pointwise_explain,
        card=lambda p: f"p = {p['p']:g}",
    ),
    LayerSpec(
        "Dropout2d",
        "regularization",
        "drop",
        "Zeroes whole random channels while training.",
        _image_same_shape_for("Dropout2d"),
        settings=(_P_DROPOUT,),
        torch=_dropout_torch_for("Dropout2d"),
        explain=_pointwise_explain,
        input_rank=3,
        card=lambda p: f"p = {p['p']:g}",
    ),
    LayerSpec(
        "Flatten",
        "dense",
        "flatten",
        "Unrolls C x H x W into one vector of C*H*W features.",
        _flatten_infer,
        window=lambda p: GLOBAL,
        torch=_simple_torch("Flatten"),
        explain=_flatten_explain,
    ),
    LayerSpec(
        "Linear",
        "dense",
        "fc",
        "Fully connected layer: every input feeds every output.",
        _linear_infer,
        settings=(
            Setting("out_features", INT, 10, "units", "number of outputs", 1, 1_000_000),
            Setting("bias", BOOL, True, "bias", "add a learned bias per output"),
        ),
        count=_linear_count,
        macs=_linear_macs,
        window=lambda p: GLOBAL,
        torch=_linear_torch,
        explain=_linear_explain,
        input_rank=1,
        card=lambda p: f"{p['out_features']} units",
    ),
    LayerSpec(
        "Add",
        "merge",
        "add",
        "Element-wise sum of its inputs (residual connections).",
        _add_infer,
        explain=_add_explain,
        forward=ADD,
        min_inputs=2,
        max_inputs=None,
    ),
    LayerSpec(
        "Concat",
        "merge",
        "concat",
        "Joins its inputs along the channel axis (Inception).",
        _concat_infer,
        explain=_concat_explain,
        forward=CONCAT,
        min_inputs=2,
        max_inputs=None,
    ),
)

CATALOG: dict[str, LayerSpec] = {spec.type: spec for spec in _SPECS}


@dataclass(frozen=True, slots=True)
class Category:
    """A palette group: its title and the colour its blocks wear on the canvas."""

    name: str
    title: str
    colour: str  # "#rrggbb"


CATEGORIES: dict[str, Category] = {
    c.name: c
    for c in (
        Category("input", "Input", "#5c6bc0"),
        Category("convolution", "Convolution", "#1e88e5"),
        Category("pooling", "Pooling", "#00897b"),
        Category("activation", "Activation", "#ef6c00"),
        Category("normalization", "Normalization", "#8e24aa"),
        Category("regularization", "Regularization", "#6d4c41"),
        Category("dense", "Dense", "#43a047"),
        Category("merge", "Merge", "#546e7a"),
    )
}


def spec_for(block_type: str) -> LayerSpec:
    """Return the spec of `block_type`, or raise KeyError listing the known types."""
    try:
        return CATALOG[block_type]
    except KeyError:
        raise KeyError(
            f"unknown block type {block_type!r}; known types: {', '.join(sorted(CATALOG))}"
        ) from None
