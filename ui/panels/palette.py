"""The block palette: searchable, grouped by category; drag blocks out or double-click."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QBrush, QDrag
from PySide6.QtWidgets import QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

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


class Palette(QWidget):
    block_activated = Signal(str)  # double-clicked: append after the selection

    def __init__(self, parent=None):
        super().__init__(parent)
        self.search = QLineEdit(placeholderText="Search blocks…")
        self.search.setClearButtonEnabled(True)
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

    def _on_search_changed(self, text: str) -> None:
        text = text.strip().lower()
        for i in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(i)
            visible = 0
            for j in range(group.childCount()):
                item = group.child(j)
                spec = CATALOG[item.data(0, Qt.ItemDataRole.UserRole)]
                hit = (
                    not text
                    or text in spec.type.lower()
                    or text in spec.description.lower()
                    or (text in spec.category)
                )
                item.setHidden(not hit)
                visible += hit
            group.setHidden(visible == 0)

    def visible_blocks(self) -> list[str]:
        return [t for t, item in self.items.items() if not item.isHidden() and not item.parent().isHidden()]

    def _on_item_double_clicked(self, item: QTreeWidgetItem) -> None:
        block_type = item.data(0, Qt.ItemDataRole.UserRole)
        if block_type:
            self.block_activated.emit(block_type)

    def _on_search_return(self) -> None:
        blocks = self.visible_blocks()
        if blocks:
            self.block_activated.emit(blocks[0])
