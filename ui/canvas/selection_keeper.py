"""Keeps a sensible selection on the canvas through edits, undo and redo.

After a step that adds blocks, they are selected (an appended block, a pasted group, a block
an undo brings back). An undo or redo that changes or moves blocks selects them, so that the
inspector shows what changed; one that removes the selected blocks selects the blocks that fed
them (undoing an append selects the block it was appended after). A step that touches no block
(a wire) leaves the selection as it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

if TYPE_CHECKING:
    from .graph_scene import GraphScene

MOVED_SELECTED_AT_MOST = 8  # an undone Arrange moves every block: that selects none of them


class SelectionKeeper(QObject):
    def __init__(self, scene: GraphScene):
        super().__init__(scene)
        self.scene = scene
        ctrl = scene.controller
        self._added: list[str] = []
        self._removed: set[str] = set()
        self._feeders: list[str] = []  # blocks that fed removed ones
        self._changed: list[str] = []
        self._moved: list[str] = []
        ctrl.node_added.connect(self._added.append)
        ctrl.node_removed.connect(self._on_node_removed)
        ctrl.edge_removed.connect(self._on_edge_removed)
        ctrl.node_changed.connect(self._changed.append)
        ctrl.node_moved.connect(self._moved.append)
        ctrl.graph_reset.connect(self._forget)
        ctrl.undo_stack.indexChanged.connect(self._on_step)

    def _on_node_removed(self, node_id: str) -> None:
        self._removed.add(node_id)

    def _on_edge_removed(self, source: str, target: str) -> None:
        self._feeders.append(source)
        self._feeders.append(target)  # its input, if the source is the one removed

    def _forget(self) -> None:
        for records in (self._added, self._feeders, self._changed, self._moved):
            records.clear()
        self._removed = set()

    def _on_step(self, _index: int) -> None:
        nodes = self.scene.nodes
        alive = [n for n in dict.fromkeys(self._added) if n in nodes]
        pushing = self.scene.controller.pushing
        feeders = [n for n in dict.fromkeys(self._feeders) if n in nodes and n not in self._removed]
        touched = [n for n in dict.fromkeys(self._changed) if n in nodes]
        moved = [n for n in dict.fromkeys(self._moved) if n in nodes]
        removed_selection = self._removed and not self.scene.selected_node_ids()
        self._forget()
        if alive:
            self._select(alive)
        elif pushing:
            return
        elif removed_selection and feeders:
            self._select(feeders[:1])
        elif touched:
            self._select(touched)
        elif moved and len(moved) <= MOVED_SELECTED_AT_MOST:
            self._select(moved)

    def _select(self, node_ids: list[str]) -> None:
        scene = self.scene
        if sorted(scene.selected_node_ids()) == sorted(node_ids):
            return
        scene.clearSelection()
        for node_id in node_ids:
            scene.nodes[node_id].setSelected(True)
