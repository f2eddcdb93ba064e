"""Right-click menus on the canvas: on a block, on a wire, and on the empty canvas.

Block: delete, delete and reconnect, duplicate, mark as output, freeze, rename. Wire: insert a
block, its fix (a wire whose tensor does not fit), delete. Canvas: add a block there, paste,
arrange, fit. The block types come from the catalog, grouped by its categories. Deleting a
block offers to reconnect its neighbours (the offer bar), where the shapes allow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QPointF
from PySide6.QtGui import QAction, QContextMenuEvent
from PySide6.QtWidgets import QGraphicsItem, QInputDialog, QMenu

from builder import CATALOG, CATEGORIES, bypass, insert_fits

from .canvas_keys import delete_and_reconnect
from .edge_item import EdgeItem
from .node_item import NodeItem
from .offer_bar import OfferBar

if TYPE_CHECKING:
    from ..window.main_window import MainWindow


class CanvasMenus(QObject):
    """Shows the context menus of `window`'s canvas and the offer to reconnect after a delete."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.scene, self.view, self.controller = window.scene, window.view, window.controller
        self.menu: QMenu | None = None  # the menu showing (kept: a popup needs an owner)
        self.offer_bar = OfferBar(self.view, self.controller.undo_stack)
        self.view.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ContextMenu and isinstance(event, QContextMenuEvent):
            self.show_menu(event.pos(), event.globalPos())
            return True
        return False

    # -- the menus --------------------------------------------------------------------------

    def show_menu(self, view_pos, global_pos) -> QMenu:
        """The menu for what is at `view_pos` (a point of the view's viewport), shown at
        `global_pos` without waiting for it to close."""
        scene_pos = self.view.mapToScene(view_pos)
        item = self._owner(self.view.itemAt(view_pos))
        if isinstance(item, NodeItem):
            if not item.isSelected():
                self.scene.clearSelection()
                item.setSelected(True)
            menu = self.block_menu(item.node_id)
        elif isinstance(item, EdgeItem):
            menu = self.wire_menu(item)
        else:
            menu = self.canvas_menu(scene_pos)
        if self.menu is not None:
            self.menu.deleteLater()
        self.menu = menu
        menu.popup(global_pos)
        return menu

    @staticmethod
    def _owner(item: QGraphicsItem | None) -> QGraphicsItem | None:
        """The card or wire an item belongs to (a port, a tab, a wire's note)."""
        while item is not None and not isinstance(item, NodeItem | EdgeItem):
            item = item.parentItem()
        return item

    def block_menu(self, node_id: str) -> QMenu:
        ctrl, window = self.controller, self.window
        graph = ctrl.graph
        selected = self.scene.selected_node_ids()
        menu = QMenu(self.view)
        menu.addAction("Delete", window.delete_selection)
        rejoin = menu.addAction("Delete and Reconnect", lambda: delete_and_reconnect(self.scene, node_id))
        rejoin.setShortcut("Ctrl+Shift+Del")
        rejoin.setEnabled(len(selected) == 1 and bool(bypass(graph, node_id)))
        if not rejoin.isEnabled():
            rejoin.setToolTip("its input and outputs cannot simply be joined here")
        menu.addAction("Duplicate", window.duplicate)
        menu.addSeparator()
        output = menu.addAction("Mark as Output", lambda: ctrl.set_output(node_id))
        output.setCheckable(True)
        output.setChecked(ctrl.result.output == node_id)
        frozen = graph.nodes[node_id].frozen
        freeze = menu.addAction("Freeze", lambda: ctrl.set_frozen(node_id, not frozen))
        freeze.setCheckable(True)
        freeze.setChecked(frozen)
        freeze.setToolTip("a frozen block keeps its weights while the network trains")
        menu.addAction("Rename…", lambda: self.ask_rename(node_id))
        menu.setToolTipsVisible(True)
        return menu

    def wire_menu(self, edge: EdgeItem) -> QMenu:
        source, target = edge.key
        menu = QMenu(self.view)
        insert = menu.addMenu("Insert Block")
        self._add_block_types(
            insert,
            lambda block_type: self.controller.insert_on_edge(source, target, block_type),
            fits=lambda block_type: insert_fits(self.controller.graph, source, target, block_type),
        )
        problem = edge.problem
        if problem is not None and problem.fix is not None:
            fix = problem.fix
            action = menu.addAction(f"Fix: {fix.title}", lambda: self.controller.apply_fix(fix))
            action.setToolTip(problem.issue.message)
        menu.addSeparator()
        menu.addAction("Delete Wire", lambda: self.controller.disconnect(source, target))
        menu.setToolTipsVisible(True)
        return menu

    def canvas_menu(self, scene_pos: QPointF) -> QMenu:
        window = self.window
        menu = QMenu(self.view)
        add = menu.addMenu("Add Block")
        corner = (scene_pos.x(), scene_pos.y())
        self._add_block_types(add, lambda block_type: self.controller.add_block(block_type, corner))
        menu.addAction("Paste", window.paste)
        menu.addSeparator()
        arrange = menu.addMenu("Arrange")
        arrange.addAction("Top to Bottom", lambda: window.arrange("TB"))
        arrange.addAction("Left to Right", lambda: window.arrange("LR"))
        menu.addAction("Fit to Window", self.view.fit_all)
        return menu

    def _add_block_types(self, menu: QMenu, add, fits=None) -> None:
        """One submenu per catalog category; a block that would not fit is shown disabled."""
        for category in CATEGORIES.values():
            types = [t for t, spec in CATALOG.items() if spec.category == category.name]
            if fits is not None:
                types = [t for t in types if CATALOG[t].max_inputs != 0]
            if not types:
                continue
            sub = menu.addMenu(category.title)
            for block_type in types:
                action: QAction = sub.addAction(block_type, lambda _=False, t=block_type: add(t))
                action.setToolTip(CATALOG[block_type].description)
                if fits is not None and not fits(block_type):
                    action.setEnabled(False)
            sub.setToolTipsVisible(True)

    # -- block edits that ask or offer --------------------------------------------------------

    def ask_rename(self, node_id: str) -> None:
        new_id, ok = QInputDialog.getText(self.window, "Rename block", "New id:", text=node_id)
        if not ok:
            return
        try:
            self.controller.rename_node(node_id, new_id)
        except ValueError as e:  # a taken or invalid id: say why, change nothing
            self.window.statusBar().showMessage(f"{node_id} was not renamed: {e}", 8000)

    def delete(self, node_ids: list[str], edges: list[tuple[str, str]]) -> None:
        """Delete blocks and wires; deleting one block offers to join its neighbours."""
        wires = bypass(self.controller.graph, node_ids[0]) if len(node_ids) == 1 and not edges else []
        self.controller.remove(node_ids, edges)
        if wires:
            joined = ", ".join(f"{s} → {t}" for s, t, _ in wires)
            self.offer_bar.offer(
                f"Deleted {node_ids[0]}. Reconnect {joined}?",
                "Reconnect",
                lambda: self.controller.reconnect(wires),
            )
