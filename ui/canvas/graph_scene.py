"""The canvas scene: mirrors the controller's graph and turns mouse gestures into edits.

Wires follow routes from builder's `WireRouter`, which keeps them clear of the cards between
their ends. Moving a card re-routes only its own wires and those it now covers; the flow
direction (which sides of the cards the ports are on) follows the positions, so Arrange left
to right, and its undo, turn the ports round.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QFont, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsScene

from builder import (
    CATALOG,
    OK,
    Inference,
    WireRouter,
    flow_direction,
    insert_fits,
    output_candidates,
    port_offsets,
    wire_problems,
)

from ..editor.controller import GraphController
from . import style
from .canvas_keys import handle_key
from .drop_hint import AFTER, INSERT, PLACE, DropHint, card_at
from .edge_item import EdgeItem
from .group_layer import GroupLayer
from .node_item import NodeItem
from .port_item import PortItem
from .selection_keeper import SelectionKeeper

BLOCK_MIME = "application/x-convcanvas-block"


class GraphScene(QGraphicsScene):
    """Mirrors the controller's graph; turns mouse gestures into controller calls."""

    block_dropped = Signal(str)  # the id of a block added by drag and drop
    wire_refused = Signal(str)  # why a dragged wire was not connected
    notice = Signal(str)  # a short message for the status bar (an edit that was not made, and why)

    def __init__(self, controller: GraphController, parent=None):
        super().__init__(parent)
        self.controller = controller
        self.nodes: dict[str, NodeItem] = {}
        self.edges: dict[tuple[str, str], EdgeItem] = {}
        self._drop_hint: DropHint | None = None
        base = QFont()
        base.setPointSizeF(9.0)
        title = QFont(base)
        title.setBold(True)
        small = QFont(base)
        small.setPointSizeF(8.0)
        self.fonts = {"body": base, "title": title, "small": small}
        self._wiring_from: str | None = None
        self._wire: QGraphicsPathItem | None = None
        self.direction = "TB"
        self.router = WireRouter(direction=self.direction)
        self._routing = True  # off while many cards move at once: they are routed together
        self._moved: set[str] = set()  # moved by a command; re-routed once it is done
        self._vacated: list[QRectF] = []  # where those cards were: wires that went round them
        self.output_candidates: set[str] = set()  # while the output is ambiguous: its candidates
        self._problem_wires: set[tuple[str, str]] = set()  # wires marked as not fitting
        self._relabel_all = True  # wires came or went: every wire's label is worked out again
        controller.graph_reset.connect(self.rebuild)
        controller.node_added.connect(self._on_node_added)
        controller.node_removed.connect(self._on_node_removed)
        controller.edge_added.connect(self._on_edge_added)
        controller.edge_removed.connect(self._on_edge_removed)
        controller.node_changed.connect(self._on_node_changed)
        controller.node_moved.connect(self._on_node_moved)
        controller.inferred.connect(self._on_inferred)
        self.selection_keeper = SelectionKeeper(self)
        self.groups = GroupLayer(self)  # after the scene's own handlers: it follows them
        self.rebuild()

    # -- following the model ---------------------------------------------------------

    def rebuild(self) -> None:
        self.clear()
        self.nodes.clear()
        self.edges.clear()
        self._problem_wires = set()
        self._relabel_all = True
        self._wire = None
        self._drop_hint = None  # cleared with the scene's items
        graph = self.controller.graph
        self.direction = flow_direction(graph)
        self.router = WireRouter(direction=self.direction)
        self._moved.clear()
        self._routing = False
        try:
            for node_id in graph.nodes:
                self._on_node_added(node_id)
            for e in graph.edges:
                self._on_edge_added(e.source, e.target)
        finally:
            self._routing = True
        self.route_all()
        self.groups.rebuild()
        self._on_inferred(self.controller.result)

    # -- routing wires -----------------------------------------------------------------

    def route_all(self) -> None:
        routes = self.router.route_all(self.edges)
        for key, edge in self.edges.items():
            edge.set_route(routes[key], self.direction)

    def _route(self, edge: EdgeItem) -> None:
        source = edge.source
        fans_out = sum(1 for e in source.edges if e.source is source) > 1
        edge.set_route(self.router.route(*edge.key, bend_at_source=fans_out), self.direction)

    def card_moved(self, item: NodeItem) -> None:
        """A card moved (dragged, or by a command): keep the router in step and re-route the
        wires that need it, its own and any it now covers."""
        pos = item.pos()
        before = self.router.scene_rect(item.node_id)
        self.router.place(item.node_id, (pos.x(), pos.y()))
        self.groups.card_moved(item.node_id)
        if before is not None:
            self._vacated.append(QRectF(QPointF(*before[:2]), QPointF(*before[2:])))
        if self._routing and item.node_id in self.nodes:
            self._reroute_around(item)
            self._reroute_vacated()

    def _reroute_around(self, item: NodeItem) -> None:
        for edge in item.edges:
            self._route(edge)
        near = WireRouter.lane - 1  # wires nearer than a lane's distance are moved away too
        for other in self.items(item.sceneBoundingRect().adjusted(-near, -near, near, near)):
            if isinstance(other, EdgeItem) and item is not other.source and item is not other.target:
                self._route(other)

    def _reroute_vacated(self) -> None:
        """Route again the wires that went round the places cards have left: with the card
        gone they may run straighter. A detour keeps its lane this far from the card, plus a
        lane's width for each wire beside it."""
        vacated, self._vacated = self._vacated, []
        beside = WireRouter.lane + 4 * WireRouter.lane_sep
        rerouted: set[tuple[str, str]] = set()
        for rect in vacated:
            for other in self.items(rect.adjusted(-beside, -beside, beside, beside)):
                if isinstance(other, EdgeItem) and other.key not in rerouted and other.key in self.edges:
                    rerouted.add(other.key)
                    self._route(other)

    def _follow_moves(self) -> None:
        """After a command: turn the ports if the flow now runs the other way, and route the
        wires of the cards it moved (all wires at once if it moved many, as Arrange does)."""
        if not self._moved:
            self._vacated.clear()  # cards placed by a rebuild, not moved by an edit
            return
        direction = flow_direction(self.controller.graph, self.direction)
        moved, self._moved = self._moved, set()
        if direction != self.direction:
            self.direction = direction
            self.router = WireRouter(
                {n: (i.pos().x(), i.pos().y()) for n, i in self.nodes.items()}, direction
            )
            for item in self.nodes.values():
                item.place_ports(direction)
            self.route_all()
        elif len(moved) > 16:
            self.route_all()
        else:
            for node_id in moved:
                if node_id in self.nodes:
                    self._reroute_around(self.nodes[node_id])
            self._reroute_vacated()
        self._vacated.clear()

    def _on_node_added(self, node_id: str) -> None:
        item = NodeItem(self, node_id)
        self.nodes[node_id] = item
        self.addItem(item)
        self.router.place(node_id, self.controller.graph.nodes[node_id].pos)
        if self._routing:
            self._reroute_around(item)  # wires that the new card covers go round it

    def _on_node_removed(self, node_id: str) -> None:
        item = self.nodes.pop(node_id)
        for edge in list(item.edges):
            self._drop_edge(edge)
        self.update(item.sceneBoundingRect())  # its badge and marks go with it: no fragments
        if item.scene() is self:  # not if a collapsed group hid it (see GroupLayer)
            self.removeItem(item)
        self.router.remove(node_id)

    def _on_edge_added(self, source: str, target: str) -> None:
        self._relabel_all = True
        edge = EdgeItem(self.nodes[source], self.nodes[target])
        self.edges[(source, target)] = edge
        self.addItem(edge)
        if self._routing:
            self._route(edge)

    def _on_edge_removed(self, source: str, target: str) -> None:
        edge = self.edges.get((source, target))
        if edge is not None:
            self._drop_edge(edge)

    def _drop_edge(self, edge: EdgeItem) -> None:
        self._relabel_all = True  # a concatenation's order may have changed
        self.edges.pop(edge.key, None)
        self.router.forget(*edge.key)
        for end in (edge.source, edge.target):
            if edge in end.edges:
                end.edges.remove(edge)
        self.removeItem(edge)

    def _on_node_changed(self, node_id: str) -> None:
        self.nodes[node_id].refresh(self.controller.result)

    def _on_node_moved(self, node_id: str) -> None:
        item = self.nodes[node_id]
        self._moved.add(node_id)
        self._routing = False  # routed when the command is done: see _follow_moves
        try:
            item.setPos(*self.controller.graph.nodes[node_id].pos)
        finally:
            self._routing = True

    def _on_inferred(self, result: Inference) -> None:
        self._follow_moves()
        graph = self.controller.graph
        ambiguous = any(issue.code == "ambiguous_output" for issue in result.errors)
        self.output_candidates = set(output_candidates(graph, result)) if ambiguous else set()
        # only what the edit changed is redrawn: on a big network most cards and wires keep
        # their text, and refreshing them all would cost more than the inference
        changed = {node_id for node_id, item in self.nodes.items() if item.follow(result)}
        problems = wire_problems(graph, result)
        for key in self._problem_wires | problems.keys():
            edge = self.edges.get(key)
            if edge is not None:
                edge.set_problem(problems.get(key))
        self._problem_wires = set(problems)
        if self._relabel_all:
            self._relabel_all = False
            relabel = list(self.edges.items())
        else:
            relabel = [(key, edge) for key, edge in self.edges.items() if key[0] in changed]
        inputs: dict[str, list[str]] = {}
        for (source, target), edge in relabel:
            info = result.nodes.get(source)
            label = style.shape_text(info.shape) if info and info.status == OK else "?"
            if CATALOG[graph.nodes[target].type].forward == "concat":
                if not inputs:
                    inputs, _ = graph.adjacency()
                label = f"{inputs[target].index(source) + 1}: {label}"  # concatenation order matters
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
        """The selected blocks, and the blocks of selected collapsed groups."""
        ids = [i.node_id for i in self.selectedItems() if isinstance(i, NodeItem)]
        return ids + self.groups.selected_members() if self.groups.cards else ids

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
            mismatch = self.controller.shape_problem(source, node_id) if ok else ""
            item.input_port.set_state("reject" if not ok else "mismatch" if mismatch else "accept")
            item.input_port.setToolTip(why or (f"the wire will not fit: {mismatch}" if mismatch else ""))
            item.dimmed = not ok and node_id != source
            item.update()

    def _update_wire(self, pos: QPointF) -> None:
        start = self.nodes[self._wiring_from].output_port.scenePos()
        path = QPainterPath(start)
        if self.direction == "TB":
            bend = QPointF(0, max(40.0, abs(pos.y() - start.y()) * 0.5))
        else:
            bend = QPointF(max(40.0, abs(pos.x() - start.x()) * 0.5), 0)
        path.cubicTo(start + bend, pos - bend, pos)
        self._wire.setPath(path)
        target = self._target_at(pos)
        for item in self.nodes.values():
            port = item.input_port
            if port is not None and port.state in ("accept", "hover"):
                port.set_state("hover" if item is target else "accept")
            elif port is not None and port.state in ("mismatch", "mismatch_hover"):
                port.set_state("mismatch_hover" if item is target else "mismatch")

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
        block_type = _dragged_block(event)
        if block_type is None:
            super().dragEnterEvent(event)
            return
        event.acceptProposedAction()
        self.show_drop_hint(block_type, event.scenePos())

    def dragMoveEvent(self, event) -> None:
        block_type = _dragged_block(event)
        if block_type is None:
            super().dragMoveEvent(event)
            return
        event.acceptProposedAction()
        self.show_drop_hint(block_type, event.scenePos())

    def dragLeaveEvent(self, event) -> None:
        self.drop_hint.hide()
        super().dragLeaveEvent(event)

    def dropEvent(self, event) -> None:
        self.drop_hint.hide()
        block_type = _dragged_block(event)
        if block_type is None:
            super().dropEvent(event)
            return
        node_id = self.drop_block(block_type, event.scenePos())
        event.acceptProposedAction()
        self.block_dropped.emit(node_id)

    def drop_plan(self, block_type: str, pos: QPointF) -> tuple[str, Any, tuple[float, float]]:
        """What dropping `block_type` at `pos` does: (INSERT, the wire, corner) onto a wire
        where the shapes allow; (AFTER, the block, corner) by a free output port (one that
        feeds nothing); otherwise (PLACE, None, corner): the nearest place covering no card."""
        corner = (pos.x() - style.NODE_WIDTH / 2, pos.y() - style.NODE_HEIGHT / 2)
        takes_input = CATALOG[block_type].max_inputs != 0
        edge = next((i for i in self.items(pos) if isinstance(i, EdgeItem)), None)
        if edge is not None and takes_input and insert_fits(self.controller.graph, *edge.key, block_type):
            return INSERT, edge, corner
        source = self.free_output_near(corner) if takes_input else None
        return (AFTER, source, corner) if source is not None else (PLACE, None, corner)

    def drop_block(self, block_type: str, pos: QPointF) -> str:
        """Add a block where it is dropped (see `drop_plan`)."""
        kind, target, corner = self.drop_plan(block_type, pos)
        if kind == INSERT:
            return self.controller.insert_on_edge(*target.key, block_type)
        return self.controller.add_block(block_type, corner, after=target)

    @property
    def drop_hint(self) -> DropHint:
        if self._drop_hint is None:
            self._drop_hint = DropHint()
            self._drop_hint.hide()
            self.addItem(self._drop_hint)
        return self._drop_hint

    def show_drop_hint(self, block_type: str, pos: QPointF) -> None:
        """Show, while a block is dragged over the canvas, what dropping it there will do."""
        kind, target, corner = self.drop_plan(block_type, pos)
        card = card_at(corner)
        hint = self.drop_hint
        if kind == INSERT:
            source, end = target.key
            hint.show_plan(
                kind, target.key, card, target.path(), None, f"{block_type}\ninto {source} → {end}"
            )
        elif kind == AFTER:
            in_port, _ = port_offsets(self.direction, (style.NODE_WIDTH, style.NODE_HEIGHT))
            start = self.nodes[target].output_port.scenePos()
            link = QLineF(start, QPointF(corner[0] + in_port[0], corner[1] + in_port[1]))
            hint.show_plan(kind, target, card, None, link, f"{block_type}\nafter {target}")
        else:
            hint.show_plan(kind, None, card, None, None, block_type)

    def free_output_near(self, corner: tuple[float, float], reach: float = 140.0) -> str | None:
        """The block with a free output port nearest to where a card at `corner` has its input
        port (within `reach`, and not after it in the flow)."""
        in_port, _ = port_offsets(self.direction, (style.NODE_WIDTH, style.NODE_HEIGHT))
        at = QPointF(corner[0] + in_port[0], corner[1] + in_port[1])
        along = (lambda p: p.y()) if self.direction == "TB" else (lambda p: p.x())
        best, best_distance = None, reach
        for node_id, item in self.nodes.items():
            if any(e.source is item for e in item.edges):
                continue  # its output is used
            out = item.output_port.scenePos()
            distance = (out - at).manhattanLength()
            if distance < best_distance and along(at) >= along(out) - 10:
                best, best_distance = node_id, distance
        return best

    def keyPressEvent(self, event) -> None:
        if handle_key(self, event):
            event.accept()
            return
        super().keyPressEvent(event)


def _dragged_block(event) -> str | None:
    """The block type a drag carries; None for any other drag, or one (from another program)
    whose data names no block type."""
    if not event.mimeData().hasFormat(BLOCK_MIME):
        return None
    block_type = bytes(event.mimeData().data(BLOCK_MIME)).decode(errors="replace")
    return block_type if block_type in CATALOG else None
