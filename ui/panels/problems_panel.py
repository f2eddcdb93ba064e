"""Every error and warning; clicking one selects its block; clear fixes are one click."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import QHeaderView, QPushButton, QTreeWidget, QTreeWidgetItem

from builder import Inference, fix_for

from ..canvas import style


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
            item = QTreeWidgetItem(self, ["✖" if error else "▲", issue.node, f"{issue.message}. {issue.fix}"])
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
