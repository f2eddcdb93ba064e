"""Runs the training engine on a worker thread without a signal per step.

The worker is a plain Python thread iterating the engine's generator and appending its
records to a deque; a ~30 Hz timer on the GUI thread drains the deque and emits one batch.
No Qt object lives in the worker, so no Qt object can be destroyed under it, and stopping
is `control.stop()` then `join()` (the engine checks the flag between steps).

Imports torch (through builder's training names): import it once torch has loaded (see
`torch_loader`).
"""

from __future__ import annotations

import gc
import threading
import traceback
from collections import deque

from PySide6.QtCore import QObject, QTimer, Signal

from builder import Control, ConvCanvasError, RunFinished, TrainConfig, Trainer

POLL_MS = 33  # ~30 Hz


class TrainingSession(QObject):
    """One training run at a time, on a worker thread; its records reach the GUI in batches."""

    records_arrived = Signal(list)  # records since the last poll, in order
    snapshot_arrived = Signal(dict)  # weights copied by the run between two steps
    finished = Signal(object)  # RunFinished

    def __init__(self, parent=None):
        super().__init__(parent)
        self.control: Control | None = None
        self.trainer: Trainer | None = None
        self._thread: threading.Thread | None = None
        self._buffer: deque = deque()
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, graph, config: TrainConfig, dataset=None) -> None:
        """Train a copy of `graph` on a worker thread. Loading the data happens there too,
        so a slow disk or a download never freezes the window."""
        if self.running:
            raise RuntimeError("a run is already in progress")
        # Python collects reference cycles on whichever thread happens to allocate; Qt objects
        # in such garbage must die on this (GUI) thread, not on the worker, so collect now.
        gc.collect()
        self.control = Control()
        self.trainer = None
        self._buffer.clear()
        args = (graph.copy(), config, dataset)
        self._thread = threading.Thread(target=self._work, args=args, name="convcanvas-training")
        self._thread.start()
        self._timer.start()

    def _work(self, graph, config, dataset) -> None:
        try:
            self.trainer = Trainer(
                graph, config, control=self.control, dataset=dataset, on_download=self._buffer.append
            )
            for record in self.trainer.run():
                self._buffer.append(record)
        except ConvCanvasError as e:  # bad data, a mismatch: the message says what to do
            self._buffer.append(RunFinished("failed", str(e), 0, None, None))
        except Exception as e:  # never let a run take the app down: report it as a failure
            detail = traceback.format_exception_only(type(e), e)[-1].strip()
            self._buffer.append(
                RunFinished("failed", f"training stopped with an error: {detail}", 0, None, None)
            )

    def _poll(self) -> None:
        records = []
        while self._buffer:
            records.append(self._buffer.popleft())
        if records:
            self.records_arrived.emit(records)
        snapshot = self.control.take_snapshot() if self.control else None
        if snapshot is not None:
            self.snapshot_arrived.emit(snapshot)
        done = next((r for r in records if isinstance(r, RunFinished)), None)
        if done is not None or (not self.running and not self._buffer and self._thread is not None):
            self._timer.stop()
            if self._thread is not None:
                self._thread.join()
                self._thread = None
            if done is not None:
                self.finished.emit(done)

    def pause(self) -> None:
        if self.control:
            self.control.pause()

    def resume(self) -> None:
        if self.control:
            self.control.resume()

    def set_lr(self, lr: float) -> None:
        if self.control:
            self.control.set_lr(lr)

    def request_snapshot(self) -> None:
        if self.control and self.running:
            self.control.request_snapshot()

    def stop(self, wait: bool = True) -> None:
        """Stop the run; with `wait`, block until the worker has ended (at most one step)."""
        if self.control:
            self.control.stop()
        if wait and self._thread is not None:
            self._thread.join()
            self._poll()
