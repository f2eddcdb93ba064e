"""A wire on the canvas, labelled with the tensor shape it carries."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFontMetricsF, QPainter, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem

from . import style

if TYPE_CHECKING:
    from .node_item import NodeItem


class EdgeItem(QGraphicsPathItem):
    """A wire from an output port to an input port, labelled with the tensor it carries."""

    def __init__(self, source: NodeItem, target: NodeItem):
        super().__init__()
        self.source, self.target = source, target
        self.label = ""
        self.setZValue(0)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setPen(QPen(style.WIRE, 2.0))
        source.edges.append(self)
        target.edges.append(self)
        self.update_path()

    @property
    def key(self) -> tuple[str, str]:
        return (self.source.node_id, self.target.node_id)

    def update_path(self) -> None:
        start = self.source.output_port.scenePos()
        end = self.target.input_port.scenePos() if self.target.input_port else self.target.scenePos()
        path = QPainterPath(start)
        bend = max(40.0, abs(end.y() - start.y()) * 0.5)
        path.cubicTo(start + QPointF(0, bend), end - QPointF(0, bend), end)
        self.prepareGeometryChange()
        self.setPath(path)

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(14)  # easy to click and to drop blocks onto
        return stroker.createStroke(self.path())

    def boundingRect(self) -> QRectF:
        return super().boundingRect().adjusted(-4, -4, 110, 12)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        pen = QPen(style.SELECTED if self.isSelected() else style.WIRE, 3.0 if self.isSelected() else 2.0)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self.path())
        if not self.label:
            return
        font = self.source.graph_scene.fonts["small"]
        metrics = QFontMetricsF(font)
        # away from where wires fan out of one port or into one port, so labels do not pile up
        fan_out = sum(1 for e in self.source.edges if e.source is self.source) > 1
        fan_in = sum(1 for e in self.target.edges if e.target is self.target) > 1
        mid = self.path().pointAtPercent(
            0.72 if fan_out and not fan_in else 0.3 if fan_in and not fan_out else 0.5
        )
        box = metrics.boundingRect(self.label).adjusted(-4, -2, 4, 2)
        box.moveCenter(mid + QPointF(box.width() / 2 + 8, 0))
        painter.setPen(QPen(QColor("#cfd8dc"), 1))
        painter.setBrush(QBrush(QColor(255, 255, 255, 235)))
        painter.drawRoundedRect(box, 4, 4)
        painter.setFont(font)
        painter.setPen(style.MUTED)
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, self.label)
