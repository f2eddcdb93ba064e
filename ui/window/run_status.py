"""The run's one-line status in the status bar: epoch, step, loss, accuracy, ETA, paused.

It reads the session's records, so it says the same as the Training panel, but it sits in the
status bar where no dock, tab or scroll position can hide it.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from builder import EpochMetrics, LrChanged, Paused, Resumed, RunFinished, RunStarted, StepMetrics


class RunStatusLine:
    """Writes a compact line about the current run into `label`."""

    def __init__(self, label: QLabel, session):
        self.label = label
        self.session = session
        self.total_steps = 1
        self.epochs = 1
        self.step: StepMetrics | None = None
        self.accuracy: float | None = None
        self.eta: float | None = None
        self.paused = False
        self.lr_note = ""
        session.records_arrived.connect(self.add)
        session.finished.connect(self._on_finished)

    def start(self, config) -> None:
        self.epochs = config.epochs
        self.step, self.accuracy, self.eta, self.paused, self.lr_note = None, None, None, False, ""
        self.label.setText("Training: loading the data…")
        self.label.show()

    def add(self, records: list) -> None:
        for r in records:
            if isinstance(r, RunStarted):
                self.total_steps = max(1, r.total_steps)
                self.epochs = self.total_steps // max(1, r.steps_per_epoch)
            elif isinstance(r, StepMetrics):
                self.step = r
            elif isinstance(r, EpochMetrics):
                self.accuracy, self.eta = r.test_accuracy, r.eta
            elif isinstance(r, Paused):
                self.paused = True
            elif isinstance(r, Resumed):
                self.paused = False
            elif isinstance(r, LrChanged):
                self.lr_note = f"lr set to {r.lr:g} at step {r.step:,}"
        if self.step is not None:
            self.label.setText(self.text())

    def text(self) -> str:
        s = self.step
        assert s is not None
        parts = [
            f"epoch {s.epoch + 1}/{self.epochs}",
            f"step {s.step:,}/{self.total_steps:,}",
            f"loss {s.loss:.3f}",
        ]
        if self.accuracy is not None:
            parts.append(f"test acc {self.accuracy:.1%}")
        if self.eta is not None and self.eta > 0:
            parts.append(f"ETA {self.eta:,.0f} s")
        if self.lr_note:
            parts.append(self.lr_note)
        if self.paused:
            parts.append("paused")
        return "Training: " + "  ·  ".join(parts)

    def _on_finished(self, record: RunFinished) -> None:
        accuracy = f", test acc {record.test_accuracy:.1%}" if record.test_accuracy is not None else ""
        self.label.setText(f"Run {record.status}{accuracy}")
