"""Colours and sizes shared by the canvas widgets."""

import math
from itertools import pairwise

from PySide6.QtGui import QColor

CATEGORY_COLORS = {
    "input": QColor("#5c6bc0"),
    "convolution": QColor("#1e88e5"),
    "pooling": QColor("#00897b"),
    "activation": QColor("#ef6c00"),
    "normalization": QColor("#8e24aa"),
    "regularization": QColor("#6d4c41"),
    "dense": QColor("#43a047"),
    "merge": QColor("#546e7a"),
}
ERROR = QColor("#c62828")
ERROR_FILL = QColor("#ffebee")
WARNING = QColor("#e0a800")
WARNING_FILL = QColor("#fff8e1")
SELECTED = QColor("#1565c0")
NODE_FILL = QColor("#ffffff")
NODE_BORDER = QColor("#9e9e9e")
TEXT = QColor("#212121")
MUTED = QColor("#616161")
WIRE = QColor("#78909c")
CANVAS = QColor("#f4f5f7")
GRID = QColor("#dfe2e6")

NODE_WIDTH = 216.0
NODE_HEIGHT = 66.0
PORT_RADIUS = 6.0


_HEALTH_STOPS = (
    (0.0, QColor("#3949ab")),
    (0.5, QColor("#43a047")),
    (0.8, QColor("#fdd835")),
    (1.0, QColor("#e53935")),
)


def health_colour(grad_norm: float) -> QColor:
    """Blue for a vanishing gradient (1e-6) through green to red for an exploding one (10)."""
    t = (math.log10(max(grad_norm, 1e-12)) + 6) / 7
    t = min(1.0, max(0.0, t))
    for (t0, c0), (t1, c1) in pairwise(_HEALTH_STOPS):
        if t <= t1:
            f = (t - t0) / (t1 - t0)
            return QColor.fromRgbF(
                c0.redF() + f * (c1.redF() - c0.redF()),
                c0.greenF() + f * (c1.greenF() - c0.greenF()),
                c0.blueF() + f * (c1.blueF() - c0.blueF()),
            )
    return _HEALTH_STOPS[-1][1]


def shape_text(shape) -> str:
    return "×".join(map(str, shape)) if shape else "?"


def compact(n: int) -> str:
    """12,345,678 -> 12.3M; 61,706 -> 61.7K."""
    for div, unit in ((1e9, "G"), (1e6, "M"), (1e3, "K")):
        if abs(n) >= div:
            return f"{n / div:.1f}{unit}"
    return str(n)


def settings_text(block_type: str, p: dict) -> str:
    """Key settings in the compact form of course notes: '5x5, 6, s1, p2'."""

    def size(v):
        return f"{v}x{v}" if isinstance(v, int) else f"{v[0]}x{v[1]}"

    def num(v):
        return str(v) if isinstance(v, int | str) else f"{v[0]},{v[1]}"

    if block_type == "Input":
        return " x ".join(map(str, p["shape"]))
    if block_type == "Conv2d":
        text = f"{size(p['kernel_size'])}, {p['out_channels']}, s{num(p['stride'])}, p{num(p['padding'])}"
        if p["dilation"] != 1:
            text += f", d{num(p['dilation'])}"
        if p["groups"] != 1:
            text += f", g{p['groups']}"
        return text
    if block_type in ("MaxPool2d", "AvgPool2d"):
        stride = p["stride"] if p["stride"] is not None else p["kernel_size"]
        text = f"{size(p['kernel_size'])}, s{num(stride)}"
        if p["padding"] != 0:
            text += f", p{num(p['padding'])}"
        return text + (", ceil" if p["ceil_mode"] else "")
    if block_type in ("AdaptiveAvgPool2d", "AdaptiveMaxPool2d"):
        return "global" if p["output_size"] == 1 else f"to {size(p['output_size'])}"
    if block_type == "Linear":
        return f"{p['out_features']} units"
    if block_type in ("Dropout", "Dropout2d"):
        return f"p = {p['p']:g}"
    if block_type == "LeakyReLU":
        return f"slope {p['negative_slope']:g}"
    if block_type == "LocalResponseNorm":
        return f"size {p['size']}"
    return ""
