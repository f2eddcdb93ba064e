"""Sliding-window arithmetic shared by convolution and pooling, with the text that explains it.

One small pure module, as Keras keeps ``compute_conv_output_shape``: the output-size rule
``floor((N - F + 2P) / S) + 1``, its ceil-mode variant, and the errors that quote the numbers.
"""

from __future__ import annotations

from ..errors import ShapeError
from ..settings import pair
from .spec import Settings, Shape, Window


def dims(shape: Shape) -> str:
    """'6 x 28 x 28'."""
    return " x ".join(str(d) for d in shape)


def xy(h: int, w: int) -> str:
    return f"{h}x{w}"


def thousands(n: int) -> str:
    return f"{n:,}"


def size_text(v) -> str:
    """A kernel or window size for a card: 5 -> '5x5', (3, 1) -> '3x1'."""
    return f"{v}x{v}" if isinstance(v, int) else f"{v[0]}x{v[1]}"


def step_text(v) -> str:
    """A stride or padding for a card: 2 -> '2', (2, 1) -> '2,1', 'same' -> 'same'."""
    return str(v) if isinstance(v, int | str) else f"{v[0]},{v[1]}"


def expect_image(block: str, shape: Shape) -> tuple[int, int, int]:
    if len(shape) != 3:
        raise ShapeError(
            f"{block} needs a C x H x W input but gets a flat vector of {shape[0]} features",
            "move it before the Flatten, or use Linear for flat vectors",
            code="needs_image",
        )
    c, h, w = shape
    return c, h, w


def padding_for(settings: Settings, kernel: tuple[int, int], dilation: tuple[int, int]) -> tuple[int, int]:
    padding = settings["padding"]
    if type(padding) is int:  # the common case first: inference runs this on every edit
        return (padding, padding)
    if padding == "valid":
        return (0, 0)
    if padding == "same":
        # torch pads (d*(k-1))//2 on the left/top and the rest on the right/bottom.
        return ((dilation[0] * (kernel[0] - 1)) // 2, (dilation[1] * (kernel[1] - 1)) // 2)
    return pair(padding)


def effective_kernel(kernel: tuple[int, int], dilation: tuple[int, int]) -> tuple[int, int]:
    """A dilated kernel spans d*(k-1) + 1 pixels."""
    return dilation[0] * (kernel[0] - 1) + 1, dilation[1] * (kernel[1] - 1) + 1


def output_size(n: int, f: int, s: int, pad: int, ceil_mode: bool) -> int:
    """floor((N - F + 2P) / S) + 1, or its ceil-mode form."""
    span = n + 2 * pad - f
    if ceil_mode:
        out = -(-span // s) + 1
        # torch drops a last window that would start in the right padding
        if (out - 1) * s >= n + pad:
            out -= 1
        return out
    return span // s + 1


def size_rule(axis: str, n: int, f: int, pad: int, s: int, out: int, ceil_mode: bool) -> str:
    fn = "ceil" if ceil_mode else "floor"
    return f"{axis}: {fn}(({n} - {f} + 2*{pad}) / {s}) + 1 = {out}"


def slide(
    h: int,
    w: int,
    kernel: tuple[int, int],
    stride: tuple[int, int],
    pad: tuple[int, int],
    dilation: tuple[int, int] = (1, 1),
    ceil_mode: bool = False,
) -> tuple[int, int]:
    """Output height and width of a window sliding over an h x w input; a ShapeError quoting
    the rule when the window does not fit."""
    ekh, ekw = effective_kernel(kernel, dilation)
    ph, pw = pad
    oh = output_size(h, ekh, stride[0], ph, ceil_mode)
    ow = output_size(w, ekw, stride[1], pw, ceil_mode)
    if oh <= 0 or ow <= 0:
        dil = f" ({xy(*kernel)} with dilation {xy(*dilation)})" if dilation != (1, 1) else ""
        size = f"{h}" if h == w and ph == pw else f"{xy(h, w)}"
        padn = f"{ph}" if ph == pw else f"{xy(ph, pw)}"
        n, f, pp, ss, out = (h, ekh, ph, stride[0], oh) if oh <= 0 else (w, ekw, pw, stride[1], ow)
        rule = size_rule("H" if oh <= 0 else "W", n, f, pp, ss, out, ceil_mode)
        raise ShapeError(
            f"kernel {xy(ekh, ekw)}{dil} is larger than its padded input "
            f"{xy(h + 2 * ph, w + 2 * pw)} (input {size} + 2*{padn} padding): "
            f"{rule} is not positive",
            "add padding (or set it to 'same'), use a smaller kernel, "
            "or remove a pooling layer before this one",
            code="kernel_too_large",
            setting="kernel_size",
        )
    return oh, ow


def size_lines(
    shape: Shape, out: Shape, window: Window, kernel, dilation=(1, 1), ceil_mode=False
) -> list[str]:
    """The output-size rule with the numbers filled in, one line per axis (or one for both)."""
    _, h, w = shape
    ek, pad = window.kernel, window.padding
    s = (int(window.stride[0]), int(window.stride[1]))  # a sliding window steps whole pixels
    lines = []
    if dilation != (1, 1):
        k, d = kernel, dilation
        lines.append(
            f"effective kernel F = d*(k-1) + 1 = {d[0]}*({k[0]}-1) + 1 = {ek[0]}"
            + (f", {d[1]}*({k[1]}-1) + 1 = {ek[1]}" if (d[1], k[1]) != (d[0], k[0]) else "")
        )
    hline = size_rule("H", h, ek[0], pad[0], s[0], out[1], ceil_mode)
    wline = size_rule("W", w, ek[1], pad[1], s[1], out[2], ceil_mode)
    if hline[1:] == wline[1:]:
        lines.append("H, W" + hline[1:])
    else:
        lines += [hline, wline]
    return lines


def unseen_rows(window: Window, shape: Shape) -> list[tuple[str, int, int, int, int, int]]:
    """Axes where (N - F + 2P) is not divisible by S and real input rows go unseen:
    (axis, N, F, P, S, rows of the input itself that no window reaches) each.

    The windows miss the last `(N - F + 2P) mod S` rows of the padded input; the bottom P of
    those are padding, so only the rest are lost data.
    """
    (fh, fw), (sh, sw), (ph, pw) = window.kernel, window.stride, window.padding
    if type(sh) is not int or type(sw) is not int:
        return []  # an upsampling block reaches every input row
    _, h, w = shape
    lost_h = (h + 2 * ph - fh) % sh - ph
    lost_w = (w + 2 * pw - fw) % sw - pw
    out = []
    if lost_h > 0:
        out.append(("H", h, fh, ph, sh, lost_h))
    if lost_w > 0:
        out.append(("W", w, fw, pw, sw, lost_w))
    return out
