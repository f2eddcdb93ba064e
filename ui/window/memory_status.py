"""The training-memory estimate in the status bar and under the Summary: what one training
step needs at the Training panel's batch size and optimizer, and a warning when that is more
than the chosen device has free."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QLabel

from builder import TrainConfig, memory_estimate

from .steady_label import SteadyLabel

if TYPE_CHECKING:
    from .main_window import MainWindow

WARNING_STYLE = "color: #b71c1c; font-weight: bold;"


def size_text(n: int) -> str:
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n} B"


class MemoryStatus(QObject):
    """Keeps `label` (status bar) and `detail` (under the Summary) up to date.

    The estimate walks the whole network (about 2 ms for ResNet-152), so after an edit it is
    made in the next pass of the event loop, once the canvas has shown the edit, and once for
    a burst of edits (a spin box held down)."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.label = SteadyLabel()
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.detail.setContentsMargins(6, 2, 6, 2)
        self.over = False  # the estimate exceeds the device's free memory
        self._styled = False  # no style sheet set yet
        self._pending = QTimer(self, singleShot=True, interval=0)
        self._pending.timeout.connect(self.refresh)

    def config(self) -> TrainConfig:
        panel = self.window.training.panel
        return panel.config() if panel is not None else TrainConfig()

    def update(self, *_args) -> None:
        """Estimate again soon (see the class's note)."""
        self._pending.start()

    @property
    def pending(self) -> bool:
        return self._pending.isActive()

    def refresh(self) -> None:
        """Estimate again now."""
        self._pending.stop()
        result = self.window.controller.result
        if not result.valid:
            self.label.setText("")
            self.detail.setText("Training memory: fix the network's errors to see the estimate.")
            self._set_warning(False)
            return
        config = self.config()
        device, free, where = self._device(config.device)
        estimate = memory_estimate(
            self.window.controller.graph,
            config.batch_size,
            config.optimizer,
            momentum=config.momentum,
            device=device,
            result=result,
        )
        head = f"training ≈ {size_text(estimate.total)} (batch {config.batch_size}, {config.optimizer})"
        parts = (
            f"weights {size_text(estimate.weights)}, gradients {size_text(estimate.gradients)}, "
            f"optimizer state {size_text(estimate.optimizer_state)}, "
            f"activations kept for backward {size_text(estimate.activations)}"
        )
        over = free is not None and estimate.total > free
        warning = ""
        if over:
            per_sample = max(1, estimate.activations // config.batch_size)
            fits = max(0, (free - (estimate.total - estimate.activations)) // per_sample)
            advice = f"a batch of {fits} fits" if fits >= 1 else "the weights alone do not fit"
            warning = f"more than the {size_text(free)} free on {where}: {advice}"
        self.label.setText(head + (" ⚠" if over else ""))
        self.label.setToolTip(parts + (f"\n{warning}" if warning else ""))
        self.detail.setText(
            f"Training memory at batch {config.batch_size} with {config.optimizer}: "
            f"{size_text(estimate.total)} ({parts})." + (f" Warning: {warning}." if warning else "")
        )
        self._set_warning(over)

    def _device(self, name: str) -> tuple[str, int | None, str]:
        """The device type the estimate is for, its free bytes (None before torch has loaded, or
        where unknown) and its name for messages."""
        if not self.window.training.is_ready:
            return ("cuda" if name.startswith("cuda") else "cpu"), None, name
        from builder import ConvCanvasError, free_memory, select_device

        try:
            device = select_device(name)
        except ConvCanvasError:
            return "cpu", None, name
        where = "the CPU (system memory)" if device.type == "cpu" else str(device)
        return device.type, free_memory(device), where

    def _set_warning(self, over: bool) -> None:
        if over == self.over and self._styled:
            return  # a style sheet set again re-polishes both labels: not on every edit
        self._styled = True
        self.over = over
        style = WARNING_STYLE if over else ""
        self.label.setStyleSheet(style)
        self.detail.setStyleSheet(style)
