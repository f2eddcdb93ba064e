"""The canvas: node cards, ports and wires, following the controller's signals."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
)
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QGraphicsScene

from builder import CATALOG, OK, Inference
from builder import ERROR as STATUS_ERROR

from . import style
from .controller import GraphController

BLOCK_MIME = "application/x-convcanvas-block"


class PortItem(QGraphicsItem):
    """An input (top) or output (bottom) connection point of a node."""

    def __init__(self, node: NodeItem, is_output: bool):
        super().__init__(node)
        self.node, self.is_output = node, is_output
        self.state = "normal"  # normal, accept, reject, hover
        self.setAcceptHoverEvents(True)
        y = style.NODE_HEIGHT if is_output else 0.0
        self.setPos(style.NODE_WIDTH / 2, y)
        self.setZValue(2)
        self.setCursor(Qt.CursorShape.CrossCursor if is_output else Qt.CursorShape.ArrowCursor)

    def boundingRect(self) -> QRectF:
        r = style.PORT_RADIUS + 4
        return QRectF(-r, -r, 2 * r, 2 * r)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        r = style.PORT_RADIUS
        fill = {"accept": QColor("#43a047"), "hover": QColor("#2e7d32"), "reject": QColor("#e0e0e0")}.get(
            self.state, QColor("#ffffff")
        )
        pen = QPen(QColor("#bdbdbd") if self.state == "reject" else style.WIRE, 1.5)
        painter.setPen(pen)
        painter.setBrush(fill)
        painter.drawEllipse(QPointF(0, 0), r, r)

    def set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.update()


class NodeItem(QGraphicsItem):
    """A block card: id and type, key settings, output shape and parameter count."""

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
        self.input_port = PortItem(self, False) if spec.max_inputs != 0 else None
        self.output_port = PortItem(self, True)
        self.status, self.shape_line, self.issue_text, self.severity = OK, "", "", ""
        self.dimmed = False
        self.grad_norm: float | None = None  # training health, while a run reports it
        self.refresh(None)

    @property
    def node(self):
        return self.graph_scene.controller.graph.nodes[self.node_id]

    def boundingRect(self) -> QRectF:
        return QRectF(-3, -3, style.NODE_WIDTH + 6, style.NODE_HEIGHT + 6)

    def refresh(self, result: Inference | None) -> None:
        """Update the text and colours from the model and the latest inference."""
        node = self.node
        self.title = node.id
        self.type_text = node.type + (" · frozen" if node.frozen else "")
        self.settings = style.settings_text(node.type, node.settings)
        self.setPos(*node.pos)
        info = result.nodes.get(self.node_id) if result else None
        issues = result.issues_for(self.node_id) if info else []
        if info is None or info.status != OK:
            self.status = info.status if info else "unknown"
            self.shape_line = "error" if self.status == STATUS_ERROR else "shape unknown"
        else:
            self.status = OK
            params = f" · {style.compact(info.learnable)} params" if info.learnable else ""
            self.shape_line = f"→ {style.shape_text(info.shape)}{params}"
        self.severity = issues[0].severity if issues else ""
        self.issue_text = "\n\n".join(str(i) for i in issues)
        tip = f"{node.id} ({node.type}): {CATALOG[node.type].description}"
        if self.grad_norm is not None:
            tip += f"\n\ngradient norm {self.grad_norm:.2e} (the strip: blue small, red large)"
        self.setToolTip(f"{self.issue_text}\n\n{tip}" if self.issue_text else tip)
        self.update()

    def paint(self, painter: QPainter, option, widget=None) -> None:
        w, h = style.NODE_WIDTH, style.NODE_HEIGHT
        rect = QRectF(0, 0, w, h)
        border, fill, width = style.NODE_BORDER, style.NODE_FILL, 1.2
        if self.severity == "error":
            border, fill, width = style.ERROR, style.ERROR_FILL, 2.2
        elif self.severity == "warning":
            border, fill, width = style.WARNING, style.WARNING_FILL, 2.0
        if self.isSelected():
            border, width = style.SELECTED, 3.0
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setOpacity(0.35 if self.dimmed else 1.0)
        painter.setPen(QPen(border, width))
        painter.setBrush(fill)
        painter.drawRoundedRect(rect, 7, 7)
        colour = style.CATEGORY_COLORS[CATALOG[self.node.type].category]
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawRoundedRect(QRectF(0, 0, 6, h), 3, 3)

        fonts = self.graph_scene.fonts

        def text(rect: QRectF, value: str, font_key: str, align=Qt.AlignmentFlag.AlignLeft) -> None:
            font = fonts[font_key]
            painter.setFont(font)
            elided = QFontMetricsF(font).elidedText(value, Qt.TextElideMode.ElideRight, rect.width())
            painter.drawText(rect, align | Qt.AlignmentFlag.AlignVCenter, elided)

        type_width = QFontMetricsF(fonts["small"]).horizontalAdvance(self.type_text) + 6
        painter.setPen(style.TEXT)
        text(QRectF(14, 5, w - 24 - type_width, 20), self.title, "title")
        painter.setPen(colour.darker(130))
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
        text(QRectF(14, 42, w - 22, 20), self.shape_line, "body")
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
            painter.setFont(fonts["title"])
            painter.drawText(QRectF(w - 11, -9, 18, 18), Qt.AlignmentFlag.AlignCenter, "!")

    def itemChange(self, change, value):
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            for edge in self.edges:
                edge.update_path()
        return super().itemChange(change, value)


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


class GraphScene(QGraphicsScene):
    """Mirrors the controller's graph; turns mouse gestures into controller calls."""

    block_dropped = Signal(str)  # the id of a block added by drag and drop
    wire_refused = Signal(str)  # why a dragged wire was not connected

    def __init__(self, controller: GraphController, parent=None):
        super().__init__(parent)
        self.controller = controller
        self.nodes: dict[str, NodeItem] = {}
        self.edges: dict[tuple[str, str], EdgeItem] = {}
        base = QFont()
        base.setPointSizeF(9.0)
        title = QFont(base)
        title.setBold(True)
        small = QFont(base)
        small.setPointSizeF(8.0)
        self.fonts = {"body": base, "title": title, "small": small}
        self._wiring_from: str | None = None
        self._wire: QGraphicsPathItem | None = None
        controller.graph_reset.connect(self.rebuild)
        controller.node_added.connect(self._on_node_added)
        controller.node_removed.connect(self._on_node_removed)
        controller.edge_added.connect(self._on_edge_added)
        controller.edge_removed.connect(self._on_edge_removed)
        controller.node_changed.connect(self._on_node_changed)
        controller.node_moved.connect(self._on_node_moved)
        controller.inferred.connect(self._on_inferred)
        self.rebuild()

    # -- following the model ---------------------------------------------------------

    def rebuild(self) -> None:
        self.clear()
        self.nodes.clear()
        self.edges.clear()
        self._wire = None
        for node_id in self.controller.graph.nodes:
            self._on_node_added(node_id)
        for e in self.controller.graph.edges:
            self._on_edge_added(e.source, e.target)
        self._on_inferred(self.controller.result)

    def _on_node_added(self, node_id: str) -> None:
        item = NodeItem(self, node_id)
        self.nodes[node_id] = item
        self.addItem(item)

    def _on_node_removed(self, node_id: str) -> None:
        item = self.nodes.pop(node_id)
        for edge in list(item.edges):
            self._drop_edge(edge)
        self.removeItem(item)

    def _on_edge_added(self, source: str, target: str) -> None:
        edge = EdgeItem(self.nodes[source], self.nodes[target])
        self.edges[(source, target)] = edge
        self.addItem(edge)

    def _on_edge_removed(self, source: str, target: str) -> None:
        edge = self.edges.get((source, target))
        if edge is not None:
            self._drop_edge(edge)

    def _drop_edge(self, edge: EdgeItem) -> None:
        self.edges.pop(edge.key, None)
        for end in (edge.source, edge.target):
            if edge in end.edges:
                end.edges.remove(edge)
        self.removeItem(edge)

    def _on_node_changed(self, node_id: str) -> None:
        self.nodes[node_id].refresh(self.controller.result)

    def _on_node_moved(self, node_id: str) -> None:
        item = self.nodes[node_id]
        item.setPos(*self.controller.graph.nodes[node_id].pos)

    def _on_inferred(self, result: Inference) -> None:
        for item in self.nodes.values():
            item.refresh(result)
        graph = self.controller.graph
        for (source, target), edge in self.edges.items():
            info = result.nodes.get(source)
            label = style.shape_text(info.shape) if info and info.status == OK else "?"
            if CATALOG[graph.nodes[target].type].forward == "concat":
                order = graph.inputs_of(target)
                label = f"{order.index(source) + 1}: {label}"  # concatenation order matters
            if label != edge.label:
                edge.label = label
                edge.update()

    # -- gestures ----------------------------------------------------------------------

    def set_health(self, grad_norms: dict[str, float] | None) -> None:
        """Colour blocks by their gradient norm; None clears the colouring."""
        for node_id, item in self.nodes.items():
            value = None if grad_norms is None else grad_norms.get(node_id)
            if value != item.grad_norm:
                item.grad_norm = value
                item.refresh(self.controller.result)

    def selected_node_ids(self) -> list[str]:
        return [i.node_id for i in self.selectedItems() if isinstance(i, NodeItem)]

    def selected_edges(self) -> list[tuple[str, str]]:
        return [i.key for i in self.selectedItems() if isinstance(i, EdgeItem)]

    def mousePressEvent(self, event) -> None:
        item = self.itemAt(event.scenePos(), self.views()[0].transform()) if self.views() else None
        if isinstance(item, PortItem) and item.is_output and event.button() == Qt.MouseButton.LeftButton:
            self.start_wiring(item.node.node_id)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._wiring_from is not None:
            self._update_wire(event.scenePos())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self._wiring_from is not None:
            self.finish_wiring(event.scenePos())
            event.accept()
            return
        super().mouseReleaseEvent(event)
        self.commit_moves()

    def commit_moves(self) -> None:
        """Record dragged blocks' new places as one undoable move."""
        graph = self.controller.graph
        moves = {}
        for node_id, item in self.nodes.items():
            new, old = (item.pos().x(), item.pos().y()), graph.nodes[node_id].pos
            if abs(new[0] - old[0]) > 0.5 or abs(new[1] - old[1]) > 0.5:
                moves[node_id] = (old, new)
        self.controller.move_nodes(moves)

    def start_wiring(self, source: str) -> None:
        """Begin dragging a wire; ports that cannot take it are dimmed."""
        self._wiring_from = source
        self._wire = QGraphicsPathItem()
        self._wire.setPen(QPen(style.SELECTED, 2, Qt.PenStyle.DashLine))
        self._wire.setZValue(3)
        self.addItem(self._wire)
        for node_id, item in self.nodes.items():
            if item.input_port is None:
                continue
            ok, why = self.controller.can_connect(source, node_id)
            item.input_port.set_state("accept" if ok else "reject")
            item.input_port.setToolTip("" if ok else why)
            item.dimmed = not ok and node_id != source
            item.update()

    def _update_wire(self, pos: QPointF) -> None:
        start = self.nodes[self._wiring_from].output_port.scenePos()
        path = QPainterPath(start)
        bend = max(40.0, abs(pos.y() - start.y()) * 0.5)
        path.cubicTo(start + QPointF(0, bend), pos - QPointF(0, bend), pos)
        self._wire.setPath(path)
        target = self._target_at(pos)
        for item in self.nodes.values():
            if item.input_port is not None and item.input_port.state in ("accept", "hover"):
                item.input_port.set_state("hover" if item is target else "accept")

    def _target_at(self, pos: QPointF) -> NodeItem | None:
        for item in self.items(pos):
            if isinstance(item, PortItem):
                return item.node
            if isinstance(item, NodeItem):
                return item
        return None

    def finish_wiring(self, pos: QPointF) -> None:
        source, self._wiring_from = self._wiring_from, None
        if self._wire is not None:
            self.removeItem(self._wire)
            self._wire = None
        target = self._target_at(pos)
        for item in self.nodes.values():
            item.dimmed = False
            if item.input_port is not None:
                item.input_port.set_state("normal")
                item.input_port.setToolTip("")
            item.update()
        if target is not None and target.node_id != source:
            ok, why = self.controller.can_connect(source, target.node_id)
            if ok:
                self.controller.connect(source, target.node_id)
            else:
                self.wire_refused.emit(f"cannot connect {source} to {target.node_id}: {why}")

    # -- drag and drop from the palette ----------------------------------------------

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasFormat(BLOCK_MIME):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event) -> None:
        if event.mimeData().hasFormat(BLOCK_MIME):
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event) -> None:
        if not event.mimeData().hasFormat(BLOCK_MIME):
            super().dropEvent(event)
            return
        block_type = bytes(event.mimeData().data(BLOCK_MIME)).decode()
        node_id = self.drop_block(block_type, event.scenePos())
        event.acceptProposedAction()
        self.block_dropped.emit(node_id)

    def drop_block(self, block_type: str, pos: QPointF) -> str:
        """Add a block where it is dropped; dropped onto a wire, it is inserted into it."""
        corner = (pos.x() - style.NODE_WIDTH / 2, pos.y() - style.NODE_HEIGHT / 2)
        edge = next((i for i in self.items(pos) if isinstance(i, EdgeItem)), None)
        if edge is not None and CATALOG[block_type].max_inputs != 0:
            return self.controller.insert_on_edge(*edge.key, block_type, pos=corner)
        return self.controller.add_node(block_type, corner)
