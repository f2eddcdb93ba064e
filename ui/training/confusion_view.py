"""The test-set confusion matrix of the last epoch, with the count in each cell."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor

from . import plot_style  # noqa: F401


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
