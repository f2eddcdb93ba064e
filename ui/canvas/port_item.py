"""A connection point of a block card: where the flow enters it, or leaves it (the top and
bottom sides top to bottom, the left and right sides left to right)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem

from builder import port_offsets

from . import style

if TYPE_CHECKING:
    from .node_item import NodeItem


class PortItem(QGraphicsItem):
    """An input or output connection point of a node."""

    def __init__(self, node: NodeItem, is_output: bool, direction: str = "TB"):
        super().__init__(node)
        self.node, self.is_output = node, is_output
        self.state = "normal"  # normal, accept, reject, hover, mismatch, mismatch_hover
        self.setAcceptHoverEvents(True)
        self.place(direction)
        self.setZValue(2)
        self.setCursor(Qt.CursorShape.CrossCursor if is_output else Qt.CursorShape.ArrowCursor)

    def place(self, direction: str) -> None:
        """Put the port on the side of its card that the flow enters or leaves."""
        in_port, out_port = port_offsets(direction, (style.NODE_WIDTH, style.NODE_HEIGHT))
        self.setPos(*(out_port if self.is_output else in_port))

    def boundingRect(self) -> QRectF:
        r = style.PORT_RADIUS + 4
        return QRectF(-r, -r, 2 * r, 2 * r)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if style.far_out(painter):
            return
        r = style.PORT_RADIUS
        fill = {
            "accept": QColor("#43a047"),
            "hover": QColor("#2e7d32"),
            "reject": QColor("#e0e0e0"),
            "mismatch": QColor("#fb8c00"),  # takes the wire, but its shape will not fit: drawn red
            "mismatch_hover": QColor("#e65100"),
        }.get(self.state, QColor("#ffffff"))
        pen = QPen(QColor("#bdbdbd") if self.state == "reject" else style.WIRE, 1.5)
        painter.setPen(pen)
        painter.setBrush(fill)
        painter.drawEllipse(QPointF(0, 0), r, r)

    def set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.update()
