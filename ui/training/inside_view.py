"""Inside a trained network: the first filters, the feature maps of a chosen block for a
chosen test image, and a prediction pad with class probabilities.

Imports torch: it is built only once torch has loaded (see `torch_loader`).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import torch
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from builder import CATALOG, NetworkModule, infer, scores_node

from . import plot_style  # noqa: F401
from .draw_pad import DrawPad


def mosaic(tiles: np.ndarray, columns: int | None = None, gap: int = 1) -> np.ndarray:
    """(N, H, W) or (N, H, W, 3) tiles, each scaled to 0..1, in a grid with gaps."""
    n = len(tiles)
    if n == 0:
        return np.zeros((1, 1))
    columns = columns or int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / columns))
    h, w = tiles.shape[1:3]
    out = np.ones((rows * (h + gap) - gap, columns * (w + gap) - gap, *tiles.shape[3:]), dtype=np.float32)
    for i, tile in enumerate(tiles):
        lo, hi = float(tile.min()), float(tile.max())
        tile = (tile - lo) / (hi - lo) if hi > lo else np.zeros_like(tile)
        r, c = divmod(i, columns)
        out[r * (h + gap) : r * (h + gap) + h, c * (w + gap) : c * (w + gap) + w] = tile
    return out


class InsideView(QWidget):
    """Filters of the first block whose weights are filters, feature maps of a chosen such
    block for a chosen test image, and a prediction pad with class probabilities."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.model: NetworkModule | None = None
        self.dataset = None
        self.graph = None
        self.scores_id: str | None = None  # the node whose output is the class scores
        self.block_id: str | None = None  # the block whose feature maps are shown
        self.input_image: torch.Tensor | None = None  # (C, H, W) normalised
        splitter = QSplitter()
        splitter.addWidget(self._build_pad_column())
        for plot in self._build_plots():
            plot.setMinimumSize(120, 100)
            splitter.addWidget(plot)
        splitter.setSizes([210, 300, 300, 260])
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self.pad.drawn.connect(self._on_drawn)
        self.clear_button.clicked.connect(self.pad.clear)
        self.use_test.clicked.connect(self.show_test_image)
        self.test_index.valueChanged.connect(lambda _: self.show_test_image())

    def _build_plots(self) -> list[pg.PlotWidget]:
        self.filters = pg.PlotWidget(title="Filters")
        self.filters_image = pg.ImageItem()
        self.filters.addItem(self.filters_image)
        self.maps = pg.PlotWidget(title="Feature maps")
        self.maps_image = pg.ImageItem()
        self.maps.addItem(self.maps_image)
        for plot in (self.filters, self.maps):
            plot.invertY(True)
            plot.setAspectLocked(True)
            plot.hideAxis("left")
            plot.hideAxis("bottom")
        self.probabilities = pg.PlotWidget(title="Class probabilities")
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.7, brush="#1e88e5")
        self.probabilities.addItem(self.bars)
        self.probabilities.setYRange(0, 1)
        return [self.filters, self.maps, self.probabilities]

    def _build_pad_column(self) -> QScrollArea:
        self.pad = DrawPad()
        self.clear_button = QPushButton("Clear")
        self.test_index = QSpinBox(minimum=0, maximum=0)
        self.test_index.setPrefix("test image #")
        self.use_test = QPushButton("Show test image")
        self.input_view = pg.ImageView()
        self.input_view.ui.histogram.hide()
        self.input_view.ui.roiBtn.hide()
        self.input_view.ui.menuBtn.hide()
        self.input_view.setFixedSize(120, 120)
        self.status = QLabel("Train a network to see inside it.", wordWrap=True)
        column = QVBoxLayout()
        column.addWidget(QLabel("Draw a digit:"))
        for widget in (self.pad, self.clear_button, self.test_index, self.use_test, self.input_view):
            column.addWidget(widget)
        column.addWidget(self.status)
        column.addStretch(1)
        body = QWidget()
        body.setLayout(column)
        scroll = QScrollArea()  # the pad column scrolls rather than set the dock's height
        scroll.setWidget(body)
        scroll.setWidgetResizable(True)
        scroll.setMinimumWidth(230)
        return scroll

    def attach(self, graph, dataset) -> None:
        """A run has started: build a viewing copy of its network (weights come by snapshot)."""
        result = infer(graph)
        self.graph, self.dataset = graph, dataset
        self.model = NetworkModule(graph, result).eval()
        self.scores_id = scores_node(graph, result)
        blocks = self._filter_blocks()
        self.block_id = self.block_id if self.block_id in blocks else (blocks[0] if blocks else None)
        self.test_index.setMaximum(max(0, len(dataset.test_images) - 1))
        drawable = tuple(self.model.input_shape) == (1, 28, 28)
        self.pad.setEnabled(drawable)
        self.status.setText("" if drawable else "Drawing needs a 1×28×28 input; pick a test image instead.")
        if self.input_image is None:
            self.show_test_image()

    def load_weights(self, state: dict) -> None:
        if self.model is None:
            return
        self.model.load_state_dict(state)
        self.refresh()

    def select_block(self, node_id: str | None) -> None:
        """Show the feature maps of `node_id`, if its weights are filters."""
        if self.model is not None and node_id in self._filter_blocks():
            self.block_id = node_id
            self.refresh()

    def _filter_blocks(self) -> list[str]:
        """Blocks of the viewing model whose weights are filters, in network order (blocks on
        a dangling branch are not built, so they have no filters or maps to show)."""
        nodes = self.graph.nodes
        return [n for n, _ in self.model.named_children() if CATALOG[nodes[n].type].shows_filters]

    def show_test_image(self) -> None:
        if self.dataset is None:
            return
        image = self.dataset.test_images[self.test_index.value()].float() / 255
        self._set_input(image)

    def _on_drawn(self, array: np.ndarray) -> None:
        self._set_input(torch.from_numpy(array)[None])

    def _set_input(self, image: torch.Tensor) -> None:
        """`image` in 0..1, (C, H, W); shown, normalised and predicted."""
        self.input_view.setImage(image.permute(1, 2, 0).squeeze(-1).numpy(), autoLevels=True)
        mean = torch.tensor(self.dataset.mean).view(-1, 1, 1)
        std = torch.tensor(self.dataset.std).view(-1, 1, 1)
        self.input_image = (image - mean) / std
        self.refresh()

    def refresh(self) -> None:
        if self.model is None:
            return
        self._show_filters()
        if self.input_image is None or tuple(self.input_image.shape) != tuple(self.model.input_shape):
            return
        with torch.no_grad():
            keep = tuple(n for n in (self.block_id, self.scores_id) if n)
            outputs = self.model.forward_all(self.input_image[None], keep=keep)
        if self.block_id and self.block_id in outputs:
            self.maps.setTitle(f"Feature maps of {self.block_id}")
            self.maps_image.setImage(mosaic(outputs[self.block_id][0].numpy()), autoLevels=True)
        scores = outputs[self.scores_id or self.model.output_id][0]
        if scores.ndim == 1:
            self._show_prediction(scores.softmax(0))

    def _show_filters(self) -> None:
        blocks = self._filter_blocks()
        if not blocks:
            return
        self.filters.setTitle(f"Filters of {blocks[0]}")
        w = getattr(self.model, blocks[0]).weight.detach().float()
        tiles = w.permute(0, 2, 3, 1).numpy() if w.shape[1] == 3 else w[:, 0].numpy()
        self.filters_image.setImage(mosaic(tiles), autoLevels=True)

    def _show_prediction(self, probs: torch.Tensor) -> None:
        self.bars.setOpts(x=np.arange(len(probs)), height=probs.numpy(), width=0.7)
        best = int(probs.argmax())
        classes = self.dataset.classes
        self.probabilities.setTitle(f"Prediction: {classes[best]} ({float(probs[best]):.0%})")
        if len(classes) <= 20:
            self.probabilities.getAxis("bottom").setTicks([[(i, str(c)[:6]) for i, c in enumerate(classes)]])
