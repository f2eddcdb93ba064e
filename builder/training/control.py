"""`Control`: steering a run from another thread (pause, resume, stop, learning rate, weights).

Requests are flags and slots that the engine reads between two steps, so a request never
lands in the middle of an optimizer update. The methods with a leading underscore are the
engine's side of that exchange. No torch import: the GUI makes a `Control` before any run.
"""

from __future__ import annotations

import math
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from torch import nn


class Control:
    """Thread-safe steering of a run from another thread (for example a GUI)."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._unpaused = threading.Event()
        self._unpaused.set()
        self._lock = threading.Lock()
        self._new_lr: float | None = None
        self._snapshot_wanted = threading.Event()
        self._snapshot: dict[str, Any] | None = None

    def stop(self) -> None:
        """Stop the run before its next step; it still finishes with a `RunFinished`."""
        self._stop.set()
        self._unpaused.set()  # a paused run must wake up to stop

    def pause(self) -> None:
        """Hold the run before its next step (no effect once it is stopping)."""
        if not self._stop.is_set():
            self._unpaused.clear()

    def resume(self) -> None:
        """Let a paused run go on."""
        self._unpaused.set()

    def set_lr(self, lr: float) -> None:
        """Use learning rate `lr` from the next step; the schedule goes on from there."""
        if not (0 < lr < 10) or not math.isfinite(lr):
            raise ValueError(f"learning rate must be between 0 and 10, got {lr}")
        with self._lock:
            self._new_lr = lr

    def request_snapshot(self) -> None:
        """Ask for a copy of the weights; the run makes it between two steps (no torn reads)."""
        self._snapshot_wanted.set()

    def take_snapshot(self) -> dict[str, Any] | None:
        """The latest copy of the weights (CPU tensors), once; None if none is new."""
        with self._lock:
            snapshot, self._snapshot = self._snapshot, None
        return snapshot

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        return not self._unpaused.is_set()

    # -- the engine's side ------------------------------------------------------------

    def _offer_snapshot(self, model: nn.Module) -> None:
        if self._snapshot_wanted.is_set():
            self._snapshot_wanted.clear()
            copy = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
            with self._lock:
                self._snapshot = copy

    def _take_lr(self) -> float | None:
        with self._lock:
            lr, self._new_lr = self._new_lr, None
        return lr

    def _wait_while_paused(self) -> None:
        while not self._unpaused.wait(0.05):
            pass
