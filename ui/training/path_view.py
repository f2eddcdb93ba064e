"""The path one input takes through a network: a row of feature maps per layer, top to bottom."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from . import plot_style  # noqa: F401

MAX_MAPS = 8  # maps shown per layer: enough to see what a layer picks out, few enough to stay legible
MAX_ROWS = 40  # a very deep network shows its first layers
TILE = 28  # every map is drawn this many pixels square, whatever its size
GAP = 2
ROW_GAP = 6


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
        for k, plane in enumerate(maps[:MAX_MAPS]):
            lo, hi = float(plane.min()), float(plane.max())
            tile = (plane - lo) / (hi - lo) if hi > lo else np.zeros_like(plane)
            left = k * (TILE + GAP)
            out[top : top + TILE, left : left + TILE] = tile[np.ix_(ys, xs)]
        shown = "" if c <= MAX_MAPS else f" ({MAX_MAPS} of {c})"
        ticks.append((top + TILE / 2, f"{name} {c}×{h}×{w}{shown}"))
    return out, ticks


class PathView(pg.PlotWidget):
    """Feature maps of every layer for the current input, in network order."""

    def __init__(self, parent=None):
        super().__init__(parent, title="Path through the network")
        self.image = pg.ImageItem()
        self.addItem(self.image)
        self.invertY(True)
        self.setAspectLocked(True)
        self.hideAxis("bottom")
        self.layers: list[str] = []  # the layers shown, top to bottom

    def show_path(self, layers: list[tuple[str, np.ndarray]]) -> None:
        image, ticks = path_mosaic(layers)
        self.layers = [name for name, _ in layers[:MAX_ROWS]]
        self.image.setImage(image, levels=(0, 1))
        self.getAxis("left").setTicks([ticks])
        self.setTitle("Path through the network" if layers else "Path through the network: no input")

    def clear_path(self) -> None:
        self.show_path([])
