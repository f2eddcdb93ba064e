"""What a run shows, in tabs: curves, confusion matrix, and filters, feature maps and a
prediction pad. Follows a `TrainingSession`.

Imports torch: it is built only once torch has loaded (see `torch_loader`).
"""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QTabWidget

from builder import EpochMetrics, LayerHealth, RunFinished, RunStarted

from .confusion_view import ConfusionView
from .curves_view import CurvesView
from .inside_view import InsideView
from .training_session import TrainingSession

SNAPSHOT_MS = 700  # how often filters and feature maps refresh during a run


class TrainingViews(QTabWidget):
    """All training views; follows a TrainingSession."""

    health_reported = Signal(dict)  # node id -> gradient norm, about once a second of a run

    def __init__(self, session: TrainingSession, parent=None):
        super().__init__(parent)
        self.session = session
        self.curves = CurvesView()
        self.confusion = ConfusionView()
        self.inside = InsideView()
        self.addTab(self.curves, "Curves")
        self.addTab(self.confusion, "Confusion matrix")
        self.addTab(self.inside, "Filters, feature maps, prediction")
        self.classes: tuple = ()
        self.snapshot_timer = QTimer(self)
        self.snapshot_timer.setInterval(SNAPSHOT_MS)
        self.snapshot_timer.timeout.connect(session.request_snapshot)
        session.records_arrived.connect(self.on_records)
        session.snapshot_arrived.connect(self.inside.load_weights)
        session.finished.connect(self._on_finished)

    def start_run(self, config) -> None:
        self.curves.start_run(
            f"{config.optimizer} lr {config.lr:g}, batch {config.batch_size}, {config.dataset}"
        )
        self.snapshot_timer.start()

    def on_records(self, records: list) -> None:
        self.curves.add(records)
        for r in records:
            if isinstance(r, RunStarted):
                self.classes = r.classes
                trainer = self.session.trainer
                if trainer is not None:
                    self.inside.attach(trainer.graph, trainer.dataset)
            elif isinstance(r, EpochMetrics):
                self.confusion.show_matrix(r.confusion, self.classes)
            elif isinstance(r, LayerHealth):
                self.health_reported.emit(dict(r.grad_norms))

    def _on_finished(self, record: RunFinished) -> None:
        self.snapshot_timer.stop()
        trainer = self.session.trainer
        if trainer is not None and trainer.model is not None and self.inside.model is not None:
            # the worker has ended, so its model can be read directly
            self.inside.load_weights({k: v.detach().cpu() for k, v in trainer.model.state_dict().items()})
