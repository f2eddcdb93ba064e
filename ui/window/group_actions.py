"""Edit > Group (Ctrl+G) and Ungroup (Ctrl+Shift+G): make a group of the selected blocks, or
remove the group they are in. The core says what cannot be grouped and why; the status bar
shows it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QInputDialog

from builder import GroupingRefused, group_paths, parent_of, within

from ..editor.grouping import make_group, ungroup

if TYPE_CHECKING:
    from .main_window import MainWindow


def suggested_name(window: MainWindow) -> str:
    taken = {p.rpartition(".")[2] for p in group_paths(window.controller.graph)}
    k = 1
    while f"group{k}" in taken:
        k += 1
    return f"group{k}"


def group_selection(window: MainWindow) -> None:
    """Ask for a name and group the selected blocks (one undo step)."""
    ids = window.scene.selected_node_ids()
    if not ids:
        window.statusBar().showMessage("Select the blocks to group first", 6000)
        return
    name, ok = QInputDialog.getText(window, "Group", "Name of the new group:", text=suggested_name(window))
    if not ok:
        return
    try:
        path = make_group(window.controller, ids, name.strip())
    except GroupingRefused as e:
        window.statusBar().showMessage(f"Not grouped: {e}", 10_000)
        return
    window.statusBar().showMessage(f"Grouped {len(ids)} block(s) as {path}", 6000)


def ungroup_selection(window: MainWindow) -> None:
    """Remove the innermost group that holds all selected blocks (or the selected collapsed
    card's group); its blocks move up into the group around it."""
    scene = window.scene
    graph = window.controller.graph
    cards = [card.path for card in scene.groups.cards.values() if card.isSelected()]
    ids = [i for i in scene.selected_node_ids() if i in graph.nodes]
    if cards:
        path = cards[0]
    elif ids:
        path = graph.nodes[ids[0]].group
        while path and not all(within(graph.nodes[n].group, path) for n in ids):
            path = parent_of(path)
    else:
        path = ""
    if not path:
        window.statusBar().showMessage("Select blocks in a group (or a collapsed group) to ungroup", 6000)
        return
    try:
        ungroup(window.controller, path)
    except GroupingRefused as e:
        window.statusBar().showMessage(f"Not ungrouped: {e}", 10_000)
        return
    window.statusBar().showMessage(f"Ungrouped {path}", 6000)
