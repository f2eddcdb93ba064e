"""Group edits: make a group of blocks, remove one, collapse or expand one. Each is one
undoable step on the controller's stack (the core decides what is allowed: `builder.grouping`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QUndoCommand

from builder import collapsed_after, grouping, room_moves, ungrouping

if TYPE_CHECKING:
    from .controller import GraphController


class SetGroups(QUndoCommand):
    """Moves blocks into other groups and sets which groups are collapsed."""

    def __init__(
        self,
        ctrl: GraphController,
        changes: dict[str, tuple[str, str]],
        collapsed: tuple[set[str], set[str]],
        text: str,
    ):
        super().__init__(text)
        self.ctrl, self.changes, self.collapsed = ctrl, changes, collapsed

    def _apply(self, which: int) -> None:
        graph = self.ctrl.graph
        for node_id, groups in self.changes.items():
            graph.nodes[node_id].group = groups[which]
        graph.collapsed = set(self.collapsed[which])
        self.ctrl.groups_changed.emit()

    def redo(self) -> None:
        self._apply(1)

    def undo(self) -> None:
        self._apply(0)


def make_group(ctrl: GraphController, node_ids, name: str) -> str:
    """Put the blocks `node_ids` in a new group `name` (inside the deepest group that holds
    them all); returns its path. Raises `GroupingRefused` (nothing changes) with the reason."""
    graph = ctrl.graph
    path, new = grouping(graph, node_ids, name)
    changes = {n: (graph.nodes[n].group, g) for n, g in new.items()}
    ctrl._push(SetGroups(ctrl, changes, (set(graph.collapsed), collapsed_after(graph, new)), f"Group {path}"))
    return path


def ungroup(ctrl: GraphController, path: str) -> None:
    """Remove group `path`: its blocks and inner groups move up into the group around it.
    Raises `GroupingRefused` if there is no such group."""
    graph = ctrl.graph
    new = ungrouping(graph, path)
    changes = {n: (graph.nodes[n].group, g) for n, g in new.items()}
    after = collapsed_after(graph, new, removed=path)
    ctrl._push(SetGroups(ctrl, changes, (set(graph.collapsed), after), f"Ungroup {path}"))


def set_collapsed(ctrl: GraphController, path: str, collapsed: bool, direction: str = "TB") -> None:
    """Collapse group `path` to one card, or expand it to its frame; the blocks after it along
    the flow move up to close the gap, or down to make room (one undo step)."""
    graph = ctrl.graph
    if (path in graph.collapsed) == collapsed:
        return
    moves = room_moves(graph, path, collapsed, direction)
    after = graph.collapsed | {path} if collapsed else graph.collapsed - {path}
    text = f"{'Collapse' if collapsed else 'Expand'} {path}"
    with ctrl.macro(text):
        ctrl._push(SetGroups(ctrl, {}, (set(graph.collapsed), set(after)), text))
        ctrl.move_nodes({n: (graph.nodes[n].pos, p) for n, p in moves.items()}, text)
