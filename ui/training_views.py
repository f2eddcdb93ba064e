"""What a run shows: loss and accuracy curves, confusion matrix, filters, feature maps,
and a prediction pad. Curves are `setData` on numpy arrays from the 30 Hz poll."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import torch
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from builder import EpochMetrics, LrChanged, NetworkModule, RunFinished, RunStarted, StepMetrics

pg.setConfigOptions(imageAxisOrder="row-major", antialias=False, background="w", foreground="#333")

RUN_COLOURS = ["#1e88e5", "#e53935", "#43a047", "#8e24aa", "#fb8c00", "#00897b"]
SNAPSHOT_MS = 700  # how often filters and feature maps refresh during a run


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


class CurvesView(QWidget):
    """Loss per step (raw and smoothed) and accuracy per epoch; earlier runs stay faint."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.loss_plot = pg.PlotWidget(title="Training loss per step")
        self.loss_plot.setLabel("bottom", "step")
        self.loss_plot.showGrid(x=True, y=True, alpha=0.2)
        self.loss_legend = self.loss_plot.addLegend(offset=(-10, 10))
        self.acc_plot = pg.PlotWidget(title="Accuracy per epoch")
        self.acc_plot.setLabel("bottom", "epoch")
        self.acc_plot.setYRange(0, 1)
        self.acc_plot.showGrid(x=True, y=True, alpha=0.2)
        self.acc_legend = self.acc_plot.addLegend(offset=(-10, -10))
        for plot in (self.loss_plot, self.acc_plot):
            plot.setMinimumSize(160, 120)  # the dock decides; plots must not push the canvas away
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.loss_plot, 3)
        layout.addWidget(self.acc_plot, 2)
        self.runs = 0
        self.raw = self.smooth = self.train_acc = self.test_acc = None

    def start_run(self, label: str) -> None:
        for curve in (self.raw, self.smooth, self.train_acc, self.test_acc):
            if curve is not None:  # the previous run stays, faint, for comparison
                pen = curve.opts["pen"]
                colour = QColor(pen.color() if isinstance(pen, QPen) else pg.mkPen(pen).color())
                colour.setAlpha(70)
                curve.setPen(pg.mkPen(colour, width=1))
                curve.setSymbolBrush(colour)
                curve.setSymbolPen(colour)
        colour = RUN_COLOURS[self.runs % len(RUN_COLOURS)]
        self.runs += 1
        self.steps, self.losses = [], []
        self.epochs, self.train_values, self.test_values = [], [], []
        light = QColor(colour)
        light.setAlpha(90)
        self.raw = self.loss_plot.plot(pen=pg.mkPen(light, width=1))
        self.smooth = self.loss_plot.plot(pen=pg.mkPen(colour, width=2), name=f"run {self.runs}: {label}")
        for curve in (self.raw, self.smooth):
            curve.setDownsampling(auto=True, method="peak")
            curve.setClipToView(True)
        self.train_acc = self.acc_plot.plot(
            pen=pg.mkPen(colour, width=2, style=Qt.PenStyle.DashLine),
            symbol="o",
            symbolSize=5,
            symbolBrush=colour,
            name=f"run {self.runs} train",
        )
        self.test_acc = self.acc_plot.plot(
            pen=pg.mkPen(colour, width=2),
            symbol="s",
            symbolSize=6,
            symbolBrush=colour,
            name=f"run {self.runs} test",
        )

    def add(self, records: list) -> None:
        changed = False
        for r in records:
            if isinstance(r, StepMetrics):
                self.steps.append(r.step)
                self.losses.append(r.loss)
                changed = True
            elif isinstance(r, EpochMetrics):
                self.epochs.append(r.epoch)
                self.train_values.append(r.train_accuracy)
                self.test_values.append(r.test_accuracy)
                self.train_acc.setData(self.epochs, self.train_values)
                self.test_acc.setData(self.epochs, self.test_values)
            elif isinstance(r, LrChanged):
                line = pg.InfiniteLine(
                    r.step,
                    angle=90,
                    pen=pg.mkPen("#757575", style=Qt.PenStyle.DotLine),
                    label=f"lr {r.lr:g}",
                    labelOpts={"position": 0.9, "color": "#555"},
                )
                self.loss_plot.addItem(line)
        if changed and self.raw is not None:
            x = np.asarray(self.steps, dtype=float)
            y = np.asarray(self.losses, dtype=float)
            self.raw.setData(x, y)
            self.smooth.setData(x, _ema(y, 0.7))  # records already average ~0.1 s of steps

    def point_count(self) -> int:
        return len(self.steps) if self.raw is not None else 0


def _ema(values: np.ndarray, beta: float) -> np.ndarray:
    out = np.empty_like(values)
    acc = values[0] if len(values) else 0.0
    for i, v in enumerate(values):
        acc = beta * acc + (1 - beta) * v
        out[i] = acc
    return out


class ConfusionView(pg.PlotWidget):
    """The test-set confusion matrix of the last epoch, rows normalised."""

    def __init__(self, parent=None):
        super().__init__(parent, title="Confusion matrix (test set): true class down, predicted across")
        self.image = pg.ImageItem()
        self.addItem(self.image)
        self.image.setColorMap(pg.colormap.get("viridis"))
        self.invertY(True)
        self.setAspectLocked(True)
        self.counts = CountsItem()
        self.addItem(self.counts)
        self.matrix: np.ndarray | None = None
        self.setMinimumSize(160, 120)

    def show_matrix(self, confusion, classes) -> None:
        matrix = np.asarray(confusion, dtype=float)
        self.matrix = matrix
        rows = matrix / np.maximum(1, matrix.sum(axis=1, keepdims=True))
        self.image.setImage(rows, levels=(0, 1))
        ticks = [[(i + 0.5, str(c)[:10]) for i, c in enumerate(classes)]] if len(classes) <= 20 else None
        for axis in ("bottom", "left"):
            self.getAxis(axis).setTicks(ticks)
        self.counts.show_counts(matrix if len(classes) <= 12 else None, rows)


class CountsItem(pg.GraphicsObject):
    """The count in each cell of a matrix image, drawn in screen pixels in one paint call
    (a TextItem per cell cost ~50 ms of the GUI thread to create)."""

    def __init__(self):
        super().__init__()
        self.matrix: np.ndarray | None = None
        self.rows: np.ndarray | None = None

    def show_counts(self, matrix, rows) -> None:
        self.prepareGeometryChange()
        self.matrix, self.rows = matrix, rows
        self.update()

    def boundingRect(self) -> QRectF:
        n = 0 if self.matrix is None else len(self.matrix)
        return QRectF(0, 0, n, n)

    def paint(self, painter, *args) -> None:
        if self.matrix is None:
            return
        transform = painter.transform()
        painter.resetTransform()  # text in pixels, whatever the zoom
        for (i, j), count in np.ndenumerate(self.matrix):
            if count:
                centre = transform.map(QPointF(j + 0.5, i + 0.5))
                painter.setPen(QColor("white") if self.rows[i, j] < 0.6 else QColor("black"))
                painter.drawText(
                    QRectF(centre.x() - 25, centre.y() - 9, 50, 18),
                    Qt.AlignmentFlag.AlignCenter,
                    str(int(count)),
                )


class DrawPad(QWidget):
    """Draw a digit with the mouse; emits the drawing as a 28x28 array in 0..1."""

    drawn = Signal(object)
    SIZE = 28

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFixedSize(196, 196)
        self.image = QImage(self.SIZE * 8, self.SIZE * 8, QImage.Format.Format_Grayscale8)
        self.image.fill(0)
        self.last: QPoint | None = None
        self.setToolTip("Draw a digit, white on black, like MNIST")

    def clear(self) -> None:
        self.image.fill(0)
        self.update()

    def array(self) -> np.ndarray:
        small = self.image.scaled(
            self.SIZE,
            self.SIZE,
            Qt.AspectRatioMode.IgnoreAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
        ptr = small.constBits()
        data = np.frombuffer(ptr, dtype=np.uint8).reshape(self.SIZE, small.bytesPerLine())[:, : self.SIZE]
        return data.astype(np.float32) / 255.0

    def draw_line(self, a: QPoint, b: QPoint) -> None:
        scale = self.image.width() / self.width()
        painter = QPainter(self.image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(
            QPen(QColor("white"), 16 * scale / 1.0 * 0.9, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
        )
        painter.drawLine(a * scale, b * scale)
        painter.end()
        self.update()

    def mousePressEvent(self, event) -> None:
        self.last = event.position().toPoint()
        self.draw_line(self.last, self.last)

    def mouseMoveEvent(self, event) -> None:
        if self.last is not None:
            point = event.position().toPoint()
            self.draw_line(self.last, point)
            self.last = point

    def mouseReleaseEvent(self, event) -> None:
        self.last = None
        self.drawn.emit(self.array())

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.drawImage(self.rect(), self.image)
        painter.setPen(QPen(QColor("#9e9e9e")))
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))


class InsideView(QWidget):
    """Filters of the first convolution, feature maps of a chosen conv block for a chosen
    test image, and a prediction pad with class probabilities."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.model: NetworkModule | None = None
        self.dataset = None
        self.graph = None
        self.conv_id: str | None = None
        self.input_image: torch.Tensor | None = None  # (C, H, W) normalised

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

        pad_column = QVBoxLayout()
        pad_column.addWidget(QLabel("Draw a digit:"))
        pad_column.addWidget(self.pad)
        pad_column.addWidget(self.clear_button)
        pad_column.addWidget(self.test_index)
        pad_column.addWidget(self.use_test)
        pad_column.addWidget(self.input_view)
        pad_column.addWidget(self.status)
        pad_column.addStretch(1)
        pad_widget = QWidget()
        pad_widget.setLayout(pad_column)
        pad_scroll = QScrollArea()  # the pad column scrolls rather than set the dock's height
        pad_scroll.setWidget(pad_widget)
        pad_scroll.setWidgetResizable(True)
        pad_scroll.setMinimumWidth(230)
        splitter = QSplitter()
        splitter.addWidget(pad_scroll)
        splitter.addWidget(self.filters)
        splitter.addWidget(self.maps)
        splitter.addWidget(self.probabilities)
        splitter.setSizes([210, 300, 300, 260])
        for plot in (self.filters, self.maps, self.probabilities):
            plot.setMinimumSize(120, 100)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self.pad.drawn.connect(self._on_drawn)
        self.clear_button.clicked.connect(self.pad.clear)
        self.use_test.clicked.connect(self.show_test_image)
        self.test_index.valueChanged.connect(lambda _: self.show_test_image())

    def attach(self, graph, dataset) -> None:
        """A run has started: build a viewing copy of its network (weights come by snapshot)."""
        self.graph, self.dataset = graph, dataset
        self.model = NetworkModule(graph).eval()
        convs = self._convs()
        self.conv_id = self.conv_id if self.conv_id in convs else (convs[0] if convs else None)
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

    def select_conv(self, node_id: str | None) -> None:
        if self.model is not None and node_id in self._convs():
            self.conv_id = node_id
            self.refresh()

    def _convs(self) -> list[str]:
        """Conv blocks of the viewing model, in network order (blocks on a dangling branch
        are not built, so they have no filters or maps to show)."""
        return [n for n, m in self.model.named_children() if isinstance(m, torch.nn.Conv2d)]

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
        convs = self._convs()
        first_id = convs[0] if convs else None
        if first_id is not None:
            first = getattr(self.model, first_id)
            self.filters.setTitle(f"Filters of {first_id}")
            w = first.weight.detach().float()
            tiles = w.permute(0, 2, 3, 1).numpy() if w.shape[1] == 3 else w[:, 0].numpy()
            self.filters_image.setImage(mosaic(tiles), autoLevels=True)
        if self.input_image is None or tuple(self.input_image.shape) != tuple(self.model.input_shape):
            return
        with torch.no_grad():
            keep = (self.conv_id,) if self.conv_id else ()
            outputs = self.model.forward_all(self.input_image[None], keep=keep)
        if self.conv_id and self.conv_id in outputs:
            self.maps.setTitle(f"Feature maps of {self.conv_id}")
            self.maps_image.setImage(mosaic(outputs[self.conv_id][0].numpy()), autoLevels=True)
        scores = outputs[self.model.output_id][0]
        if scores.ndim == 1:
            probs = scores if self.graph.nodes[self.model.output_id].type == "Softmax" else scores.softmax(0)
            self.bars.setOpts(x=np.arange(len(probs)), height=probs.numpy(), width=0.7)
            best = int(probs.argmax())
            classes = self.dataset.classes
            self.probabilities.setTitle(f"Prediction: {classes[best]} ({float(probs[best]):.0%})")
            if len(classes) <= 20:
                self.probabilities.getAxis("bottom").setTicks(
                    [[(i, str(c)[:6]) for i, c in enumerate(classes)]]
                )


class TrainingViews(QTabWidget):
    """All training views; follows a TrainingSession."""

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.curves = CurvesView()
        self.confusion = ConfusionView()
        self.inside = InsideView()
        self.addTab(self.curves, "Curves")
        self.addTab(self.confusion, "Confusion matrix")
        self.addTab(self.inside, "Filters, feature maps, prediction")
        self.classes: tuple = ()
        self.snapshot_timer = QTimer(self)
        self.snapshot_timer.setInterval(SNAPSHOT_MS)
        self.snapshot_timer.timeout.connect(session.request_snapshot)
        session.records_arrived.connect(self.on_records)
        session.snapshot_arrived.connect(self.inside.load_weights)
        session.finished.connect(self._on_finished)

    def start_run(self, config) -> None:
        self.curves.start_run(
            f"{config.optimizer} lr {config.lr:g}, batch {config.batch_size}, {config.dataset}"
        )
        self.snapshot_timer.start()

    def on_records(self, records: list) -> None:
        self.curves.add(records)
        for r in records:
            if isinstance(r, RunStarted):
                self.classes = r.classes
                trainer = self.session.trainer
                if trainer is not None:
                    self.inside.attach(trainer.graph, trainer.dataset)
            elif isinstance(r, EpochMetrics):
                self.confusion.show_matrix(r.confusion, self.classes)

    def _on_finished(self, record: RunFinished) -> None:
        self.snapshot_timer.stop()
        trainer = self.session.trainer
        if trainer is not None and trainer.model is not None and self.inside.model is not None:
            # the worker has ended, so its model can be read directly
            self.inside.load_weights({k: v.detach().cpu() for k, v in trainer.model.state_dict().items()})
