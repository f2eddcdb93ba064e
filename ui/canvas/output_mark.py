"""The tab under a block card that says it is the network's output.

Solid on the output block (its result is what the network returns, what training compares with
the labels and export returns). While several blocks' outputs are unused and none is marked,
each of them wears a dashed "output?" tab: clicking one marks it (one undoable step).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem

from . import style

if TYPE_CHECKING:
    from .node_item import NodeItem

OUTPUT = QColor("#2e7d32")
TAB = QRectF(0, 0, 72, 17)


class OutputMark(QGraphicsItem):
    """The "output" tab of a card; `state` is "output", "candidate" or "" (hidden)."""

    def __init__(self, node: NodeItem):
        super().__init__(node)
        self.node = node
        self.state = ""
        self.setPos(style.NODE_WIDTH - TAB.width() - 10, style.NODE_HEIGHT - 1)
        self.setZValue(-1)  # under its card's border: a tab hanging from it
        self.setVisible(False)

    def set_state(self, state: str) -> None:
        if state == self.state:
            return
        self.state = state
        self.setVisible(bool(state))
        candidate = state == "candidate"
        self.setAcceptedMouseButtons(Qt.MouseButton.LeftButton if candidate else Qt.MouseButton.NoButton)
        self.setCursor(Qt.CursorShape.PointingHandCursor if candidate else Qt.CursorShape.ArrowCursor)
        self.setToolTip(
            "the network's output: what it returns, and what training compares with the labels"
            if state == "output"
            else "several blocks' outputs are unused: click to make this one the network's output"
        )
        self.update()

    def boundingRect(self) -> QRectF:
        return TAB.adjusted(-1, -1, 1, 1)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self.state == "output":
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(OUTPUT)
            text_colour = QColor("white")
        else:
            painter.setPen(QPen(OUTPUT, 1.2, Qt.PenStyle.DashLine))
            painter.setBrush(QColor("#f1f8e9"))
            text_colour = OUTPUT
        painter.drawRoundedRect(TAB, 4, 4)
        painter.setPen(text_colour)
        painter.setFont(self.node.graph_scene.fonts["small"])
        text = "▶ output" if self.state == "output" else "output?"
        painter.drawText(TAB.adjusted(0, 1, 0, 0), Qt.AlignmentFlag.AlignCenter, text)

    def mousePressEvent(self, event) -> None:
        event.accept()

    def mouseReleaseEvent(self, event) -> None:
        if self.state == "candidate" and self.boundingRect().contains(event.pos()):
            self.node.graph_scene.controller.set_output(self.node.node_id)
        event.accept()
