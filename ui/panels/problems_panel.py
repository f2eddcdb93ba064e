"""Every error and warning; clicking one selects its block; clear fixes are one click."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QFontMetrics
from PySide6.QtWidgets import QHeaderView, QPushButton, QStyledItemDelegate, QTreeWidget, QTreeWidgetItem

from builder import Inference, fix_for

from ..canvas import style


class WrappedText(QStyledItemDelegate):
    """A cell as tall as its text wrapped to the column's width (Qt's tree measures rows as if
    the text were one line, and cuts messages off with an ellipsis)."""

    def sizeHint(self, option, index) -> QSize:
        size = super().sizeHint(option, index)
        width = self.parent().header().sectionSize(index.column()) - 12
        if width <= 0:
            return size
        text = str(index.data() or "")
        bounds = QFontMetrics(option.font).boundingRect(
            QRect(0, 0, width, 1_000_000), Qt.TextFlag.TextWordWrap, text
        )
        return QSize(size.width(), max(size.height(), bounds.height() + 6))


class ProblemsPanel(QTreeWidget):
    node_activated = Signal(str)

    def __init__(self, controller, parent=None):
        super().__init__(parent)
        self.controller = controller
        self.setColumnCount(4)
        self.setHeaderLabels(["", "Block", "Problem", "Fix"])
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(False)
        self.setWordWrap(True)
        header = self.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        # messages wrap to the panel's width, whole: rows are measured again when it changes
        self.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.setItemDelegateForColumn(2, WrappedText(self))
        header.sectionResized.connect(lambda *_: self.scheduleDelayedItemsLayout())
        self.itemClicked.connect(self._on_item_clicked)
        self._shown: tuple[list, list] | None = None  # the issues and fixes listed
        controller.inferred.connect(self._on_inferred)
        self._on_inferred(controller.result)

    def _on_inferred(self, result: Inference) -> None:
        issues = [*result.errors, *result.warnings]
        fixes = [fix_for(self.controller.graph, result, issue) for issue in issues]
        if self._shown == (issues, fixes):
            return  # the same list: rebuilding it would redraw the panel on every edit
        self._shown = (issues, fixes)
        self.clear()
        if not issues:
            item = QTreeWidgetItem(self, ["✔", "", "No problems: every block has a valid shape."])
            item.setForeground(0, QBrush(style.SUCCESS))
            return
        for issue, fix in zip(issues, fixes, strict=True):
            error = issue.severity == "error"
            fix_text = issue.fix[:1].upper() + issue.fix[1:]
            item = QTreeWidgetItem(self, ["✖" if error else "▲", issue.node, f"{issue.message}. {fix_text}"])
            item.setForeground(0, QBrush(style.ERROR if error else style.WARNING))
            item.setToolTip(2, f"{issue.message}\n\nFix: {issue.fix}")
            item.setData(0, Qt.ItemDataRole.UserRole, issue.node)
            if fix is not None:
                button = QPushButton("Fix")
                button.setToolTip(fix.title)
                # queued: applying the fix rebuilds this list, which deletes the button itself
                button.clicked.connect(
                    lambda _=False, f=fix: QTimer.singleShot(0, lambda: self.controller.apply_fix(f))
                )
                self.setItemWidget(item, 3, button)

    def _on_item_clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        node_id = item.data(0, Qt.ItemDataRole.UserRole)
        if node_id in self.controller.graph.nodes:
            self.node_activated.emit(node_id)

    def fix_buttons(self) -> list[QPushButton]:
        buttons = []
        for i in range(self.topLevelItemCount()):
            widget = self.itemWidget(self.topLevelItem(i), 3)
            if widget is not None:
                buttons.append(widget)
        return buttons
