"""A block card on the canvas: id and type, key settings, output shape and parameter count."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem

from builder import CATALOG, OK, Inference
from builder import ERROR as STATUS_ERROR

from . import style
from .output_mark import OutputMark
from .port_item import PortItem

if TYPE_CHECKING:
    from .edge_item import EdgeItem
    from .graph_scene import GraphScene


class NodeItem(QGraphicsItem):
    """A block card; its text comes from the graph and the latest inference."""

    def __init__(self, scene: GraphScene, node_id: str):
        super().__init__()
        self.graph_scene, self.node_id = scene, node_id
        self.setFlags(
            QGraphicsItem.GraphicsItemFlag.ItemIsMovable
            | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
            | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges
        )
        self.setAcceptHoverEvents(True)
        self.setZValue(1)
        self.edges: list[EdgeItem] = []
        spec = CATALOG[self.node.type]
        self.input_port = PortItem(self, False, scene.direction) if spec.max_inputs != 0 else None
        self.output_port = PortItem(self, True, scene.direction)
        self.output_mark = OutputMark(self)
        self.status, self.shape_line, self.issue_text, self.severity = OK, "", "", ""
        self.dimmed = False
        self.grad_norm: float | None = None  # training health, while a run reports it
        self.refresh(None)

    @property
    def node(self):
        return self.graph_scene.controller.graph.nodes[self.node_id]

    def boundingRect(self) -> QRectF:
        # the card, its selection border, and the problem badge on its top-right corner
        return QRectF(-3, -12, style.NODE_WIDTH + 15, style.NODE_HEIGHT + 15)

    def place_ports(self, direction: str) -> None:
        for port in (self.input_port, self.output_port):
            if port is not None:
                port.place(direction)

    def follow(self, result: Inference) -> bool:
        """Refresh after a re-inference if anything the card shows differs from what it last
        showed (its inferred info, its settings, its output mark); True if it did."""
        node = self.node
        info = result.nodes.get(self.node_id)
        if (
            (info is self._shown_info or info == self._shown_info)  # inference reuses unchanged infos
            and node.settings == self._shown_settings
            and (node.type, node.frozen) == self._shown_node
            and self._output_state(result) == self.output_mark.state
        ):
            if node.pos != self._shown_pos:  # moved only: the text stays
                self._shown_pos = node.pos
                self.setPos(*node.pos)
            return False
        self.refresh(result)
        return True

    def _output_state(self, result: Inference | None) -> str:
        if result is not None and result.output == self.node_id:
            return "output"
        candidates = getattr(self.graph_scene, "output_candidates", ())
        return "candidate" if self.node_id in candidates else ""

    def refresh(self, result: Inference | None) -> None:
        """Update the text and colours from the model and the latest inference."""
        node = self.node
        self._shown_info = result.nodes.get(self.node_id) if result else None
        self._shown_settings = dict(node.settings)
        self._shown_node = (node.type, node.frozen)
        self._shown_pos = node.pos
        spec = CATALOG[node.type]
        self.title = node.id
        self.type_text = node.type + (" · frozen" if node.frozen else "")
        self.settings = spec.card_text(node.settings)
        self.colour = style.category_colour(spec.category)
        self.setPos(*node.pos)
        info = result.nodes.get(self.node_id) if result else None
        issues = result.issues_for(self.node_id) if info else []
        if info is None or info.status != OK:
            self.status = info.status if info else "unknown"
            self.shape_line = "error" if self.status == STATUS_ERROR else "shape unknown"
            self.shape_short = ""
        else:
            self.status = OK
            params = f" · {style.compact(info.learnable)} params" if info.learnable else ""
            self.shape_line = f"→ {style.shape_text(info.shape)}{params}"
            self.shape_short = f"→ {style.shape_text(info.shape)}" if params else ""
        self.severity = issues[0].severity if issues else ""
        self.output_mark.set_state(self._output_state(result))
        self.issue_text = "\n\n".join(str(i) for i in issues)
        tip = f"{node.id} ({node.type}): {spec.description}"
        if self.grad_norm is not None:
            tip += f"\n\ngradient norm {self.grad_norm:.2e} (the strip: blue small, red large)"
        self.setToolTip(f"{self.issue_text}\n\n{tip}" if self.issue_text else tip)
        self.update()

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if style.far_out(painter):  # a plain card: its text would be specks
            colour = style.ERROR if self.severity == "error" else self.colour
            painter.fillRect(QRectF(0, 0, style.NODE_WIDTH, style.NODE_HEIGHT), colour)
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setOpacity(0.35 if self.dimmed else 1.0)
        self._paint_card(painter)
        self._paint_text(painter)
        self._paint_marks(painter)

    def _paint_card(self, painter: QPainter) -> None:
        border, fill, width = style.NODE_BORDER, style.NODE_FILL, 1.2
        if self.severity == "error":
            border, fill, width = style.ERROR, style.ERROR_FILL, 2.2
        elif self.severity == "warning":
            border, fill, width = style.WARNING, style.WARNING_FILL, 2.0
        if self.isSelected():
            border, width = style.SELECTED, 3.0
        painter.setPen(QPen(border, width))
        painter.setBrush(fill)
        painter.drawRoundedRect(QRectF(0, 0, style.NODE_WIDTH, style.NODE_HEIGHT), 7, 7)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self.colour)
        painter.drawRoundedRect(QRectF(0, 0, 6, style.NODE_HEIGHT), 3, 3)

    def _paint_text(self, painter: QPainter) -> None:
        w = style.NODE_WIDTH
        fonts = self.graph_scene.fonts

        def text(rect: QRectF, value: str, font_key: str, align=Qt.AlignmentFlag.AlignLeft) -> None:
            font = fonts[font_key]
            painter.setFont(font)
            elided = QFontMetricsF(font).elidedText(value, Qt.TextElideMode.ElideRight, rect.width())
            painter.drawText(rect, align | Qt.AlignmentFlag.AlignVCenter, elided)

        type_width = QFontMetricsF(fonts["small"]).horizontalAdvance(self.type_text) + 6
        painter.setPen(style.TEXT)
        text(QRectF(14, 5, w - 24 - type_width, 20), self.title, "title")
        painter.setPen(self.colour.darker(130))
        text(
            QRectF(w - 8 - type_width, 5, type_width, 20),
            self.type_text,
            "small",
            Qt.AlignmentFlag.AlignRight,
        )
        painter.setPen(style.MUTED)
        text(QRectF(14, 24, w - 22, 18), self.settings, "small")
        status_colour = (
            style.ERROR if self.status == STATUS_ERROR else style.TEXT if self.status == OK else style.MUTED
        )
        painter.setPen(status_colour)
        line = QRectF(14, 42, w - 22, 20)
        text(line, self.shown_shape_line(QFontMetricsF(fonts["body"]), line.width()), "body")

    def shown_shape_line(self, metrics: QFontMetricsF, width: float) -> str:
        """The shape line as it fits in `width`: the parameter count goes first (it is in the
        tooltip and the Summary), so that a long shape such as 256×112×112 stays whole."""
        return style.fitting(metrics, width, self.shape_line, self.shape_short)

    def _paint_marks(self, painter: QPainter) -> None:
        """The training-health strip and the problem badge."""
        w, h = style.NODE_WIDTH, style.NODE_HEIGHT
        if self.grad_norm is not None:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(style.health_colour(self.grad_norm))
            painter.drawRoundedRect(QRectF(8, h - 5, w - 14, 4), 2, 2)
        if self.severity:
            badge = style.ERROR if self.severity == "error" else style.WARNING
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(badge)
            painter.drawEllipse(QPointF(w - 2, 0), 9, 9)
            painter.setPen(QColor("white"))
            painter.setFont(self.graph_scene.fonts["title"])
            painter.drawText(QRectF(w - 11, -9, 18, 18), Qt.AlignmentFlag.AlignCenter, "!")

    def itemChange(self, change, value):
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            self.graph_scene.card_moved(self)
        return super().itemChange(change, value)
