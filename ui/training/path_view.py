"""The path one input takes through a network: a row of feature maps per layer, top to bottom."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QFontMetrics

from . import plot_style  # noqa: F401

MAX_MAPS = 6  # maps shown per layer: enough to see what a layer picks out, few enough to stay legible
MAX_ROWS = 40  # a very deep network shows its first layers
TILE = 28  # every map is drawn this many pixels square, whatever its size
GAP = 2
ROW_GAP = 10
TITLE = "Layer by layer"  # short: a plot's title sets its least width, and the pane is narrow


def path_mosaic(layers: list[tuple[str, np.ndarray]]) -> tuple[np.ndarray, list[tuple[float, str]]]:
    """One image with a row per layer (name, (C, H, W) maps): its first `MAX_MAPS` maps, each
    scaled to 0..1 and resampled to `TILE` square; and (row centre, label) for the axis."""
    layers = layers[:MAX_ROWS]
    width = MAX_MAPS * (TILE + GAP) - GAP
    out = np.ones((max(1, len(layers) * (TILE + ROW_GAP) - ROW_GAP), width), dtype=np.float32)
    ticks = []
    for row, (name, maps) in enumerate(layers):
        top = row * (TILE + ROW_GAP)
        c, h, w = maps.shape
        ys, xs = np.arange(TILE) * h // TILE, np.arange(TILE) * w // TILE
        for k, plane in enumerate(np.nan_to_num(maps[:MAX_MAPS], nan=0.0, posinf=0.0, neginf=0.0)):
            lo, hi = float(plane.min()), float(plane.max())
            tile = (plane - lo) / (hi - lo) if hi > lo else np.zeros_like(plane)
            left = k * (TILE + GAP)
            out[top : top + TILE, left : left + TILE] = tile[np.ix_(ys, xs)]
        ticks.append((top + TILE / 2, f"{name} {c}×{h}×{w}"))
    return out, ticks


class PathView(pg.PlotWidget):
    """Feature maps of every layer for the current input, in network order."""

    def __init__(self, parent=None):
        super().__init__(parent, title=TITLE)
        self.image = pg.ImageItem()
        self.addItem(self.image)
        self.invertY(True)
        self.setAspectLocked(True)
        self.hideAxis("bottom")
        self.setToolTip(f"The first {MAX_MAPS} feature maps of each layer for the input shown, in order")
        self.layers: list[str] = []  # the layers shown, top to bottom

    def show_path(self, layers: list[tuple[str, np.ndarray]]) -> None:
        """Show `layers` (name, (C, H, W) maps) in order; 1x1 maps are vectors, left out."""
        layers = [(name, maps) for name, maps in layers if maps.shape[1] * maps.shape[2] > 1]
        image, ticks = path_mosaic(layers)
        self.layers = [name for name, _ in layers[:MAX_ROWS]]
        self.image.setImage(image, levels=(0, 1))
        axis = self.getAxis("left")
        # the labels' room is set here, once per input: an axis that widens after the first
        # layout leaves the locked-aspect view scaled for a wider plot, the path cut off
        metrics = QFontMetrics(axis.style["tickFont"] or self.font())
        axis.setWidth(max((metrics.horizontalAdvance(label) for _, label in ticks), default=40) + 16)
        axis.setTicks([ticks])
        self.getViewBox().autoRange(padding=0.02)  # the whole path, however narrow the pane
        self.setTitle(TITLE if layers else f"{TITLE}: no input")

    def clear_path(self) -> None:
        self.show_path([])
