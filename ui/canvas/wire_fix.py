"""The note on a wire whose tensor does not fit its target: the reason, and the one-click fix.

It sits beside the wire's shape label, on the other side of the wire; clicking it applies the
fix as one undoable step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem

from builder import Fix, InsertBetween, MarkOutput, WireProblem

from . import style

if TYPE_CHECKING:
    from .edge_item import EdgeItem

MIN_WIDTH, MAX_WIDTH = 170.0, 380.0  # the note fits its message, elided beyond the most


def fix_label(fix: Fix) -> str:
    """A short button text for a fix: "Fix: insert Flatten"."""
    inserted = list(dict.fromkeys(e.block_type for e in fix.edits if isinstance(e, InsertBetween)))
    if inserted:
        return "Fix: insert " + " + ".join(inserted)
    if any(isinstance(e, MarkOutput) for e in fix.edits):
        return "Fix: mark as output"
    return "Fix: " + fix.title[:1].lower() + fix.title[1:]


class WireFixNote(QGraphicsItem):
    """The reason a wire does not fit, and (where the fix is clear) a button that applies it."""

    def __init__(self, edge: EdgeItem, problem: WireProblem):
        super().__init__(edge)
        self.edge, self.problem = edge, problem
        self.setZValue(4)  # over the cards it may reach
        self.setAcceptedMouseButtons(Qt.MouseButton.LeftButton if problem.fix else Qt.MouseButton.NoButton)
        if problem.fix is not None:
            self.setCursor(Qt.CursorShape.PointingHandCursor)
        fix = f"\n\nClick to fix: {problem.fix.title}" if problem.fix else ""
        self.setToolTip(f"{problem.issue.message}.\n{problem.issue.fix}{fix}")
        self.button = fix_label(problem.fix) if problem.fix else ""
        self.text = "✖ " + problem.issue.message
        metrics = QFontMetricsF(edge.source.graph_scene.fonts["small"])
        self.width = min(MAX_WIDTH, max(MIN_WIDTH, metrics.horizontalAdvance(self.text) + 16))

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, self.width, 40 if self.button else 22)

    def button_rect(self) -> QRectF:
        return QRectF(6, 21, self.width - 12, 16)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(style.ERROR, 1.2))
        painter.setBrush(QColor(255, 255, 255, 245))
        painter.drawRoundedRect(self.boundingRect().adjusted(0.5, 0.5, -0.5, -0.5), 5, 5)
        font = self.edge.source.graph_scene.fonts["small"]
        painter.setFont(font)
        metrics = QFontMetricsF(font)
        text = metrics.elidedText(self.text, Qt.TextElideMode.ElideRight, self.width - 12)
        painter.setPen(style.ERROR)
        painter.drawText(QRectF(6, 3, self.width - 12, 16), Qt.AlignmentFlag.AlignVCenter, text)
        if self.button:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(style.ERROR)
            painter.drawRoundedRect(self.button_rect(), 4, 4)
            painter.setPen(QColor("white"))
            painter.drawText(self.button_rect(), Qt.AlignmentFlag.AlignCenter, self.button)

    def place(self, at: QPointF, beside: bool, side: float) -> None:
        """Put the note by the point `at` of its wire, on the side away from the shape label."""
        rect = self.boundingRect()
        if beside:  # the label is right (or left) of a wire running down: the note goes opposite
            x = at.x() + 10 if side < 0 else at.x() - 10 - rect.width()
            self.setPos(x, at.y() - rect.height() / 2)
        else:  # the label is above (or below) a wire running across
            y = at.y() + 8 if side < 0 else at.y() - 8 - rect.height()
            self.setPos(at.x() - rect.width() / 2, y)

    def mousePressEvent(self, event) -> None:
        event.accept()  # not a click on the wire: the release applies the fix

    def mouseReleaseEvent(self, event) -> None:
        fix = self.problem.fix
        if fix is not None and self.boundingRect().contains(event.pos()):
            controller = self.edge.source.graph_scene.controller
            # queued: applying the fix removes this wire, and this note with it
            QTimer.singleShot(0, lambda: controller.apply_fix(fix))
        event.accept()
