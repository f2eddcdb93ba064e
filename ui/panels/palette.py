"""The block palette: searchable, grouped by category; drag blocks out or double-click."""

from __future__ import annotations

import html

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QBrush, QDrag
from PySide6.QtWidgets import (
    QLineEdit,
    QMenu,
    QMessageBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from builder import CATALOG, CATEGORIES

from ..canvas import style
from ..canvas.graph_scene import BLOCK_MIME


class _BlockTree(QTreeWidget):
    def startDrag(self, actions) -> None:
        item = self.currentItem()
        block_type = item.data(0, Qt.ItemDataRole.UserRole) if item else None
        if not block_type:
            return
        mime = QMimeData()
        mime.setData(BLOCK_MIME, block_type.encode())
        mime.setText(block_type)
        drag = QDrag(self)
        drag.setMimeData(mime)
        drag.exec(Qt.DropAction.CopyAction)


def search_rank(spec, text: str) -> int | None:
    """How well `spec` matches the search `text` (lower is better), or None for no match:
    the name exactly, the name's start, inside the name, then the category, then the
    description. Searching "linear" finds Linear before GELU ("Gaussian error linear unit")."""
    name = spec.type.lower()
    for rank, hit in enumerate(
        (
            name == text,
            name.startswith(text),
            text in name,
            text in spec.category.lower(),
            text in spec.description.lower(),
        )
    ):
        if hit:
            return rank
    return None


class Palette(QWidget):
    block_activated = Signal(str)  # double-clicked, Enter or "Append": append after the selection
    block_added = Signal(str)  # "Add to canvas": a block of its own, in view

    def __init__(self, parent=None):
        super().__init__(parent)
        self.search = QLineEdit(placeholderText="Search blocks…")
        self.search.setClearButtonEnabled(True)
        self.search.setProperty("graphUndo", True)  # a filter, not an edit: Ctrl+Z undoes the graph
        self.tree = _BlockTree()
        self.tree.setHeaderHidden(True)
        self.tree.setDragEnabled(True)
        self.tree.setRootIsDecorated(False)
        self.tree.setIndentation(10)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        self.items: dict[str, QTreeWidgetItem] = {}
        for category in CATEGORIES.values():
            group = QTreeWidgetItem(self.tree, [category.title])
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            group.setForeground(0, QBrush(style.category_colour(category.name).darker(120)))
            font = group.font(0)
            font.setBold(True)
            group.setFont(0, font)
            for spec in CATALOG.values():
                if spec.category == category.name:
                    item = QTreeWidgetItem(group, [spec.type])
                    item.setData(0, Qt.ItemDataRole.UserRole, spec.type)
                    item.setToolTip(0, spec.description)
                    self.items[spec.type] = item
        self.tree.expandAll()
        self.search.textChanged.connect(self._on_search_changed)
        self.tree.itemDoubleClicked.connect(self._on_item_double_clicked)
        self.search.returnPressed.connect(self._on_search_return)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._on_context_menu)
        self.menu: QMenu | None = None  # the open context menu (kept for tests and to close it)
        self._ranks: dict[str, int] = {}

    def _on_search_changed(self, text: str) -> None:
        text = text.strip().lower()
        self._ranks = {}
        for block_type, spec in CATALOG.items():
            rank = search_rank(spec, text) if text else 0
            if rank is not None:
                self._ranks[block_type] = rank
        for i in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(i)
            visible = 0
            for j in range(group.childCount()):
                item = group.child(j)
                hit = item.data(0, Qt.ItemDataRole.UserRole) in self._ranks
                item.setHidden(not hit)
                visible += hit
            group.setHidden(visible == 0)
        best = self.visible_blocks()
        self.tree.setCurrentItem(self.items[best[0]] if text and best else None)  # what Enter adds

    def visible_blocks(self) -> list[str]:
        """The blocks the search shows, best match first."""
        shown = [t for t, item in self.items.items() if not item.isHidden() and not item.parent().isHidden()]
        return sorted(shown, key=lambda t: self._ranks.get(t, 0))  # stable: catalog order on ties

    def _on_item_double_clicked(self, item: QTreeWidgetItem) -> None:
        block_type = item.data(0, Qt.ItemDataRole.UserRole)
        if block_type:
            self.block_activated.emit(block_type)

    def _on_search_return(self) -> None:
        blocks = self.visible_blocks()
        if blocks:
            self.block_activated.emit(blocks[0])

    # -- context menu --------------------------------------------------------------------

    def _on_context_menu(self, pos) -> None:
        item = self.tree.itemAt(pos)
        block_type = item.data(0, Qt.ItemDataRole.UserRole) if item else None
        if not block_type:
            return
        self.tree.setCurrentItem(item)
        menu = QMenu(self)
        menu.addAction("&Add to Canvas", lambda: self.block_added.emit(block_type))
        menu.addAction("A&ppend After Selection", lambda: self.block_activated.emit(block_type))
        menu.addSeparator()
        menu.addAction(f"&Help on {block_type}", lambda: self.show_help(block_type))
        menu.aboutToHide.connect(menu.deleteLater)
        self.menu = menu
        menu.popup(self.tree.viewport().mapToGlobal(pos))

    def help_text(self, block_type: str) -> str:
        """The block's description and each setting with its range, as the inspector names it."""
        spec = CATALOG[block_type]
        rows = "".join(
            f"<li><b>{s.title}</b>: {html.escape(s.help)} ({html.escape(s.describe_range())}, "
            f"default {html.escape(str(s.default))})</li>"
            for s in spec.settings
        )
        settings = f"<p>Settings:</p><ul>{rows}</ul>" if rows else "<p>No settings.</p>"
        return f"<p><b>{block_type}</b>: {html.escape(spec.description)}</p>{settings}"

    def show_help(self, block_type: str) -> None:
        QMessageBox.information(self, f"{block_type} block", self.help_text(block_type))
