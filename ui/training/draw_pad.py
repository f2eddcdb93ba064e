"""A pad to draw a digit on with the mouse, for the prediction view."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QWidget


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
