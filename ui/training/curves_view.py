"""Loss per step and accuracy per epoch of each run; curves are `setData` on numpy arrays
from the 30 Hz poll."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QHBoxLayout, QWidget

from builder import EpochMetrics, LrChanged, StepMetrics

from . import plot_style  # noqa: F401

RUN_COLOURS = ["#1e88e5", "#e53935", "#43a047", "#8e24aa", "#fb8c00", "#00897b"]


class CurvesView(QWidget):
    """Loss per step (raw and smoothed) and accuracy per epoch; earlier runs stay faint."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.loss_plot = pg.PlotWidget(title="Training loss per step")
        self.loss_plot.setLabel("bottom", "step")
        self.loss_plot.showGrid(x=True, y=True, alpha=0.2)
        self.loss_legend = _legend_below(self.loss_plot)
        self.acc_plot = pg.PlotWidget(title="Accuracy per epoch")
        self.acc_plot.setLabel("bottom", "epoch")
        self.acc_plot.setYRange(0, 1)
        self.acc_plot.showGrid(x=True, y=True, alpha=0.2)
        self.acc_legend = _legend_below(self.acc_plot)
        for plot in (self.loss_plot, self.acc_plot):
            plot.setMinimumSize(160, 120)  # the dock decides; plots must not push the canvas away
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.loss_plot, 3)
        layout.addWidget(self.acc_plot, 2)
        self.runs = 0
        self.raw = self.smooth = self.train_acc = self.test_acc = None
        self.steps: list[int] = []
        self.losses: list[float] = []
        self.epochs: list[int] = []
        self.train_values: list[float] = []
        self.test_values: list[float] = []

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
                if self.train_acc is not None:  # records of a run started without `start_run`
                    self.train_acc.setData(self.epochs, self.train_values)
                    self.test_acc.setData(self.epochs, self.test_values)
            elif isinstance(r, LrChanged):
                pen = pg.mkPen("#757575", style=Qt.PenStyle.DotLine)
                line = pg.InfiniteLine(
                    r.step,
                    angle=90,
                    pen=pen,
                    label=f"lr {r.lr:g}",
                    labelOpts={"position": 0.9, "color": "#555"},
                )
                self.loss_plot.addItem(line)
                # and in the legend, so the change is confirmed where the curves are explained
                self.loss_legend.addItem(pg.PlotDataItem(pen=pen), f"lr set to {r.lr:g} at step {r.step:,}")
        if changed and self.raw is not None:
            x = np.asarray(self.steps, dtype=float)
            y = np.asarray(self.losses, dtype=float)
            self.raw.setData(x, y)
            self.smooth.setData(x, _ema(y, 0.7))  # records already average ~0.1 s of steps

    def point_count(self) -> int:
        return len(self.steps) if self.raw is not None else 0


def _legend_below(widget: pg.PlotWidget) -> pg.LegendItem:
    """A legend in its own row under the plot's axis: it never covers a curve. Curves given a
    `name` are listed in it, as with `addLegend`."""
    plot = widget.getPlotItem()
    legend = pg.LegendItem(colCount=2, horSpacing=12, verSpacing=-4)
    plot.layout.addItem(legend, 4, 1)  # rows 0-3: title, top axis, plot area, bottom axis
    plot.legend = legend
    return legend


def _ema(values: np.ndarray, beta: float) -> np.ndarray:
    out = np.empty_like(values)
    acc = values[0] if len(values) else 0.0
    for i, v in enumerate(values):
        acc = beta * acc + (1 - beta) * v
        out[i] = acc
    return out
