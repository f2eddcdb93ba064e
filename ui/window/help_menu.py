"""The Help menu: the welcome tour again, the keyboard shortcuts, and About."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QMenu,
    QMessageBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from .tour import Tour, tour_seen

if TYPE_CHECKING:
    from .main_window import MainWindow

# what no menu lists: the canvas's own gestures
CANVAS_KEYS = (
    ("Canvas", "Zoom", "Mouse wheel"),
    ("Canvas", "Pan", "Middle button drag, or Space + drag"),
    ("Canvas", "Wire two blocks", "Drag from a bottom port to a top port"),
    ("Blocks", "Append the best match after the selection", "Type in the search box, Enter"),
)
ABOUT = (
    "<b>ConvCanvas</b><br>A desktop workbench for convolutional networks: build them from blocks "
    "with every shape and parameter count shown live, train them with PyTorch, export plain "
    "PyTorch code.<br><br>The core (<code>builder</code>) works without the app: "
    "<code>convcanvas summary|train|export</code>."
)


class HelpMenu(QObject):
    """Welcome Tour, Keyboard Shortcuts, About; shows the tour on the first launch."""

    def __init__(self, window: MainWindow, menu: QMenu):
        super().__init__(window)
        self.window = window
        self.tour = Tour(window.view)
        self.tour_action = menu.addAction("Welcome &Tour", self.tour.show_tour)
        self.shortcuts_action = menu.addAction("&Keyboard Shortcuts", self.show_shortcuts)
        self.shortcuts_action.setShortcut(QKeySequence(QKeySequence.StandardKey.HelpContents))
        menu.addSeparator()
        self.about_action = menu.addAction("&About ConvCanvas", self.show_about)
        self.shortcuts_dialog: QDialog | None = None
        self.about_box: QMessageBox | None = None
        if not tour_seen():
            self.tour.show_tour()

    def shortcut_rows(self) -> list[tuple[str, str, str]]:
        """(menu, command, keys) for every menu command with a shortcut, then the gestures."""
        rows = []
        for top in self.window.menuBar().actions():
            menu = top.menu()
            if menu is not None:
                rows += _rows(top.text().replace("&", ""), menu)
        return rows + list(CANVAS_KEYS)

    def show_shortcuts(self) -> None:
        if self.shortcuts_dialog is None:
            self.shortcuts_dialog = _ShortcutsDialog(self.shortcut_rows(), self.window)
        self.shortcuts_dialog.show()
        self.shortcuts_dialog.raise_()

    def show_about(self) -> None:
        if self.about_box is None:
            box = QMessageBox(QMessageBox.Icon.Information, "About ConvCanvas", ABOUT, parent=self.window)
            box.setTextFormat(Qt.TextFormat.RichText)
            self.about_box = box
        self.about_box.open()  # window-modal, not a nested event loop


def _rows(title: str, menu: QMenu) -> list[tuple[str, str, str]]:
    rows = []
    for action in menu.actions():
        if action.menu() is not None:
            rows += _rows(title, action.menu())
        elif _keys(action):
            rows.append((title, action.text().replace("&", "").rstrip("…"), _keys(action)))
    return rows


def _keys(action: QAction) -> str:
    return ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts())


class _ShortcutsDialog(QDialog):
    def __init__(self, rows, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.table = QTableWidget(len(rows), 3)
        self.table.setHorizontalHeaderLabels(["Where", "Command", "Keys"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.resizeColumnToContents(0)
        self.table.resizeColumnToContents(2)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(560, 520)
