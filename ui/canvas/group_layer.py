"""The groups on the canvas: frames behind expanded groups, a card for each collapsed one.

The scene owns the cards and wires of the blocks; this layer follows the controller after the
scene has (its handlers are connected later) and adjusts what the groups change: the blocks of
a collapsed group are hidden, and the router takes its card in their place (`WireRouter.hide`),
so that wires into the group run to its card; wires inside it are hidden. Frames are worked out
by builder's `frame_boxes` from the cards' places and the wires' routes, after each edit that
moves or regroups something, and while blocks are dragged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPointF, QTimer

from builder import (
    CARD_SIZE,
    Inference,
    card_key,
    collapsed_cards,
    frame_boxes,
    group_summaries,
    group_summary,
    hidden_in,
    within,
)

from ..editor.grouping import set_collapsed
from .group_item import GroupCard, GroupFrame

if TYPE_CHECKING:
    from .graph_scene import GraphScene


class GroupLayer(QObject):
    """Frames and collapsed cards of the scene's graph."""

    def __init__(self, scene: GraphScene):
        super().__init__(scene)
        self.scene = scene
        self.frames: dict[str, GroupFrame] = {}
        self.cards: dict[str, GroupCard] = {}
        self.hidden: dict[str, str] = {}  # a hidden block -> the collapsed group whose card shows
        self._router = None  # the scene's router that knows what is hidden
        self._regroup = False  # blocks or wires came or went, or groups changed
        self._placing = False  # cards being put in place: not a drag
        self._dragged: list = []  # what a frame drag moves
        self._frame_timer = QTimer(self)
        self._frame_timer.setSingleShot(True)
        self._frame_timer.setInterval(0)
        self._frame_timer.timeout.connect(self.update_frames)
        ctrl = scene.controller
        for signal in (ctrl.node_added, ctrl.node_removed, ctrl.edge_added, ctrl.groups_changed):
            signal.connect(self._on_regrouped)
        ctrl.inferred.connect(self._on_inferred)

    # -- following the model -----------------------------------------------------------

    def rebuild(self) -> None:
        """After the scene was rebuilt (its items are new): hide, add cards, draw frames."""
        self.frames.clear()
        self.cards.clear()
        self.hidden = {}
        self._router = None
        if self._sync():
            self.scene.route_all()
        self.update_frames()
        self._update_cards(self.scene.controller.result)

    def _on_regrouped(self, *_args) -> None:
        self._regroup = True

    def _on_inferred(self, result: Inference) -> None:
        """After every command (the scene has followed it already)."""
        if self._regroup or self.scene.router is not self._router:
            self._regroup = False
            if self._sync():
                self.scene.route_all()
            self._frame_timer.stop()
            self.update_frames()
        elif self._frame_timer.isActive():  # blocks moved
            self._frame_timer.stop()
            self._place_cards()
            self.update_frames()
        self._update_cards(result)

    def _sync(self) -> bool:
        """Hide the blocks of collapsed groups and show their cards; True if anything changed."""
        scene, graph = self.scene, self.scene.controller.graph
        router, fresh = scene.router, scene.router is not self._router
        hidden = hidden_in(graph)
        changed = fresh and bool(hidden)
        # hidden cards leave the scene too: they would count in its bounding rect (Fit, the
        # minimap) and in its index; the scene keeps them in `nodes`, with their places
        for node_id in self.hidden.keys() - hidden.keys():
            router.unhide(node_id)
            item = scene.nodes.get(node_id)
            if item is None:  # deleted: no obstacle any more
                router.remove(node_id)
            else:
                item.setVisible(True)
                if item.scene() is None:
                    scene.addItem(item)
                changed = True
        for node_id, path in hidden.items():
            if fresh or self.hidden.get(node_id) != path:
                item = scene.nodes[node_id]
                item.setSelected(False)
                item.setVisible(False)
                if item.scene() is scene:
                    scene.removeItem(item)
                router.hide(node_id, card_key(path))
                changed = True
        self.hidden = hidden
        self._router = router
        changed |= self._place_cards()
        for (source, target), edge in scene.edges.items():
            inside = source in hidden and hidden.get(target) == hidden[source]
            if edge.isVisible() == inside:
                edge.setVisible(not inside)
                changed = True
        return changed

    def _place_cards(self) -> bool:
        """Put every collapsed group's card where its blocks are, in the view and in the
        router; True if one came or went. The wires of a card that moved follow."""
        scene = self.scene
        positions = {n: scene.nodes[n].pos() for n in self.hidden}
        places = collapsed_cards(
            scene.controller.graph, {n: (p.x(), p.y()) for n, p in positions.items()}, scene.direction
        )
        changed = False
        for path in self.cards.keys() - places.keys():
            scene.removeItem(self.cards.pop(path))
            scene.router.remove(card_key(path))
            changed = True
        moved = set()
        self._placing = True
        try:
            for path, (x, y) in places.items():
                card = self.cards.get(path)
                if card is None:
                    card = self.cards[path] = GroupCard(self, path)
                    scene.addItem(card)
                    changed = True
                elif card.pos() != QPointF(x, y):
                    moved.add(path)
                card.setPos(x, y)
                scene.router.place(card_key(path), (x, y))
        finally:
            self._placing = False
        if moved and not changed:
            for (source, target), edge in scene.edges.items():
                if edge.isVisible() and (
                    self.hidden.get(source) in moved or self.hidden.get(target) in moved
                ):
                    scene._route(edge)
        return changed

    def _update_cards(self, result: Inference) -> None:
        if not self.cards:
            return
        summaries = group_summaries(self.scene.controller.graph, self.cards, result)
        for path, card in self.cards.items():
            card.set_summary(summaries[path])

    def update_frames(self) -> None:
        """Draw every expanded group's frame around its cards and wires."""
        scene = self.scene
        graph = scene.controller.graph
        if not graph.collapsed and not self.frames and not any(n.group for n in graph.nodes.values()):
            return
        positions = {n: (item.pos().x(), item.pos().y()) for n, item in scene.nodes.items()}
        routes = {key: edge.route for key, edge in scene.edges.items() if edge.isVisible() and edge.route}
        boxes = frame_boxes(graph, positions, scene.direction, CARD_SIZE, routes=routes)
        for path in self.frames.keys() - boxes.keys():
            scene.removeItem(self.frames.pop(path))
        for path, box in boxes.items():
            frame = self.frames.get(path)
            if frame is None:
                frame = self.frames[path] = GroupFrame(self, path)
                scene.addItem(frame)
            frame.set_box(box)

    # -- the scene's hooks ---------------------------------------------------------------

    def card_moved(self, node_id: str) -> None:
        """A block's card moved (dragged, or by a command): its frames follow."""
        if not self._frame_timer.isActive():
            self._frame_timer.start()

    def card_dragged(self, card: GroupCard) -> None:
        """A collapsed card moved: its hidden blocks go with it (the scene records their new
        places as one move when the mouse is released), and its wires follow."""
        if self._placing:
            return
        scene = self.scene
        pos = card.pos()
        members = [n for n, path in self.hidden.items() if path == card.path]
        if not members:
            return
        before = collapsed_cards(
            scene.controller.graph,
            {n: (scene.nodes[n].pos().x(), scene.nodes[n].pos().y()) for n in members},
            scene.direction,
            {card.path},
        )[card.path]
        delta = QPointF(pos.x() - before[0], pos.y() - before[1])
        for n in members:
            scene.nodes[n].setPos(scene.nodes[n].pos() + delta)
        scene.router.place(card_key(card.path), (pos.x(), pos.y()))
        for key, edge in scene.edges.items():
            if edge.isVisible() and (key[0] in members or key[1] in members):
                scene._route(edge)
        self.card_moved(card.path)

    def selected_members(self) -> list[str]:
        """The blocks of the selected collapsed cards (they act on their blocks)."""
        chosen = {card.path for card in self.cards.values() if card.isSelected()}
        return [n for n, path in self.hidden.items() if path in chosen]

    # -- gestures ----------------------------------------------------------------------

    def toggle_later(self, path: str) -> None:
        """Collapse or expand `path` once the mouse event that asked for it is over (the
        frame or card that took the click goes away)."""
        QTimer.singleShot(0, lambda: self.toggle(path))

    def toggle(self, path: str) -> None:
        graph = self.scene.controller.graph
        set_collapsed(self.scene.controller, path, path not in graph.collapsed, self.scene.direction)

    def begin_drag(self, path: str) -> None:
        scene = self.scene
        graph = scene.controller.graph
        inside = {n for n, node in graph.nodes.items() if within(node.group, path)}
        self._dragged = [scene.nodes[n] for n in inside if n not in self.hidden]
        self._dragged += [c for p, c in self.cards.items() if within(p, path)]
        self._inner = [e for k, e in scene.edges.items() if k[0] in inside and k[1] in inside]
        self._outer = [e for k, e in scene.edges.items() if (k[0] in inside) != (k[1] in inside)]
        self._inside = inside

    def drag_by(self, path: str, delta: QPointF) -> None:
        """Move a group's blocks with its frame: wires inside move along, wires across its
        border are routed afresh (routing all of a big group's wires per mouse move would lag)."""
        scene = self.scene
        scene._routing = False
        try:
            for item in self._dragged:
                item.moveBy(delta.x(), delta.y())
        finally:
            scene._routing = True
        for edge in self._inner:
            edge.moveBy(delta.x(), delta.y())
        for edge in self._outer:
            if edge.isVisible():
                scene._route(edge)
        self.update_frames()

    def end_drag(self, path: str) -> None:
        """The moved wires are routed where they now are when the move is recorded."""
        for edge in self._inner:
            offset = edge.pos()
            edge.setPos(0, 0)
            if edge.route:
                edge.set_route(
                    [(x + offset.x(), y + offset.y()) for x, y in edge.route], self.scene.direction
                )
        self._dragged, self._inner, self._outer = [], [], []

    def describe(self, path: str) -> str:
        """The frame's tooltip: its full path, shapes and parameter total."""
        ctrl = self.scene.controller
        summary = group_summary(ctrl.graph, path, ctrl.result)

        def shapes(values) -> str:
            return ", ".join("×".join(map(str, s)) if s else "?" for s in values) or "–"

        return (
            f"group {path}: {len(summary.blocks)} blocks, {summary.params:,} params\n"
            f"in {shapes(summary.input_shapes)} → out {shapes(summary.output_shapes)}\n"
            "click ▾ or double-click the title to collapse; drag the title to move the group"
        )
