"""A group on the canvas: a frame with a title behind its blocks, or, collapsed, one card that
shows the group's input and output shapes and its parameter total.

The frame's title strip is its handle: click the triangle (or double-click the title) to
collapse it, drag the strip to move the group's blocks. Clicks elsewhere inside the frame go
through to the canvas (rubber-band selection works inside groups). The card's triangle, or a
double-click on the card, expands it; dragging the card moves the group's blocks with it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6 import QtGui
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem

from builder import FRAME_TITLE, GroupSummary, name_of, port_offsets

from . import style

if TYPE_CHECKING:
    from .group_layer import GroupLayer

FRAME_BORDER = QColor("#90a4ae")
FRAME_FILL = QColor(96, 125, 139, 18)  # translucent: nested frames darken a little each
TITLE_FILL = QColor(96, 125, 139, 40)
TOGGLE = 18.0  # width of the triangle that collapses or expands


def _elided(painter: QPainter, rect: QRectF, text: str, align=Qt.AlignmentFlag.AlignLeft) -> None:
    metrics = QFontMetricsF(painter.font())
    painter.drawText(
        rect,
        align | Qt.AlignmentFlag.AlignVCenter,
        metrics.elidedText(text, Qt.TextElideMode.ElideRight, rect.width()),
    )


class GroupFrame(QGraphicsItem):
    """The frame of an expanded group, behind its blocks."""

    def __init__(self, layer: GroupLayer, path: str):
        super().__init__()
        self.layer, self.path = layer, path
        self.rect = QRectF()
        self.setZValue(-10 + path.count("."))  # behind wires and cards; inner frames above outer
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        self._drag_from: QPointF | None = None

    def set_box(self, box: tuple[float, float, float, float]) -> None:
        rect = QRectF(box[0], box[1], box[2] - box[0], box[3] - box[1])
        if rect != self.rect:
            self.prepareGeometryChange()
            self.rect = rect
            self.update()

    def title_rect(self) -> QRectF:
        return QRectF(self.rect.left(), self.rect.top(), self.rect.width(), FRAME_TITLE)

    def toggle_rect(self) -> QRectF:
        return QRectF(self.rect.left(), self.rect.top(), TOGGLE + 6, FRAME_TITLE)

    def boundingRect(self) -> QRectF:
        return self.rect.adjusted(-1, -1, 1, 1)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRect(self.title_rect())  # only the title strip takes the mouse
        return path

    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(FRAME_BORDER, 1.2))
        painter.setBrush(FRAME_FILL)
        painter.drawRoundedRect(self.rect, 8, 8)
        title = self.title_rect()
        strip = QPainterPath()
        strip.addRoundedRect(title, 8, 8)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(TITLE_FILL)
        painter.drawPath(strip)
        if style.far_out(painter):
            return
        painter.setPen(style.MUTED)
        painter.setFont(self.layer.scene.fonts["small"])
        painter.drawText(self.toggle_rect(), Qt.AlignmentFlag.AlignCenter, "▾")
        painter.setPen(style.TEXT)
        painter.setFont(self.layer.scene.fonts["title"])
        _elided(painter, title.adjusted(TOGGLE + 6, 0, -8, 0), name_of(self.path))

    def hoverEnterEvent(self, event) -> None:
        # worked out when asked (it walks the graph); a group's name is text from the file
        self.setToolTip(QtGui.Qt.convertFromPlainText(self.layer.describe(self.path)))
        super().hoverEnterEvent(event)

    def mousePressEvent(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            event.ignore()
            return
        if self.toggle_rect().contains(event.scenePos()):
            self.layer.toggle_later(self.path)
        else:
            self._drag_from = event.scenePos()
            self.layer.begin_drag(self.path)
        event.accept()

    def mouseMoveEvent(self, event) -> None:
        if self._drag_from is not None:
            delta = event.scenePos() - self._drag_from
            self._drag_from = event.scenePos()
            self.layer.drag_by(self.path, delta)
        event.accept()

    def mouseReleaseEvent(self, event) -> None:
        if self._drag_from is not None:
            self._drag_from = None
            self.layer.end_drag(self.path)
        event.accept()  # the scene then records the moved blocks as one undoable move

    def mouseDoubleClickEvent(self, event) -> None:
        if self.title_rect().contains(event.scenePos()):
            self.layer.toggle_later(self.path)
        event.accept()


class GroupCard(QGraphicsItem):
    """A collapsed group: one card in the place of its blocks."""

    def __init__(self, layer: GroupLayer, path: str):
        super().__init__()
        self.layer, self.path = layer, path
        self.summary: GroupSummary | None = None
        self.lines = ("", "")
        self.short_shapes = ""
        self.setFlags(
            QGraphicsItem.GraphicsItemFlag.ItemIsMovable
            | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
            | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges
        )
        self.setZValue(1)
        self.setAcceptHoverEvents(True)

    def boundingRect(self) -> QRectF:
        return QRectF(-3, -3, style.NODE_WIDTH + 12, style.NODE_HEIGHT + 12)

    def toggle_rect(self) -> QRectF:
        return QRectF(4, 4, TOGGLE, 20)

    def set_summary(self, summary: GroupSummary) -> None:
        if summary == self.summary:
            return
        self.summary = summary

        def shapes(values) -> str:
            return ", ".join(style.shape_text(s) if s else "?" for s in values) or "–"

        blocks = len(summary.blocks)
        # without the words where "in 128×28×28 → out 256×14×14" is wider than the card
        self.short_shapes = f"{shapes(summary.input_shapes)} → {shapes(summary.output_shapes)}"
        self.lines = (
            f"in {shapes(summary.input_shapes)} → out {shapes(summary.output_shapes)}",
            f"{summary.params:,} params · {blocks} block{'s' if blocks != 1 else ''}",
        )
        problems = f"\n{summary.errors} block(s) with errors" if summary.errors else ""
        tip = f"group {self.path} (collapsed; double-click to expand)\n{self.text()}{problems}"
        self.setToolTip(QtGui.Qt.convertFromPlainText(tip))  # the name is text from the file
        self.update()

    def shapes_line(self, metrics: QFontMetricsF, width: float) -> str:
        """The shapes as the card shows them in `width`: with "in" and "out" where they fit."""
        return style.fitting(metrics, width, self.lines[0], self.short_shapes)

    def text(self) -> str:
        """What the card says, as one line per row (tests and tooltips read it)."""
        return "\n".join(self.lines)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        w, h = style.NODE_WIDTH, style.NODE_HEIGHT
        errors = self.summary is not None and self.summary.errors > 0
        if style.far_out(painter):
            painter.fillRect(QRectF(0, 0, w, h), style.ERROR if errors else FRAME_BORDER)
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        border = style.ERROR if errors else FRAME_BORDER
        for offset in (6.0, 3.0):  # a stack of cards: there are blocks inside
            painter.setPen(QPen(border, 1.0))
            painter.setBrush(style.NODE_FILL)
            painter.drawRoundedRect(QRectF(offset, offset, w, h), 7, 7)
        width = 3.0 if self.isSelected() else 1.6
        painter.setPen(QPen(style.SELECTED if self.isSelected() else border, width))
        painter.setBrush(style.ERROR_FILL if errors else style.NODE_FILL)
        painter.drawRoundedRect(QRectF(0, 0, w, h), 7, 7)
        fonts = self.layer.scene.fonts
        painter.setFont(fonts["small"])
        painter.setPen(style.MUTED)
        painter.drawText(self.toggle_rect(), Qt.AlignmentFlag.AlignCenter, "▸")
        painter.setFont(fonts["small"])
        painter.drawText(
            QRectF(w - 58, 5, 50, 20), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, "group"
        )
        painter.setPen(style.TEXT)
        painter.setFont(fonts["title"])
        _elided(painter, QRectF(24, 5, w - 86, 20), name_of(self.path))
        painter.setFont(fonts["body"])
        shapes_rect = QRectF(10, 24, w - 16, 18)
        _elided(painter, shapes_rect, self.shapes_line(QFontMetricsF(fonts["body"]), shapes_rect.width()))
        painter.setPen(style.MUTED)
        painter.setFont(fonts["small"])
        _elided(painter, QRectF(10, 42, w - 16, 20), self.lines[1])
        in_port, out_port = port_offsets(self.layer.scene.direction, (w, h))
        painter.setPen(QPen(style.WIRE, 1.5))
        painter.setBrush(QColor("#ffffff"))
        for x, y in (in_port, out_port):
            painter.drawEllipse(QPointF(x, y), style.PORT_RADIUS, style.PORT_RADIUS)

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.toggle_rect().contains(event.pos()):
            self.layer.toggle_later(self.path)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseDoubleClickEvent(self, event) -> None:
        self.layer.toggle_later(self.path)
        event.accept()

    def itemChange(self, change, value):
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            self.layer.card_dragged(self)
        return super().itemChange(change, value)
