"""A pad to draw a digit on with the mouse, for the prediction view."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QWidget

from builder import center_digit


class DrawPad(QWidget):
    """Draw a digit with the mouse. When a stroke ends, `drawn` carries the whole drawing
    as an (H, W) array in 0..1; the view makes it MNIST-style (`prepare_drawing`), so a
    digit may be drawn at any size anywhere on the pad."""

    drawn = Signal(object)  # np.ndarray (H, W) in 0..1: the pad at full resolution
    cleared = Signal()
    SIZE = 28

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFixedSize(196, 196)
        self.image = QImage(self.SIZE * 8, self.SIZE * 8, QImage.Format.Format_Grayscale8)
        self.image.fill(0)
        self.last: QPoint | None = None
        self.setToolTip("Draw a digit, white on black, like MNIST: any size, anywhere on the pad")

    def clear(self) -> None:
        self.image.fill(0)
        self.update()
        self.cleared.emit()

    def pixels(self) -> np.ndarray:
        """The drawing at full resolution, (H, W) in 0..1."""
        width = self.image.width()
        data = np.frombuffer(self.image.constBits(), dtype=np.uint8)
        data = data.reshape(self.image.height(), self.image.bytesPerLine())[:, :width]
        return data.astype(np.float32) / 255.0

    def array(self) -> np.ndarray:
        """What a network trained on MNIST sees of the drawing, 28x28 in 0..1 (before
        normalisation); all zeros when nothing is drawn."""
        digit = center_digit(self.pixels(), self.SIZE)
        return np.zeros((self.SIZE, self.SIZE), np.float32) if digit is None else digit

    def is_empty(self) -> bool:
        return center_digit(self.pixels(), self.SIZE) is None

    def finish_stroke(self) -> None:
        """A stroke has ended: hand the drawing on."""
        self.last = None
        self.drawn.emit(self.pixels())

    def draw_line(self, a: QPoint, b: QPoint) -> None:
        scale = self.image.width() / self.width()
        painter = QPainter(self.image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        width = 16 * scale * 0.9
        painter.setPen(QPen(QColor("white"), width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
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
        self.finish_stroke()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.drawImage(self.rect(), self.image)
        painter.setPen(QPen(QColor("#9e9e9e")))
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
