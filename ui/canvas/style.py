"""Colours and sizes shared by the canvas and the panels.

Per-block-type knowledge (a category's colour, a card's settings line) is declared in the
catalog; this module only turns it into Qt colours.
"""

import math
from functools import cache
from itertools import pairwise

from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QStyleOptionGraphicsItem

from builder import CARD_SIZE, CATEGORIES

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
SUCCESS = QColor("#43a047")

NODE_WIDTH, NODE_HEIGHT = CARD_SIZE  # declared in builder: layout and routing use the same size
PORT_RADIUS = 6.0


@cache
def category_colour(category: str) -> QColor:
    """The colour the catalog declares for a category's blocks (shared: do not modify it)."""
    return QColor(CATEGORIES[category].colour)


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


FAR_OUT = 0.3  # below this scale text is unreadable: cards are drawn plain (and the minimap is fast)


def far_out(painter: QPainter) -> bool:
    """Whether the painter draws so small (zoomed far out, or the minimap) that text and ports
    would be unreadable specks; painting 500 cards' text takes the minimap a second."""
    return QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform()) < FAR_OUT


def shape_text(shape) -> str:
    return "×".join(map(str, shape)) if shape else "?"


def fitting(metrics, width: float, full: str, shorter: str) -> str:
    """`full` where it fits in `width` (or there is no shorter form), else `shorter`: a card
    drops a detail rather than cutting off the end of a shape."""
    return full if not shorter or metrics.horizontalAdvance(full) <= width else shorter


def macs_text(macs: int) -> str:
    """Multiply-accumulates in M, or G past a billion, as papers quote them (0.4M for
    LeNet-5, 4.1G for ResNet-50): unlike `compact`, never K."""
    return f"{macs / 1e9:,.1f}G" if macs >= 10**9 else f"{macs / 1e6:,.1f}M"


def compact(n: int) -> str:
    """12,345,678 -> 12.3M; 61,706 -> 61.7K."""
    for div, unit in ((1e9, "G"), (1e6, "M"), (1e3, "K")):
        if abs(n) >= div:
            return f"{n / div:.1f}{unit}"
    return str(n)
