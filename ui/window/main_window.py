"""The main window: palette, canvas, inspector, summary, problems, history and training docks.

The window shows before torch is imported; after its first paint the training side loads
torch in the background (see `TrainingWiring`).
"""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtGui
from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QInputDialog,
    QMainWindow,
    QMessageBox,
    QUndoView,
    QVBoxLayout,
    QWidget,
)

from builder import CARD_SIZE, Graph, SettingError, load_template

from ..canvas import style
from ..canvas.context_menus import CanvasMenus
from ..canvas.graph_scene import GraphScene
from ..canvas.graph_view import GraphView
from ..editor.controller import GraphController, PasteRefused
from ..panels.inspector import Inspector
from ..panels.palette import Palette
from ..panels.problems_panel import ProblemsPanel
from ..panels.summary_table import SummaryTable
from .compact_layout import CompactLayout
from .document_files import DocumentFiles
from .memory_status import MemoryStatus
from .menu_actions import MenuActions
from .model_import import ModelImport, StartWeights
from .project_runs import ProjectRuns
from .recovery import Recovery
from .steady_label import SteadyLabel
from .training_wiring import TrainingWiring
from .undo_keys import GraphUndoKeys

LEFT = Qt.DockWidgetArea.LeftDockWidgetArea
RIGHT = Qt.DockWidgetArea.RightDockWidgetArea
BOTTOM = Qt.DockWidgetArea.BottomDockWidgetArea


class MainWindow(QMainWindow):
    """Lays out the editor's widgets and links them; files, menus and training are helpers."""

    first_painted = Signal()  # the window has been painted once (start-up timing, torch loading)

    def __init__(
        self,
        graph: Graph | None = None,
        path: str | Path | None = None,
        *,
        load_torch: bool = True,
        start_weights: StartWeights | None = None,
    ):
        super().__init__()
        self.setObjectName("MainWindow")
        self._load_torch = load_torch
        self.start_weights = start_weights  # what training starts from and exports carry
        self._painted = False
        self.controller = GraphController(graph if graph is not None else load_template("lenet5"), self)
        self.scene = GraphScene(self.controller, self)
        self.view = GraphView(self.scene)
        self.setCentralWidget(self.view)
        self.palette = Palette()
        self.palette.setMinimumWidth(180)  # category titles ("Pooling and upsampling") unclipped
        self.inspector = Inspector(self.controller)
        self.summary = SummaryTable(self.controller)
        self.problems = ProblemsPanel(self.controller)
        self.history = QUndoView(self.controller.undo_stack)
        self.history.setEmptyLabel("Opened")
        self.files = DocumentFiles(self, Path(path) if path else None)
        self.recovery = Recovery(self)
        self.imports = ModelImport(self)
        self.runs = ProjectRuns(self)
        self.memory = MemoryStatus(self)
        self.training = TrainingWiring(self)
        self.docks: dict[str, QDockWidget] = {}
        self._build_docks()
        self.status = SteadyLabel()
        self.statusBar().addWidget(self.training.note)
        self.statusBar().addPermanentWidget(self.memory.label)
        self.statusBar().addPermanentWidget(self.status)
        self.menu_actions = MenuActions(self)
        self.canvas_menus = CanvasMenus(self)  # right-click menus; the offer to reconnect
        self.statusBar().addWidget(self.menu_actions.run.status)
        self.undo_keys = GraphUndoKeys(self)
        self._connect()
        screen = QApplication.primaryScreen().availableGeometry()
        self.resize(min(1500, int(screen.width() * 0.95)), min(920, int(screen.height() * 0.92)))
        self._restore_settings()
        self.compact = CompactLayout(self)  # small windows: one dock column, the canvas keeps the rest
        self._on_inferred(self.controller.result)
        self.memory.refresh()
        self.update_title()
        QTimer.singleShot(0, self.view.show_start)

    # -- layout --------------------------------------------------------------------------

    def _build_docks(self) -> None:
        self._dock("Blocks", self.palette, LEFT)
        self._dock("Inspector", self.inspector, RIGHT)
        self._dock("Training", self.training.panel_scroll, RIGHT)
        self._dock("History", self.history, RIGHT)
        summary = QWidget()
        summary_layout = QVBoxLayout(summary)
        summary_layout.setContentsMargins(0, 0, 0, 0)
        summary_layout.setSpacing(0)
        summary_layout.addWidget(self.summary, 1)
        summary_layout.addWidget(self.memory.detail)
        self._dock("Summary", summary, BOTTOM)
        self._dock("Training plots", self.training.plots_placeholder, BOTTOM)
        self._dock("Runs", self.training.runs_placeholder, BOTTOM)
        self._dock("Problems", self.problems, BOTTOM)
        docks = self.docks
        self.splitDockWidget(docks["Summary"], docks["Problems"], Qt.Orientation.Horizontal)
        self.tabifyDockWidget(docks["Summary"], docks["Training plots"])
        self.tabifyDockWidget(docks["Summary"], docks["Runs"])
        self.tabifyDockWidget(docks["Inspector"], docks["Training"])
        self.tabifyDockWidget(docks["Inspector"], docks["History"])
        docks["Summary"].raise_()
        docks["Inspector"].raise_()
        self.resizeDocks([docks["Blocks"], docks["Inspector"]], [190, 360], Qt.Orientation.Horizontal)
        self.resizeDocks([docks["Summary"]], [230], Qt.Orientation.Vertical)
        self.resizeDocks([docks["Summary"], docks["Problems"]], [640, 520], Qt.Orientation.Horizontal)

    def _dock(self, title: str, widget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"{title}Dock")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self.docks[title] = dock
        return dock

    def _connect(self) -> None:
        self.scene.selectionChanged.connect(self._on_selection_changed)
        self.scene.wire_refused.connect(lambda text: self.statusBar().showMessage(text, 6000))
        self.scene.notice.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.scene.block_dropped.connect(self.select_node)
        self.palette.block_activated.connect(self._on_palette_block_activated)
        self.palette.block_added.connect(self._on_palette_block_added)
        self.problems.node_activated.connect(self.select_node)
        self.summary.clicked.connect(lambda index: self.select_node(self.summary.node_at_row(index.row())))
        self.controller.inferred.connect(self._on_inferred)
        self.controller.inferred.connect(self.memory.update)
        # connected to the window, not a helper: the window stops receiving first when it is
        # destroyed, and the undo stack emits cleanChanged from its own destructor
        self.controller.undo_stack.cleanChanged.connect(self.update_title)
        self.controller.graph_reset.connect(self.update_title)
        self.controller.renamed.connect(self.update_title)
        self.training.ready.connect(lambda: self.menu_actions.set_export_ready(True))

    def _restore_settings(self) -> None:
        settings = QSettings()
        geometry = settings.value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = settings.value("windowState")
        if state is not None:
            self.restoreState(state)

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
        self.inspector.show_node(node_id, ids)
        self.summary.highlight(node_id)
        self.training.select_node(node_id)

    def _on_palette_block_activated(self, block_type: str) -> None:
        ids = self.scene.selected_node_ids()
        new_id = self.controller.append_after(ids[0] if len(ids) == 1 else None, block_type)
        self.select_node(new_id)

    def _on_palette_block_added(self, block_type: str) -> None:
        """A block of its own at the middle of what the canvas shows."""
        centre = self.view.mapToScene(self.view.viewport().rect().center())
        pos = (centre.x() - CARD_SIZE[0] / 2, centre.y() - CARD_SIZE[1] / 2)
        self.select_node(self.controller.add_block(block_type, pos))  # where it covers no card

    # -- editing -------------------------------------------------------------------------

    def delete_selection(self) -> None:
        self.canvas_menus.delete(self.scene.selected_node_ids(), self.scene.selected_edges())

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
        try:
            ids = self.controller.paste(QApplication.clipboard().text())
        except PasteRefused as e:  # nothing was added: say why
            self.statusBar().showMessage(f"Nothing pasted: {e}", 10_000)
            return
        self._select_many(ids)

    def duplicate(self) -> None:
        self._select_many(self.controller.duplicate(self.scene.selected_node_ids()))

    def _select_many(self, ids) -> None:
        if ids:
            self.scene.clearSelection()
            for node_id in ids:
                self.scene.nodes[node_id].setSelected(True)

    def arrange(self, direction: str) -> None:
        self.controller.auto_layout(direction)
        self.view.fit_all()

    def ask_custom_shape(self) -> None:
        node = self.controller.graph.input_node()
        current = ",".join(map(str, node.settings["shape"])) if node else "3,64,64"
        text, ok = QInputDialog.getText(self, "Input shape", "Channels, height, width:", text=current)
        if ok:
            try:
                shape = tuple(int(v) for v in text.replace("x", ",").split(","))
                self.controller.set_input_shape(shape)
            except (ValueError, SettingError) as e:  # say so, change nothing
                QMessageBox.warning(self, "Input shape", f"{text!r} is not a shape: {e}. Use e.g. 3,64,64.")

    def ask_rename(self) -> None:
        name, ok = QInputDialog.getText(self, "Rename network", "Name:", text=self.controller.graph.name)
        if ok and name.strip():
            self.controller.rename(name)

    # -- status --------------------------------------------------------------------------

    def _on_inferred(self, result) -> None:
        state = "valid" if result.valid else f"{len(result.errors)} error(s)"
        if result.warnings:
            state += f", {len(result.warnings)} warning(s)"
        shape = style.shape_text(result.input_shape)
        params, macs = f"{result.total_params:,} parameters", f"{style.macs_text(result.total_macs)} MACs"
        counts = f"{params}  ·  {macs}"
        if not result.valid:  # the blocks after an error count nothing: say the sums are partial
            counts = f"{params} and {macs} before the errors"
        self.status.setText(f"input {shape}  ·  {counts}  ·  {state}")

    def update_title(self, *_args) -> None:
        path = self.files.path
        name = path.name if path else f"{self.controller.graph.name} (unsaved)"
        self.setWindowModified(not self.controller.undo_stack.isClean() or self.files.needs_saving)
        self.setWindowTitle(f"{name}[*] — ConvCanvas")

    def show_error(self, title: str, text: str) -> None:
        # the text quotes file names and user code: shown as written, never as markup
        QMessageBox.warning(
            self, title, QtGui.Qt.convertFromPlainText(text, QtGui.Qt.WhiteSpaceMode.WhiteSpaceNormal)
        )

    # -- start and end -------------------------------------------------------------------

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            # once this paint has reached the screen, not in the middle of it
            QTimer.singleShot(0, self, self._on_first_painted)

    def _on_first_painted(self) -> None:
        # the window's final size (restored geometry, docks) is known only now: frame the start
        self.view.show_start()
        self.first_painted.emit()
        if self._load_torch:
            self.training.load_torch()

    def ask_stop_training(self):
        return QMessageBox.question(
            self,
            "Training is running",
            "Stop the training run and close?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        )

    def closeEvent(self, event) -> None:
        if self.training.running and self.ask_stop_training() != QMessageBox.StandardButton.Yes:
            event.ignore()
            return
        if not self.files.maybe_save():
            event.ignore()
            return
        self.training.stop()
        settings = QSettings()
        settings.setValue("geometry", self.saveGeometry())
        settings.setValue("windowState", self.compact.state_to_save())
        self.recovery.finish()
        self.imports.closed = True  # an import still running opens nothing once this has gone
        event.accept()


_open_windows: set[MainWindow] = set()  # windows opened from another: kept alive until closed


def open_window(graph: Graph, start_weights: StartWeights | None = None) -> MainWindow:
    """Open `graph` in a new window beside the others (an import's result)."""
    window = MainWindow(graph, None, start_weights=start_weights)
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    _open_windows.add(window)
    window.destroyed.connect(lambda *_: _open_windows.discard(window))
    window.show()
    return window
