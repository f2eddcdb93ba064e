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
        from ..panels.training_panel import TrainingPanel
        from ..training.training_session import TrainingSession
        from ..training.training_views import TrainingViews

        self.session = TrainingSession(self.window)
        self.session.start_weights = lambda: self.window.start_weights
        self.panel = TrainingPanel(self.window.controller, self.session)
        self.views = TrainingViews(self.session)
        self.panel_scroll.setWidget(self.panel)  # the scroll area deletes the placeholder
        plots = self.window.docks["Training plots"]
        plots.setWidget(self.views)
        self.plots_placeholder.deleteLater()
        self.note.hide()
        self.panel.run_started.connect(self._on_run_started)
        self.views.health_reported.connect(self._on_health_reported)
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

    def _on_run_started(self, config) -> None:
        self._last_health = None
        self.window.scene.set_health(None)
        self.views.start_run(config)
        dock = self.window.docks["Training plots"]
        dock.show()
        dock.raise_()
        self.window.resizeDocks([dock], [320], Qt.Orientation.Vertical)
