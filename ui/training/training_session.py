"""Runs the training engine on a worker thread without a signal per step.

The worker is a plain Python thread iterating the engine's generator and appending its
records to a deque; a ~30 Hz timer on the GUI thread drains the deque and emits one batch.
No Qt object lives in or is touched by the worker (it holds only its `_Run`: the deque, the
`Control` and the trainer), so no Qt object can be destroyed under it. Stopping is
`control.stop()` then a short `join()`: the engine checks the flag between steps, and the
worker checks it after loading the data. Loading a dataset cannot be interrupted halfway (a
download can, at its next chunk); the worker is a daemon thread, so closing the window does
not wait for such a load: it finishes on its own, reports to nobody and ends.

Imports torch (through builder's training names): import it once torch has loaded (see
`torch_loader`).
"""

from __future__ import annotations

import gc
import threading
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from builder import Control, ConvCanvasError, DownloadProgress, RunFinished, TrainConfig, Trainer

POLL_MS = 33  # ~30 Hz
STOP_WAIT_S = 1.0  # how long closing waits for a run to stop; a dataset still loading is left behind


class _Stopped(Exception):
    """Raised from the download callback to abandon a download once the run is stopped."""


@dataclass
class _Run:
    """What one worker thread shares with the GUI thread: plain Python objects only."""

    control: Control = field(default_factory=Control)
    buffer: deque = field(default_factory=deque)
    trainer: Trainer | None = None


class TrainingSession(QObject):
    """One training run at a time, on a worker thread; its records reach the GUI in batches."""

    records_arrived = Signal(list)  # records since the last poll, in order
    snapshot_arrived = Signal(dict)  # weights copied by the run between two steps
    finished = Signal(object)  # RunFinished

    def __init__(self, parent=None):
        super().__init__(parent)
        self._run: _Run | None = None
        self._thread: threading.Thread | None = None
        self.poll_timer = QTimer(self)  # each tick emits at most one `records_arrived`
        self.poll_timer.setInterval(POLL_MS)
        self.poll_timer.timeout.connect(self._poll)
        # the weights a run starts from (an object with `state()` and `source`), or None for
        # fresh ones; asked at each start, so the window can change them between runs
        self.start_weights: Callable[[], Any] = lambda: None
        # the folder each run writes (settings, metrics, checkpoints, weights), asked at each start
        self.run_folder: Callable[[], Path | None] = lambda: None
        self.current_run_dir: Path | None = None

    @property
    def control(self) -> Control | None:
        return self._run.control if self._run else None

    @property
    def trainer(self) -> Trainer | None:
        return self._run.trainer if self._run else None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, graph, config: TrainConfig, dataset=None) -> None:
        """Train a copy of `graph` on a worker thread. Loading the data happens there too,
        so a slow disk or a download never freezes the window."""
        if self.running:
            raise RuntimeError("a run is already in progress")
        # the last run may have ended after the last poll: deliver its final records first
        self._drain()
        # Python collects reference cycles on whichever thread happens to allocate; Qt objects
        # in such garbage must die on this (GUI) thread, not on the worker, so collect now.
        gc.collect()
        self._run = _Run()
        self.current_run_dir = self.run_folder()
        self._thread = threading.Thread(
            target=_work,
            args=(self._run, graph.copy(), config, dataset, self.start_weights(), self.current_run_dir),
            name="convcanvas-training",
            daemon=True,
        )
        self._thread.start()
        self.poll_timer.start()

    def _poll(self) -> None:
        records = []
        run = self._run
        while run is not None and run.buffer:
            records.append(run.buffer.popleft())
        if records:
            self.records_arrived.emit(records)
        snapshot = run.control.take_snapshot() if run else None
        if snapshot is not None:
            self.snapshot_arrived.emit(snapshot)
        done = next((r for r in records if isinstance(r, RunFinished)), None)
        if done is not None or (not self.running and self._thread is not None and not (run and run.buffer)):
            self.poll_timer.stop()
            if self._thread is not None:
                self._thread.join()  # it has ended, or is about to: its last act was the append
                self._thread = None
            if done is not None:
                self.finished.emit(done)

    def _drain(self) -> None:
        """Deliver what a finished worker left in the buffer, up to its `finished`."""
        while self._thread is not None and not self.running:
            self._poll()

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
        """Stop the run; with `wait`, wait up to STOP_WAIT_S for the worker to end. A worker
        still loading its dataset then is left to finish on its own (see the module notes)."""
        if self._run is not None:
            self._run.control.stop()
        if not wait or self._thread is None:
            return
        self._thread.join(STOP_WAIT_S)
        if self.running:
            self.poll_timer.stop()  # nothing more is read from it: the window may go
            self._thread = None
            return
        self._drain()


def _work(run: _Run, graph, config: TrainConfig, dataset, weights, run_dir: Path | None) -> None:
    """The worker thread: build the trainer (which loads the data), then iterate its run."""
    control, buffer = run.control, run.buffer

    def on_download(progress: DownloadProgress) -> None:
        if control.stopped:
            raise _Stopped
        buffer.append(progress)

    try:
        run.trainer = Trainer(
            graph,
            config,
            control=control,
            dataset=dataset,
            run_dir=run_dir,
            on_download=on_download,
            # reading a weights file happens here, off the window's thread; a bad one fails the run
            initial_weights=weights.state() if weights is not None else None,
            initial_weights_source=weights.source if weights is not None else "",
        )
        if control.stopped:  # closed or stopped while the data loaded: do not start training
            buffer.append(RunFinished("stopped", "stopped before training started", 0, None, None))
            return
        for record in run.trainer.run():
            buffer.append(record)
    except _Stopped:
        buffer.append(RunFinished("stopped", "stopped while downloading the dataset", 0, None, None))
    except ConvCanvasError as e:  # bad data, a mismatch: the message says what to do
        buffer.append(RunFinished("failed", str(e), 0, None, None))
    except Exception as e:  # never let a run take the app down: report it as a failure
        detail = traceback.format_exception_only(type(e), e)[-1].strip()
        buffer.append(RunFinished("failed", f"training stopped with an error: {detail}", 0, None, None))
