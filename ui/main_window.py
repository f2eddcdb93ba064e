"""The main window: palette, canvas, inspector, summary, problems, history."""

from __future__ import annotations

import json
import os
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QStyle,
    QUndoView,
)

from builder import (
    INPUT_PRESETS,
    Graph,
    GraphFormatError,
    LayerHealth,
    dumps_graph,
    load_graph,
    load_template,
    loads_graph,
    save_graph,
    write_atomic,
)

from .controller import GraphController
from .graph_scene import GraphScene
from .graph_view import GraphView
from .inspector import Inspector
from .palette import Palette
from .problems_panel import ProblemsPanel
from .summary_table import SummaryTable
from .template_gallery import TemplateGallery
from .training_panel import TrainingPanel
from .training_session import TrainingSession, pin_gui_thread
from .training_views import TrainingViews

AUTOSAVE_MS = 60_000
MAX_RECENT = 8


def state_dir() -> Path:
    """Where the recovery file lives (CONVCANVAS_STATE_DIR overrides, for tests)."""
    override = os.environ.get("CONVCANVAS_STATE_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_state_dir("convcanvas", appauthor=False))


def recovery_path() -> Path:
    return state_dir() / "recovery.json"


class MainWindow(QMainWindow):
    def __init__(self, graph: Graph | None = None, path: str | None = None):
        super().__init__()
        pin_gui_thread()
        self.setObjectName("MainWindow")
        self.controller = GraphController(graph if graph is not None else load_template("lenet5"), self)
        self.path: Path | None = Path(path) if path else None
        self.scene = GraphScene(self.controller, self)
        self.view = GraphView(self.scene)
        self.setCentralWidget(self.view)
        self.palette = Palette()
        self.inspector = Inspector(self.controller)
        self.summary = SummaryTable(self.controller)
        self.problems = ProblemsPanel(self.controller)
        self.session = TrainingSession(self)
        self.training_panel = TrainingPanel(self.controller, self.session)
        self.training_views = TrainingViews(self.session)
        self.history = QUndoView(self.controller.undo_stack)
        self.history.setEmptyLabel("Opened")
        self.docks = {}
        self._dock("Blocks", self.palette, Qt.DockWidgetArea.LeftDockWidgetArea)
        self._dock("Inspector", self.inspector, Qt.DockWidgetArea.RightDockWidgetArea)
        training_scroll = QScrollArea()
        training_scroll.setWidgetResizable(True)
        training_scroll.setWidget(self.training_panel)  # a long form scrolls rather than grow the window
        self._dock("Training", training_scroll, Qt.DockWidgetArea.RightDockWidgetArea)
        self._dock("History", self.history, Qt.DockWidgetArea.RightDockWidgetArea)
        self._dock("Summary", self.summary, Qt.DockWidgetArea.BottomDockWidgetArea)
        self._dock("Training plots", self.training_views, Qt.DockWidgetArea.BottomDockWidgetArea)
        self._dock("Problems", self.problems, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.splitDockWidget(self.docks["Summary"], self.docks["Problems"], Qt.Orientation.Horizontal)
        self.tabifyDockWidget(self.docks["Summary"], self.docks["Training plots"])
        self.tabifyDockWidget(self.docks["Inspector"], self.docks["Training"])
        self.tabifyDockWidget(self.docks["Inspector"], self.docks["History"])
        self.docks["Summary"].raise_()
        self.docks["Inspector"].raise_()
        self.resizeDocks(
            [self.docks["Blocks"], self.docks["Inspector"]], [190, 360], Qt.Orientation.Horizontal
        )
        self.resizeDocks([self.docks["Summary"]], [230], Qt.Orientation.Vertical)
        self.resizeDocks(
            [self.docks["Summary"], self.docks["Problems"]], [640, 520], Qt.Orientation.Horizontal
        )
        self.status = QLabel()
        self.statusBar().addPermanentWidget(self.status)
        self._build_actions()

        self.scene.selectionChanged.connect(self._on_selection_changed)
        self.scene.wire_refused.connect(lambda text: self.statusBar().showMessage(text, 6000))
        self.scene.block_dropped.connect(self.select_node)
        self.palette.block_activated.connect(self._on_palette_block_activated)
        self.problems.node_activated.connect(self.select_node)
        self.summary.clicked.connect(lambda index: self.select_node(self.summary.node_at_row(index.row())))
        self.controller.inferred.connect(self._on_inferred)
        self.training_panel.run_started.connect(self._on_run_started)
        self.session.records_arrived.connect(self._on_training_records)
        self._last_health: dict[str, float] | None = None
        self.controller.undo_stack.cleanChanged.connect(self._update_title)
        self.controller.graph_reset.connect(self._update_title)

        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(AUTOSAVE_MS)
        self.autosave_timer.timeout.connect(self.autosave)
        self.autosave_timer.start()
        self._autosaved_index = -1

        screen = QApplication.primaryScreen().availableGeometry()
        self.resize(min(1500, int(screen.width() * 0.95)), min(920, int(screen.height() * 0.92)))
        self._restore_settings()
        self._on_inferred(self.controller.result)
        self._update_title()
        QTimer.singleShot(0, self.view.show_start)

    # -- layout ------------------------------------------------------------------------

    def _dock(self, title: str, widget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"{title}Dock")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self.docks[title] = dock
        return dock

    def _action(self, text, slot, shortcut=None, menu=None, tip="") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        if menu is not None:
            menu.addAction(action)
        return action

    def _build_actions(self) -> None:
        bar = self.menuBar()
        stack = self.controller.undo_stack
        file = bar.addMenu("&File")
        self.new_action = self._action(
            "&New…",
            self.new_file,
            QKeySequence.StandardKey.New,
            file,
            "Start from a template or a blank canvas",
        )
        self.open_action = self._action("&Open…", self.open_dialog, QKeySequence.StandardKey.Open, file)
        self.recent_menu = file.addMenu("Open &Recent")
        file.addSeparator()
        self.save_action = self._action("&Save", self.save, QKeySequence.StandardKey.Save, file)
        self._action("Save &As…", self.save_as, QKeySequence.StandardKey.SaveAs, file)
        export = file.addMenu("&Export")
        self._action("PyTorch code (.py)…", lambda: self.export("py"), None, export)
        self._action("Training script (.py)…", lambda: self.export("train-py"), None, export)
        self._action("ONNX (.onnx)…", lambda: self.export("onnx"), None, export)
        file.addSeparator()
        self._action("&Quit", self.close, QKeySequence.StandardKey.Quit, file)

        edit = bar.addMenu("&Edit")
        undo = stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = stack.createRedoAction(self, "&Redo")
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        edit.addAction(undo)
        edit.addAction(redo)
        edit.addSeparator()
        self._action("Cu&t", self.cut, QKeySequence.StandardKey.Cut, edit)
        self._action("&Copy", self.copy, QKeySequence.StandardKey.Copy, edit)
        self._action("&Paste", self.paste, QKeySequence.StandardKey.Paste, edit)
        self._action("D&uplicate", self.duplicate, "Ctrl+D", edit)
        self.delete_action = self._action(
            "&Delete", self.delete_selection, QKeySequence.StandardKey.Delete, edit
        )
        self.delete_action.setShortcuts([QKeySequence(Qt.Key.Key_Delete), QKeySequence(Qt.Key.Key_Backspace)])
        self._action("Select &All", self.select_all, QKeySequence.StandardKey.SelectAll, edit)

        view = bar.addMenu("&View")
        self._action("Zoom &In", lambda: self.view.zoom_by(1.25), QKeySequence("Ctrl++"), view).setShortcuts(
            [QKeySequence("Ctrl++"), QKeySequence("Ctrl+=")]
        )
        self._action("Zoom &Out", lambda: self.view.zoom_by(0.8), QKeySequence("Ctrl+-"), view)
        self._action("&Fit to Window", self.view.fit_all, QKeySequence("Ctrl+0"), view)
        view.addSeparator()
        self._action("Arrange Top to &Bottom", lambda: self._arrange("TB"), QKeySequence("Ctrl+L"), view)
        self._action(
            "Arrange &Left to Right", lambda: self._arrange("LR"), QKeySequence("Ctrl+Shift+L"), view
        )
        view.addSeparator()
        self.health_action = self._action(
            "Colour Blocks by Gradient Norm",
            self._on_health_toggled,
            None,
            view,
            "While training, a strip on each block shows how strongly it is learning",
        )
        self.health_action.setCheckable(True)
        self.health_action.setChecked(True)
        view.addSeparator()
        for dock in self.docks.values():
            view.addAction(dock.toggleViewAction())

        network = bar.addMenu("&Network")
        presets = network.addMenu("Input &Shape")
        self.preset_group = QActionGroup(self)
        for name, shape in INPUT_PRESETS.items():
            label = f"{name} ({'×'.join(map(str, shape))})"
            action = self._action(
                label, lambda _=False, s=shape: self.controller.set_input_shape(s), None, presets
            )
            self.preset_group.addAction(action)
        self._action("Custom…", self._ask_custom_shape, None, presets)

        tools = self.addToolBar("Main")
        tools.setObjectName("MainToolBar")
        tools.setMovable(True)
        tools.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        icons = self.style()
        SP = QStyle.StandardPixmap
        for action, icon in (
            (self.new_action, SP.SP_FileIcon),
            (self.open_action, SP.SP_DialogOpenButton),
            (self.save_action, SP.SP_DialogSaveButton),
            (undo, SP.SP_ArrowBack),
            (redo, SP.SP_ArrowForward),
            (self.delete_action, SP.SP_TrashIcon),
        ):
            action.setIcon(icons.standardIcon(icon))
        for action in (self.new_action, self.open_action, self.save_action):
            tools.addAction(action)
        tools.addSeparator()
        tools.addAction(undo)
        tools.addAction(redo)
        tools.addSeparator()
        tools.addAction(self.delete_action)
        fit = QAction("Fit", self)
        fit.triggered.connect(self.view.fit_all)
        tools.addAction(fit)
        arrange = QAction("Arrange", self)
        arrange.triggered.connect(lambda: self._arrange("TB"))
        tools.addAction(arrange)
        self._refresh_recent_menu()

    # -- selection -----------------------------------------------------------------------

    def select_node(self, node_id: str) -> None:
        item = self.scene.nodes.get(node_id)
        if item is None:
            return
        self.scene.clearSelection()
        item.setSelected(True)
        self.view.center_on_node(node_id)

    def select_all(self) -> None:
        for item in self.scene.nodes.values():
            item.setSelected(True)

    def _on_selection_changed(self) -> None:
        ids = self.scene.selected_node_ids()
        node_id = ids[0] if len(ids) == 1 else None
        self.inspector.show_node(node_id)
        self.summary.highlight(node_id)
        self.training_views.inside.select_conv(node_id)

    def _on_palette_block_activated(self, block_type: str) -> None:
        ids = self.scene.selected_node_ids()
        new_id = self.controller.append_after(ids[0] if len(ids) == 1 else None, block_type)
        self.select_node(new_id)

    # -- editing -------------------------------------------------------------------------

    def delete_selection(self) -> None:
        self.controller.remove(self.scene.selected_node_ids(), self.scene.selected_edges())

    def copy(self) -> None:
        ids = self.scene.selected_node_ids()
        if ids:
            QApplication.clipboard().setText(self.controller.copy(ids))

    def cut(self) -> None:
        ids = self.scene.selected_node_ids()
        if ids:
            self.copy()
            self.controller.remove(ids)

    def paste(self) -> None:
        new_ids = self.controller.paste(QApplication.clipboard().text())
        self._select_many(new_ids)

    def duplicate(self) -> None:
        self._select_many(self.controller.duplicate(self.scene.selected_node_ids()))

    def _select_many(self, ids) -> None:
        if ids:
            self.scene.clearSelection()
            for node_id in ids:
                self.scene.nodes[node_id].setSelected(True)

    def _arrange(self, direction: str) -> None:
        self.controller.auto_layout(direction)
        self.view.fit_all()

    def _ask_custom_shape(self) -> None:
        node = self.controller.graph.input_node()
        current = ",".join(map(str, node.settings["shape"])) if node else "3,64,64"
        text, ok = QInputDialog.getText(self, "Input shape", "Channels, height, width:", text=current)
        if ok:
            try:
                shape = tuple(int(v) for v in text.replace("x", ",").split(","))
                self.controller.set_input_shape(shape)
            except Exception as e:  # a ValueError or a SettingError: say so, change nothing
                QMessageBox.warning(self, "Input shape", f"{text!r} is not a shape: {e}. Use e.g. 3,64,64.")

    # -- status --------------------------------------------------------------------------

    def _on_inferred(self, result) -> None:
        state = "valid" if result.valid else f"{len(result.errors)} error(s)"
        if result.warnings:
            state += f", {len(result.warnings)} warning(s)"
        shape = "×".join(map(str, result.input_shape)) if result.input_shape else "?"
        self.status.setText(
            f"input {shape}  ·  {result.total_params:,} parameters  ·  "
            f"{result.total_macs / 1e6:,.1f}M MACs  ·  {state}"
        )

    def _update_title(self, *_args) -> None:
        name = self.path.name if self.path else f"{self.controller.graph.name} (unsaved)"
        self.setWindowModified(not self.controller.undo_stack.isClean())
        self.setWindowTitle(f"{name}[*] — ConvCanvas")

    # -- files ---------------------------------------------------------------------------

    def maybe_save(self) -> bool:
        """Ask about unsaved changes; False means the user cancelled."""
        if self.controller.undo_stack.isClean():
            return True
        answer = self.ask_save_changes()
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def ask_save_changes(self):
        return QMessageBox.question(
            self,
            "Unsaved changes",
            f"Save the changes to {self.path.name if self.path else 'this network'}?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
        )

    def new_file(self) -> None:
        if not self.maybe_save():
            return
        gallery = TemplateGallery(self)
        if gallery.exec():
            self.load_graph(gallery.chosen_graph(), None)

    def open_dialog(self) -> None:
        if not self.maybe_save():
            return
        path, _ = QFileDialog.getOpenFileName(
            self, "Open network", str(self._last_dir()), "ConvCanvas networks (*.json);;All files (*)"
        )
        if path:
            self.open_file(path, ask=False)

    def open_file(self, path, ask: bool = True) -> bool:
        """Open a graph file; on failure say why and keep the current network."""
        if ask and not self.maybe_save():
            return False
        try:
            graph = load_graph(path)
        except GraphFormatError as e:
            self.show_error("Cannot open the file", str(e))
            return False
        self.load_graph(graph, Path(path))
        self._add_recent(Path(path))
        return True

    def load_graph(self, graph: Graph, path: Path | None) -> None:
        self.path = path
        self.controller.load(graph)
        self._autosaved_index = -1
        self._update_title()
        self.view.show_start()

    def save(self) -> bool:
        if self.path is None:
            return self.save_as()
        return self._write(self.path)

    def save_as(self) -> bool:
        suggested = (
            self.path or self._last_dir() / f"{self.controller.graph.name.lower().replace(' ', '_')}.json"
        )
        path, _ = QFileDialog.getSaveFileName(
            self, "Save network", str(suggested), "ConvCanvas networks (*.json)"
        )
        if not path:
            return False
        if not path.endswith(".json"):
            path += ".json"
        return self._write(Path(path))

    def _write(self, path: Path) -> bool:
        try:
            save_graph(self.controller.graph, path)
        except OSError as e:
            self.show_error(
                "Cannot save", f"{path} could not be written: {e.strerror}. Choose another folder."
            )
            return False
        self.path = path
        self.controller.undo_stack.setClean()
        self._add_recent(path)
        self._update_title()
        self.statusBar().showMessage(f"Saved {path}", 4000)
        return True

    def export(self, fmt: str) -> None:
        from builder import InvalidGraphError

        result = self.controller.result  # re-inferred after every edit
        if not result.valid:
            self.show_error(
                "Cannot export",
                "Fix the network's errors first (see Problems):\n\n"
                + "\n".join(str(e) for e in result.errors[:5]),
            )
            return
        suffix = {"py": ".py", "train-py": "_train.py", "onnx": ".onnx"}[fmt]
        stem = self.path.stem if self.path else self.controller.graph.name.lower().replace(" ", "_")
        path, _ = QFileDialog.getSaveFileName(self, "Export", str(self._last_dir() / f"{stem}{suffix}"))
        if not path:
            return
        try:
            if fmt == "py":
                from builder import export_python

                write_atomic(path, export_python(self.controller.graph, result))
            elif fmt == "train-py":
                from builder import export_training_script

                config = self.training_panel.config()  # the settings the user chose for training
                write_atomic(path, export_training_script(self.controller.graph, config, result))
            else:
                from builder import build_model, export_onnx

                export_onnx(build_model(self.controller.graph, result), path, result.input_shape)
        except (OSError, InvalidGraphError) as e:
            self.show_error("Export failed", str(e))
            return
        self.statusBar().showMessage(f"Exported {path}", 4000)

    def show_error(self, title: str, text: str) -> None:
        QMessageBox.warning(self, title, text)

    # -- recent files, settings, autosave ------------------------------------------------

    def _settings(self) -> QSettings:
        return QSettings()

    def _last_dir(self) -> Path:
        return self.path.parent if self.path else Path.home()

    def recent_files(self) -> list[str]:
        value = self._settings().value("recentFiles", [])
        return [v for v in (value if isinstance(value, list) else [value]) if v]

    def _add_recent(self, path: Path) -> None:
        files = [str(path.resolve())] + [f for f in self.recent_files() if f != str(path.resolve())]
        self._settings().setValue("recentFiles", files[:MAX_RECENT])
        self._refresh_recent_menu()

    def _refresh_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = self.recent_files()
        for f in files:
            self._action(Path(f).name, lambda _=False, p=f: self.open_file(p), None, self.recent_menu, f)
        self.recent_menu.setEnabled(bool(files))

    def _restore_settings(self) -> None:
        settings = self._settings()
        geometry = settings.value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = settings.value("windowState")
        if state is not None:
            self.restoreState(state)

    def autosave(self) -> bool:
        """Write unsaved work to the recovery file (only when it changed since last time)."""
        stack = self.controller.undo_stack
        if stack.isClean() or stack.index() == self._autosaved_index:
            return False
        data = {
            "path": str(self.path) if self.path else None,
            "graph": json.loads(dumps_graph(self.controller.graph)),
        }
        try:
            write_atomic(recovery_path(), json.dumps(data))
        except OSError:
            return False  # autosave must never interrupt work
        self._autosaved_index = stack.index()
        return True

    def offer_recovery(self) -> bool:
        """After a crash, offer the recovery file; True if the network was restored."""
        path = recovery_path()
        if not path.exists():
            return False
        try:
            data = json.loads(path.read_text())
            graph = loads_graph(json.dumps(data["graph"]), "recovery file")
        except Exception:
            path.unlink(missing_ok=True)
            return False
        if self.ask_restore(data.get("path")) != QMessageBox.StandardButton.Yes:
            path.unlink(missing_ok=True)
            return False
        self.load_graph(graph, Path(data["path"]) if data.get("path") else None)
        self.controller.undo_stack.resetClean()  # restored work is unsaved until saved
        self._update_title()
        return True

    def ask_restore(self, original: str | None):
        where = f" to {Path(original).name}" if original else ""
        return QMessageBox.question(
            self,
            "Restore unsaved work",
            f"ConvCanvas did not close normally. Restore the unsaved changes{where}?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        )

    def _on_training_records(self, records: list) -> None:
        health = next((r for r in reversed(records) if isinstance(r, LayerHealth)), None)
        if health is not None:
            self._last_health = dict(health.grad_norms)
            if self.health_action.isChecked():
                self.scene.set_health(self._last_health)

    def _on_health_toggled(self, on: bool) -> None:
        self.scene.set_health(self._last_health if on else None)

    def _on_run_started(self, config) -> None:
        self._last_health = None
        self.scene.set_health(None)
        self.training_views.start_run(config)
        self.docks["Training plots"].show()
        self.docks["Training plots"].raise_()
        self.resizeDocks([self.docks["Training plots"]], [320], Qt.Orientation.Vertical)

    def ask_stop_training(self):
        return QMessageBox.question(
            self,
            "Training is running",
            "Stop the training run and close?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        )

    def closeEvent(self, event) -> None:
        if self.session.running and self.ask_stop_training() != QMessageBox.StandardButton.Yes:
            event.ignore()
            return
        if not self.maybe_save():
            event.ignore()
            return
        # stop the worker and wait for it before any Qt object it reports to is destroyed
        self.session.stop(wait=True)
        settings = self._settings()
        settings.setValue("geometry", self.saveGeometry())
        settings.setValue("windowState", self.saveState())
        self.autosave_timer.stop()
        recovery_path().unlink(missing_ok=True)  # a clean exit leaves nothing to recover
        event.accept()
