"""The training side of the main window: loads torch after the first paint, then builds the
training panel, session and plots into their docks and links them to the canvas.

Nothing here imports torch at module level; the modules that do are imported in
`_on_torch_loaded`, so the window can show first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QScrollArea

from ..panels.training_placeholder import TrainingPlaceholder
from ..training.torch_loader import TorchLoader

if TYPE_CHECKING:
    from ..panels.runs_panel import RunsPanel
    from ..panels.training_panel import TrainingPanel
    from ..training.training_session import TrainingSession
    from ..training.training_views import TrainingViews
    from .main_window import MainWindow

LOADING = "Loading PyTorch…"


class TrainingWiring(QObject):
    """Owns the Training and Training plots docks' contents and the canvas's health strips."""

    ready = Signal()  # torch has loaded and the training widgets are built

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.loader = TorchLoader(self)
        self.session: TrainingSession | None = None
        self.panel: TrainingPanel | None = None
        self.views: TrainingViews | None = None
        self.placeholder = TrainingPlaceholder()
        self.panel_scroll = QScrollArea()
        self.panel_scroll.setWidgetResizable(True)
        self.panel_scroll.setWidget(self.placeholder)  # a long form scrolls rather than grow the window
        self.plots_placeholder = QLabel(LOADING, alignment=Qt.AlignmentFlag.AlignCenter)
        self.runs_placeholder = QLabel(LOADING, alignment=Qt.AlignmentFlag.AlignCenter)
        self.runs_panel: RunsPanel | None = None
        self.note = QLabel(LOADING)  # in the status bar while torch loads
        self.note.setToolTip("Editing works now; Train and Export wait for PyTorch.")
        self.health_shown = True
        self._last_health: dict[str, float] | None = None
        self.loader.loaded.connect(self._on_torch_loaded)
        self.loader.failed.connect(self._on_torch_failed)

    @property
    def is_ready(self) -> bool:
        return self.panel is not None

    @property
    def train_button(self) -> QPushButton:
        return (self.panel or self.placeholder).train_button

    @property
    def running(self) -> bool:
        return self.session is not None and self.session.running

    def load_torch(self) -> None:
        self.loader.start()

    def stop(self) -> None:
        """Stop a run and wait (about a second at most) for its thread. The worker touches no Qt
        object, so one still loading its dataset may outlive the window (see `TrainingSession`)."""
        if self.session is not None:
            self.session.stop(wait=True)

    def _on_torch_loaded(self) -> None:
        # these import torch through builder's training names: only now may they load
        from ..panels.runs_panel import RunsPanel
        from ..panels.training_panel import TrainingPanel
        from ..training.training_session import TrainingSession
        from ..training.training_views import TrainingViews

        window = self.window
        self.session = TrainingSession(window)
        self.session.start_weights = self._start_weights
        self.session.run_folder = window.runs.new_folder
        self.panel = TrainingPanel(self.window.controller, self.session)
        self.views = TrainingViews(self.session)
        self.panel_scroll.setWidget(self.panel)  # the scroll area deletes the placeholder
        plots = self.window.docks["Training plots"]
        plots.setWidget(self.views)
        self.plots_placeholder.deleteLater()
        self.note.hide()
        self.panel.run_started.connect(self._on_run_started)
        self.views.health_reported.connect(self._on_health_reported)
        self.runs_panel = RunsPanel(window.runs.folders)
        window.docks["Runs"].setWidget(self.runs_panel)
        self.runs_placeholder.deleteLater()
        self.runs_panel.run_chosen.connect(self.use_run)
        window.runs.changed.connect(lambda: self.runs_panel.refresh())
        self.session.records_arrived.connect(self._on_records)
        self.session.finished.connect(self._on_run_finished)
        self.restore_settings()
        self.show_start_weights()
        memory = window.memory.update  # the estimate follows the panel's batch and optimizer
        panel = self.panel
        panel.batch.valueChanged.connect(memory)
        panel.optimizer.currentTextChanged.connect(memory)
        panel.momentum.valueChanged.connect(memory)
        panel.device.currentIndexChanged.connect(memory)
        memory()
        self.ready.emit()

    def _on_torch_failed(self, why: str) -> None:
        self.placeholder.show_failure(why)
        self.plots_placeholder.setText("PyTorch could not be loaded.")
        self.note.setText("PyTorch could not be loaded: training and export are unavailable")
        self.note.setToolTip(why)

    # -- links to the canvas --------------------------------------------------------------

    def select_node(self, node_id: str | None) -> None:
        if self.views is not None:
            self.views.inside.select_block(node_id)

    def show_health(self, on: bool) -> None:
        """Colour blocks by gradient norm while training (the View menu's toggle)."""
        self.health_shown = on
        self.window.scene.set_health(self._last_health if on else None)

    def _on_health_reported(self, grad_norms: dict) -> None:
        self._last_health = grad_norms
        if self.health_shown:
            self.window.scene.set_health(grad_norms)

    # -- runs and weights -----------------------------------------------------------------

    def _start_weights(self):
        """What the next run starts from: the window's weights if the panel says so."""
        weights = self.window.start_weights
        return weights if weights is not None and self.panel.start_from.isChecked() else None

    def show_start_weights(self) -> None:
        """Offer the window's weights as the next run's start: imported ones by default (that is
        transfer learning), a run's only when asked (Train again means train afresh)."""
        if self.panel is None:
            return
        weights = self.window.start_weights
        self.panel.offer_start_weights(
            weights.source if weights else None, checked=weights is not None and weights.run is None
        )

    def restore_settings(self) -> None:
        """Show the project's saved training settings in the panel, saying what was not usable."""
        if self.panel is None:
            return
        from builder import config_from_saved

        config, notes = config_from_saved(self.window.controller.graph.training)
        self.panel.set_config(config)
        if notes:
            self.window.statusBar().showMessage("Training settings: " + "; ".join(notes), 15_000)

    def use_run(self, folder) -> None:
        """The Runs panel selected a run (or none): its weights become the canvas's."""
        runs = self.window.runs
        if folder == runs.selected:
            return
        runs.use_weights_of(folder)
        self.show_start_weights()
        if folder is None or self.views is None:
            return
        if self.window.start_weights is None:
            self.window.statusBar().showMessage(
                f"Run {folder.name} has no weights: it ended before its first epoch", 10_000
            )
            return
        from builder import ConvCanvasError, load_dataset, read_run, run_graph

        try:
            run = read_run(folder)
            dataset = self.views.inside.dataset
            if dataset is None or dataset.name != run.config.dataset:
                dataset = load_dataset(run.config.dataset, run.config.data_dir)
            self.views.inside.attach(run_graph(folder), dataset)
            self.views.inside.load_weights(self.window.start_weights.state())
        except (OSError, ConvCanvasError) as e:
            self.window.statusBar().showMessage(f"Cannot show run {folder.name}: {e}", 10_000)
            return
        self.window.statusBar().showMessage(
            f"Using the weights of run {folder.name}: feature maps, prediction and export use them", 8000
        )

    def _on_records(self, records: list) -> None:
        from builder import EpochMetrics

        if self.runs_panel is not None and any(isinstance(r, EpochMetrics) for r in records):
            self.runs_panel.refresh()

    def _on_run_finished(self, _record) -> None:
        """Select the run that has just ended: its weights are what the user trained for."""
        if self.runs_panel is not None and self.session.current_run_dir is not None:
            self.runs_panel.refresh(keep=self.session.current_run_dir)

    def _on_run_started(self, config) -> None:
        if self.session.current_run_dir is not None:
            self.window.runs.record(self.session.current_run_dir)
        self._last_health = None
        self.window.scene.set_health(None)
        self.views.start_run(config)
        dock = self.window.docks["Training plots"]
        dock.show()
        dock.raise_()
        self.window.resizeDocks([dock], [320], Qt.Orientation.Vertical)
