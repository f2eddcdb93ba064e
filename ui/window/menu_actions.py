"""The main window's menus and toolbar: every command with its text, shortcut and icon."""

from __future__ import annotations

from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QApplication, QMenu, QStyle

from builder import INPUT_PRESETS

from .group_actions import group_selection, ungroup_selection
from .help_menu import HelpMenu
from .run_controls import RunControls

if TYPE_CHECKING:
    from .main_window import MainWindow

EXPORT_WAITS = "Export is available once PyTorch has loaded"


class MenuActions(QObject):
    """Builds the menu bar and toolbar of `window` and keeps the actions others refer to."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        bar = window.menuBar()
        self._build_file_menu(bar.addMenu("&File"))
        self._build_edit_menu(bar.addMenu("&Edit"))
        self._build_view_menu(bar.addMenu("&View"))
        self._build_network_menu(bar.addMenu("&Network"))
        self._build_toolbar()
        self.run = RunControls(window, bar.addMenu("&Run"), self.tools)
        self.help = HelpMenu(window, bar.addMenu("&Help"))

    def _action(self, text, slot, shortcut=None, menu=None, tip="") -> QAction:
        action = QAction(text, self.window)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        if menu is not None:
            menu.addAction(action)
        return action

    def _build_file_menu(self, file: QMenu) -> None:
        files, keys = self.window.files, QKeySequence.StandardKey
        self.new_action = self._action(
            "&New…", files.new_file, keys.New, file, "Start from a template or a blank canvas"
        )
        self.open_action = self._action("&Open…", files.open_dialog, keys.Open, file)
        files.recent_menu = file.addMenu("Open &Recent")
        files.refresh_recent_menu()
        file.addSeparator()
        self.save_action = self._action("&Save", files.save, keys.Save, file)
        self.save_as_action = self._action("Save &As…", files.save_as, keys.SaveAs, file)
        file.addSeparator()
        self.import_action = self._action(
            "&Import Model…",
            self.window.imports.open_dialog,
            "Ctrl+I",
            file,
            "Open a torchvision CNN, a PyTorch module from a .py file, or an ONNX file on the canvas",
        )
        self.export_menu = file.addMenu("&Export")
        self.export_actions = {
            fmt: self._action(text, lambda _=False, f=fmt: files.export(f), None, self.export_menu)
            for fmt, text in (
                ("py", "PyTorch code (.py)…"),
                ("train-py", "Training script (.py)…"),
                ("onnx", "ONNX (.onnx)…"),
                ("weights", "Weights (.safetensors)…"),
            )
        }
        self.set_export_ready(False)
        file.addSeparator()
        # every window, each asking about its unsaved changes; a Cancel stops there
        self.quit_action = self._action("&Quit", QApplication.closeAllWindows, keys.Quit, file)

    def set_export_ready(self, ready: bool) -> None:
        """Export builds torch modules: the menu waits until torch has loaded."""
        self.export_menu.setEnabled(ready)
        self.export_menu.menuAction().setStatusTip("" if ready else EXPORT_WAITS)
        self.import_action.setEnabled(ready)  # importing traces torch modules too

    def _build_edit_menu(self, edit: QMenu) -> None:
        window, stack = self.window, self.window.controller.undo_stack
        self.undo_action = stack.createUndoAction(window, "&Undo")
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.redo_action = stack.createRedoAction(window, "&Redo")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        edit.addAction(self.undo_action)
        edit.addAction(self.redo_action)
        edit.addSeparator()
        keys = QKeySequence.StandardKey
        self._action("Cu&t", window.cut, keys.Cut, edit)
        self.copy_action = self._action("&Copy", window.copy, keys.Copy, edit)
        self.paste_action = self._action("&Paste", window.paste, keys.Paste, edit)
        self._action("D&uplicate", window.duplicate, "Ctrl+D", edit)
        self.delete_action = self._action("&Delete", window.delete_selection, keys.Delete, edit)
        self.delete_action.setShortcuts([QKeySequence(Qt.Key.Key_Delete), QKeySequence(Qt.Key.Key_Backspace)])
        self._action("Select &All", window.select_all, keys.SelectAll, edit)
        edit.addSeparator()
        self.group_action = self._action(
            "&Group…", lambda: group_selection(window), "Ctrl+G", edit, "Make a group of the selected blocks"
        )
        self.ungroup_action = self._action(
            "U&ngroup", lambda: ungroup_selection(window), "Ctrl+Shift+G", edit, "Remove the selected group"
        )

    def _build_view_menu(self, view: QMenu) -> None:
        window, canvas = self.window, self.window.view
        self._action("Zoom &In", lambda: canvas.zoom_by(1.25), QKeySequence("Ctrl++"), view).setShortcuts(
            [QKeySequence("Ctrl++"), QKeySequence("Ctrl+=")]
        )
        self._action("Zoom &Out", lambda: canvas.zoom_by(0.8), QKeySequence("Ctrl+-"), view)
        self._action("&Fit to Window", canvas.fit_all, QKeySequence("Ctrl+0"), view)
        view.addSeparator()
        self._action("Arrange Top to &Bottom", lambda: window.arrange("TB"), QKeySequence("Ctrl+L"), view)
        self._action(
            "Arrange &Left to Right", lambda: window.arrange("LR"), QKeySequence("Ctrl+Shift+L"), view
        )
        view.addSeparator()
        self.health_action = self._action(
            "Colour Blocks by Gradient Norm",
            window.training.show_health,
            None,
            view,
            "While training, a strip on each block shows how strongly it is learning",
        )
        self.health_action.setCheckable(True)
        self.health_action.setChecked(True)
        view.addSeparator()
        for dock in window.docks.values():
            view.addAction(dock.toggleViewAction())

    def _build_network_menu(self, network: QMenu) -> None:
        presets = network.addMenu("Input &Shape")
        self.preset_group = QActionGroup(self)
        controller = self.window.controller
        for name, shape in INPUT_PRESETS.items():
            label = f"{name} ({'×'.join(map(str, shape))})"
            action = self._action(
                label, lambda _=False, s=shape: controller.set_input_shape(s), None, presets
            )
            self.preset_group.addAction(action)
        self._action("Custom…", self.window.ask_custom_shape, None, presets)
        self.rename_action = self._action(
            "&Rename…",
            self.window.ask_rename,
            None,
            network,
            "The title, the exported class and the file name",
        )

    def _build_toolbar(self) -> None:
        window = self.window
        tools = self.tools = window.addToolBar("Main")
        tools.setObjectName("MainToolBar")
        tools.setMovable(True)
        tools.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        icons = window.style()
        SP = QStyle.StandardPixmap
        for action, icon in (
            (self.new_action, SP.SP_FileIcon),
            (self.open_action, SP.SP_DialogOpenButton),
            (self.save_action, SP.SP_DialogSaveButton),
            (self.undo_action, SP.SP_ArrowBack),
            (self.redo_action, SP.SP_ArrowForward),
            (self.delete_action, SP.SP_TrashIcon),
        ):
            action.setIcon(icons.standardIcon(icon))
        for action in (self.new_action, self.open_action, self.save_action):
            tools.addAction(action)
        tools.addSeparator()
        # the menu's Undo says what it undoes; in the toolbar that text would change the button's
        # width at every edit and move the buttons after it: there it is the tooltip
        self.undo_tool = _steady_twin(self.undo_action, "Undo", tools)
        self.redo_tool = _steady_twin(self.redo_action, "Redo", tools)
        tools.addSeparator()
        tools.addAction(self.delete_action)
        fit = QAction("Fit", window)
        fit.triggered.connect(window.view.fit_all)
        tools.addAction(fit)
        arrange = QAction("Arrange", window)
        arrange.triggered.connect(lambda: window.arrange("TB"))
        tools.addAction(arrange)


class _SteadyTwin(QAction):
    """A toolbar copy of `source` whose text stays put: it triggers `source`, follows its
    enabled state and shows its changing text ("Undo Set conv1 kernel") as the tooltip."""

    def __init__(self, source: QAction, text: str, parent):
        super().__init__(source.icon(), text, parent)
        self.source = source
        self.triggered.connect(source.trigger)
        source.changed.connect(self.follow)  # a slot of this object: disconnected when it goes
        self.follow()

    def follow(self) -> None:
        if not shiboken6.isValid(self.source):  # it says it changed as the window destroys it
            return
        self.setEnabled(self.source.isEnabled())
        shortcut = self.source.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        self.setToolTip(f"{self.source.text().replace('&', '')} ({shortcut})")


def _steady_twin(action: QAction, text: str, tools) -> QAction:
    twin = _SteadyTwin(action, text, tools)
    tools.addAction(twin)
    return twin
