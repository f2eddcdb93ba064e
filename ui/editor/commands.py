"""Undoable edits of the graph. Only `GraphController` creates and pushes these."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QUndoCommand

from builder import CATALOG

if TYPE_CHECKING:
    from .controller import GraphController

_PARAM_EDIT_ID = 1001
_MERGE_WINDOW = 1.5  # seconds: typing 1, 2, 8 into a field is one edit, not three


class AddNode(QUndoCommand):
    def __init__(
        self, ctrl: GraphController, block_type: str, settings: dict, pos, node_id: str, frozen=False
    ):
        super().__init__(f"Add {node_id}")
        self.ctrl, self.block_type, self.settings, self.pos = ctrl, block_type, settings, pos
        self.node_id, self.frozen = node_id, frozen

    def redo(self):
        self.ctrl.graph.add_node(self.block_type, self.settings, self.pos, self.node_id, self.frozen)
        self.ctrl.node_added.emit(self.node_id)

    def undo(self):
        self.ctrl.graph.remove_node(self.node_id)
        self.ctrl.node_removed.emit(self.node_id)


class RemoveNode(QUndoCommand):
    """Removes a node and its wires; undo puts both back exactly where they were."""

    def __init__(self, ctrl: GraphController, node_id: str):
        super().__init__(f"Delete {node_id}")
        self.ctrl, self.node_id = ctrl, node_id
        self.node = None
        self.index = 0
        self.edges: list = []

    def redo(self):
        graph = self.ctrl.graph
        self.index = list(graph.nodes).index(self.node_id)
        self.node, self.edges = graph.remove_node(self.node_id)
        for _, e in self.edges:
            self.ctrl.edge_removed.emit(e.source, e.target)
        self.ctrl.node_removed.emit(self.node_id)

    def undo(self):
        graph = self.ctrl.graph
        items = list(graph.nodes.items())
        items.insert(self.index, (self.node_id, self.node))
        graph.nodes = dict(items)  # node order decides ties in layout and exported code
        self.ctrl.node_added.emit(self.node_id)
        for i, e in self.edges:
            graph.edges.insert(i, e)
            self.ctrl.edge_added.emit(e.source, e.target)


class Connect(QUndoCommand):
    """Adds a wire. A wire out of the network's output that starts a new end carries the
    output mark along: appending Softmax after the head makes Softmax the output."""

    def __init__(self, ctrl: GraphController, source: str, target: str, index: int | None = None):
        super().__init__(f"Connect {source} to {target}")
        self.ctrl, self.source, self.target, self.index = ctrl, source, target, index
        self.output_before: str | None = None

    def redo(self):
        graph = self.ctrl.graph
        graph.connect(self.source, self.target, self.index)
        self.output_before = graph.output
        if graph.declared_output() == self.source and not graph.outputs_of(self.target):
            graph.output = self.target
        self.ctrl.edge_added.emit(self.source, self.target)
        self.ctrl.output_changed.emit()

    def undo(self):
        graph = self.ctrl.graph
        graph.disconnect(self.source, self.target)
        graph.output = self.output_before
        self.ctrl.edge_removed.emit(self.source, self.target)
        self.ctrl.output_changed.emit()


class SetOutput(QUndoCommand):
    """Marks the block whose result is the network's output."""

    def __init__(self, ctrl: GraphController, node_id: str):
        super().__init__(f"Mark {node_id} as the output")
        self.ctrl, self.node_id = ctrl, node_id
        self.before: str | None = None

    def redo(self):
        self.before = self.ctrl.graph.output
        self.ctrl.graph.output = self.node_id
        self.ctrl.output_changed.emit()

    def undo(self):
        self.ctrl.graph.output = self.before
        self.ctrl.output_changed.emit()


class Disconnect(QUndoCommand):
    def __init__(self, ctrl: GraphController, source: str, target: str):
        super().__init__(f"Disconnect {source} from {target}")
        self.ctrl, self.source, self.target = ctrl, source, target
        self.index = 0

    def redo(self):
        self.index = self.ctrl.graph.disconnect(self.source, self.target)
        self.ctrl.edge_removed.emit(self.source, self.target)

    def undo(self):
        self.ctrl.graph.connect(self.source, self.target, self.index)
        self.ctrl.edge_added.emit(self.source, self.target)


class SetSettings(QUndoCommand):
    """Changes parameters; quick successive edits of the same fields merge into one step."""

    def __init__(self, ctrl: GraphController, node_id: str, settings: dict[str, Any], mergeable: bool = True):
        spec = CATALOG[ctrl.graph.nodes[node_id].type]  # the inspector's words for the settings
        names = ", ".join(spec.setting(p).title for p in settings)
        super().__init__(f"Set {node_id} {names}")
        self.ctrl, self.node_id, self.settings, self.mergeable = ctrl, node_id, dict(settings), mergeable
        self.old: dict[str, Any] | None = None
        self.stamp = time.monotonic()

    def redo(self):
        old = self.ctrl.graph.set_settings(self.node_id, self.settings)
        if self.old is None:
            self.old = old
        self.ctrl.node_changed.emit(self.node_id)

    def undo(self):
        self.ctrl.graph.set_settings(self.node_id, self.old)
        self.ctrl.node_changed.emit(self.node_id)

    def id(self) -> int:
        return _PARAM_EDIT_ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not (
            isinstance(other, SetSettings)
            and self.mergeable
            and other.mergeable
            and other.node_id == self.node_id
            and other.settings.keys() == self.settings.keys()
            and other.stamp - self.stamp < _MERGE_WINDOW
        ):
            return False
        self.settings = other.settings
        self.stamp = other.stamp
        return True


class SetFrozen(QUndoCommand):
    def __init__(self, ctrl: GraphController, node_id: str, frozen: bool):
        super().__init__(f"{'Freeze' if frozen else 'Unfreeze'} {node_id}")
        self.ctrl, self.node_id, self.frozen = ctrl, node_id, frozen

    def _set(self, value: bool):
        self.ctrl.graph.nodes[self.node_id].frozen = value
        self.ctrl.node_changed.emit(self.node_id)

    def redo(self):
        self._set(self.frozen)

    def undo(self):
        self._set(not self.frozen)


class MoveNodes(QUndoCommand):
    def __init__(self, ctrl: GraphController, moves: dict[str, tuple[tuple, tuple]], text: str = ""):
        super().__init__(
            text or (f"Move {next(iter(moves))}" if len(moves) == 1 else f"Move {len(moves)} blocks")
        )
        self.ctrl, self.moves = ctrl, moves

    def _apply(self, which: int):
        for node_id, positions in self.moves.items():
            self.ctrl.graph.nodes[node_id].pos = tuple(positions[which])
            self.ctrl.node_moved.emit(node_id)

    def redo(self):
        self._apply(1)

    def undo(self):
        self._apply(0)


class RenameNetwork(QUndoCommand):
    def __init__(self, ctrl: GraphController, name: str):
        super().__init__(f"Rename network to {name}")
        self.ctrl, self.name, self.before = ctrl, name, ctrl.graph.name

    def _set(self, name: str):
        self.ctrl.graph.name = name
        self.ctrl.renamed.emit(name)

    def redo(self):
        self._set(self.name)

    def undo(self):
        self._set(self.before)


_NUDGE_ID = 1002


class NudgeNodes(MoveNodes):
    """Blocks moved by the arrow keys: a quick burst of nudges of the same blocks is one step."""

    def __init__(self, ctrl: GraphController, moves: dict[str, tuple[tuple, tuple]]):
        super().__init__(ctrl, moves, f"Nudge {next(iter(moves))}" if len(moves) == 1 else "Nudge blocks")
        self.stamp = time.monotonic()

    def id(self) -> int:
        return _NUDGE_ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not (
            isinstance(other, NudgeNodes)
            and other.moves.keys() == self.moves.keys()
            and other.stamp - self.stamp < _MERGE_WINDOW
        ):
            return False
        self.moves = {n: (self.moves[n][0], other.moves[n][1]) for n in self.moves}
        self.stamp = other.stamp
        return True


class RenameNode(QUndoCommand):
    """Gives a block another id; its views are told it left and came back under the new one."""

    def __init__(self, ctrl: GraphController, old_id: str, new_id: str):
        super().__init__(f"Rename {old_id} to {new_id}")
        self.ctrl, self.old_id, self.new_id = ctrl, old_id, new_id

    def _rename(self, old: str, new: str) -> None:
        graph, ctrl = self.ctrl.graph, self.ctrl
        wires = [(e.source, e.target) for e in graph.edges if old in (e.source, e.target)]
        for source, target in wires:
            ctrl.edge_removed.emit(source, target)
        ctrl.node_removed.emit(old)
        order = list(graph.nodes)
        graph.rename(old, new)
        # node order decides ties in layout and exported code: the block keeps its place
        graph.nodes = {(new if k == old else k): graph.nodes[new if k == old else k] for k in order}
        ctrl.node_added.emit(new)
        for e in graph.edges:
            if new in (e.source, e.target):
                ctrl.edge_added.emit(e.source, e.target)
        ctrl.output_changed.emit()

    def redo(self):
        self._rename(self.old_id, self.new_id)

    def undo(self):
        self._rename(self.new_id, self.old_id)
