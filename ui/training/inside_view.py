"""Inside a trained network: the first filters, the feature maps of a chosen block and the
path of the input through every layer, for a digit drawn on the pad, a test image or an
image file; and the class probabilities.

Imports torch: it is built only once torch has loaded (see `torch_loader`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
import torch
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from builder import (
    CATALOG,
    DatasetError,
    NetworkModule,
    infer,
    normalise_image,
    prepare_drawing,
    prepare_image_file,
    scores_node,
)

from . import plot_style  # noqa: F401
from .draw_pad import DrawPad
from .path_view import PathView

DIGIT_INPUT = (1, 28, 28)  # the input a drawing is made for (MNIST-style)
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.webp *.tif *.tiff);;All files (*)"
DRAW_FIRST = "Draw a digit first"


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
    block and of every layer on the input's path, for a drawn digit, a test image or an
    image file; and the class probabilities."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.model: NetworkModule | None = None
        self.dataset = None
        self.graph = None
        self.scores_id: str | None = None  # the node whose output is the class scores
        self.block_id: str | None = None  # the block whose feature maps are shown
        self.input_image: torch.Tensor | None = None  # (C, H, W) normalised
        self.input_name = ""  # what the input is: "your drawing", "test image #3", a file name
        self.prediction: tuple[int, float] | None = None  # class index and its probability
        splitter = QSplitter()
        splitter.addWidget(self._build_pad_column())
        for plot in self._build_plots():
            plot.setMinimumSize(120, 100)
            splitter.addWidget(plot)
        splitter.setSizes([210, 150, 190, 340, 230])
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self.pad.drawn.connect(self._on_pad_drawn)
        self.pad.cleared.connect(self._on_pad_cleared)
        self.clear_button.clicked.connect(self.pad.clear)
        self.use_test.clicked.connect(self.show_test_image)
        self.test_index.valueChanged.connect(lambda _: self.show_test_image())
        self.open_button.clicked.connect(self._on_open_clicked)

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
        self.path = PathView()
        self.probabilities = pg.PlotWidget(title="Class probabilities")
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.7, brush="#1e88e5")
        self.probabilities.addItem(self.bars)
        self.probabilities.setYRange(0, 1)
        return [self.filters, self.maps, self.path, self.probabilities]

    def _build_pad_column(self) -> QScrollArea:
        self.pad_label = QLabel("Draw a digit (any size, anywhere):")
        self.pad = DrawPad()
        self.clear_button = QPushButton("Clear")
        self.test_index = QSpinBox(minimum=0, maximum=0)
        self.test_index.setPrefix("test image #")
        self.use_test = QPushButton("Show test image")
        self.open_button = QPushButton("Open image…")
        self.open_button.setToolTip("Show the network an image file, resized and cropped to its input")
        self.input_view = pg.ImageView()
        self.input_view.ui.histogram.hide()
        self.input_view.ui.roiBtn.hide()
        self.input_view.ui.menuBtn.hide()
        self.input_view.setFixedSize(120, 120)
        self.input_view.setToolTip("What the network sees")
        self.status = QLabel("Train a network to see inside it.", wordWrap=True)
        column = QVBoxLayout()
        for widget in (self.pad_label, self.pad, self.clear_button, self.test_index, self.use_test):
            column.addWidget(widget)
        column.addWidget(self.open_button)
        column.addWidget(QLabel("What the network sees:"))
        column.addWidget(self.input_view)
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
        same_data = self.dataset is not None and self.dataset.name == dataset.name
        self.graph, self.dataset = graph, dataset
        self.model = NetworkModule(graph, result).eval()
        self.scores_id = scores_node(graph, result)
        blocks = self._filter_blocks()
        self.block_id = self.block_id if self.block_id in blocks else (blocks[0] if blocks else None)
        self.test_index.setMaximum(max(0, len(dataset.test_images) - 1))
        drawable = tuple(self.model.input_shape) == DIGIT_INPUT
        for widget in (self.pad, self.clear_button):
            widget.setVisible(drawable)
        self.pad_label.setText(
            "Draw a digit (any size, anywhere):"
            if drawable
            else "Drawing needs a 1×28×28 input: pick a test image or open an image file."
        )
        self.pad_label.setWordWrap(True)
        if not same_data or not self._input_fits():
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

    def _input_fits(self) -> bool:
        return (
            self.model is not None
            and self.input_image is not None
            and tuple(self.input_image.shape) == tuple(self.model.input_shape)
        )

    # -- where the input comes from ------------------------------------------------------

    def show_test_image(self) -> None:
        if self.dataset is None:
            return
        index = self.test_index.value()
        image = self.dataset.test_images[index].float().numpy() / 255
        label = self.dataset.classes[int(self.dataset.test_labels[index])]
        normalised = torch.from_numpy(normalise_image(image, self.dataset))
        self._set_input(normalised, f"test image #{index} ({label})")

    def _on_pad_drawn(self, pixels: np.ndarray) -> None:
        if self.model is None or self.dataset is None:
            self.status.setText("Train a network first, then draw a digit for it to read.")
            return
        prepared = prepare_drawing(pixels, self.dataset, DIGIT_INPUT[1])
        if prepared is None:
            self._show_nothing_drawn()
        else:
            self._set_input(torch.from_numpy(prepared), "your drawing")

    def _on_pad_cleared(self) -> None:
        if self.model is not None:
            self._show_nothing_drawn()

    def _on_open_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Show the network an image", "", IMAGE_FILTER)
        if path:
            self.open_image(path)

    def open_image(self, path: str) -> None:
        """Show the network the image file at `path`, fitted to its input."""
        if self.model is None or self.dataset is None:
            self.status.setText("Train a network first, then open an image for it to read.")
            return
        shape = tuple(self.model.input_shape)
        if len(shape) != 3:
            self.status.setText(f"This network's input is {shape}, not an image (channels × height × width).")
            return
        try:
            image = prepare_image_file(path, (shape[0], shape[1], shape[2]), self.dataset)
        except DatasetError as e:
            self.status.setText(str(e))
            return
        self._set_input(torch.from_numpy(image), Path(path).name)

    def _set_input(self, image: torch.Tensor, name: str) -> None:
        """`image` normalised, (C, H, W): shown and predicted."""
        shown = image.permute(1, 2, 0).squeeze(-1).numpy()
        # a dataset with a zero std (a broken one: its run fails at once) normalises to infinities
        self.input_view.setImage(np.nan_to_num(shown, nan=0.0, posinf=0.0, neginf=0.0), autoLevels=True)
        self.input_image, self.input_name = image, name
        self.status.setText(f"Input: {name}")
        self.refresh()

    def _show_nothing_drawn(self) -> None:
        """An empty pad: no prediction, and a word on what to do."""
        self.input_image, self.input_name, self.prediction = None, "", None
        self.input_view.clear()
        self.maps_image.clear()
        self.path.clear_path()
        self.bars.setOpts(x=[], height=[], width=0.7)
        self.probabilities.setTitle(DRAW_FIRST)
        self.status.setText(f"{DRAW_FIRST}: the network reads it when you let go of the mouse.")

    # -- what the network makes of it -----------------------------------------------------

    def refresh(self) -> None:
        if self.model is None:
            return
        self._show_filters()
        if not self._input_fits():
            return
        assert self.input_image is not None
        with torch.no_grad():
            outputs = self.model.forward_all(self.input_image[None])  # every layer: the path
        if self.block_id and self.block_id in outputs:
            self.maps.setTitle(f"Feature maps of {self.block_id}")
            self.maps_image.setImage(mosaic(outputs[self.block_id][0].numpy()), autoLevels=True)
        self.path.show_path([(n, out[0].numpy()) for n, out in outputs.items() if out.ndim == 4])
        scores = outputs[self.scores_id or self.model.output_id][0]
        if scores.ndim == 1:
            self._show_prediction(scores.softmax(0))

    def _show_filters(self) -> None:
        """The filters of the selected block (the first filter block until one is selected):
        in colour for 3 input channels, else each filter's first input channel."""
        blocks = self._filter_blocks()
        if not blocks:
            return
        block = self.block_id if self.block_id in blocks else blocks[0]
        w = getattr(self.model, block).weight.detach().float()
        colour = w.shape[1] == 3
        which = "" if colour or w.shape[1] == 1 else f" (input channel 1 of {w.shape[1]})"
        self.filters.setTitle(f"Filters of {block}{which}")
        tiles = w.permute(0, 2, 3, 1).numpy() if colour else w[:, 0].numpy()
        self.filters_image.setImage(mosaic(tiles), autoLevels=True)

    def _show_prediction(self, probs: torch.Tensor) -> None:
        self.bars.setOpts(x=np.arange(len(probs)), height=probs.numpy(), width=0.7)
        best = int(probs.argmax())
        self.prediction = (best, float(probs[best]))
        classes = self.dataset.classes
        self.probabilities.setTitle(f"Prediction: {classes[best]} ({float(probs[best]):.0%})")
        if len(classes) <= 20:
            self.probabilities.getAxis("bottom").setTicks([[(i, str(c)[:6]) for i, c in enumerate(classes)]])
