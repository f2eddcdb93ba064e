"""What a training run is asked to do: `TrainConfig` and the choices it accepts.

No torch here: the app's Training panel and `convcanvas train --help` read these settings
without loading the engine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULES = ("constant", "step", "cosine", "onecycle")


@dataclass(frozen=True)
class TrainConfig:
    """Settings of one run; saved as `config.json` next to its results."""

    dataset: str = "mnist-mini"
    epochs: int = 5
    batch_size: int = 64
    lr: float = 1e-3
    optimizer: str = "adam"
    momentum: float = 0.9  # SGD only
    nesterov: bool = False  # SGD only
    weight_decay: float = 0.0
    schedule: str = "constant"
    label_smoothing: float = 0.0
    seed: int = 0
    device: str = "auto"
    data_dir: str | None = None
    report_interval: float = 0.1  # seconds between step records
    eval_batch_size: int = 1000

    def problems(self) -> list[str]:
        """What is wrong with these settings, one sentence each; empty when they can be trained."""
        out = []
        if self.optimizer not in OPTIMIZERS:
            out.append(f"optimizer {self.optimizer!r}: use one of {', '.join(OPTIMIZERS)}")
        if self.schedule not in SCHEDULES:
            out.append(f"schedule {self.schedule!r}: use one of {', '.join(SCHEDULES)}")
        if self.epochs < 1:
            out.append(f"epochs must be at least 1, got {self.epochs}")
        if self.batch_size < 1:
            out.append(f"batch size must be at least 1, got {self.batch_size}")
        if not (0 < self.lr < 10) or not math.isfinite(self.lr):
            out.append(f"learning rate must be between 0 and 10, got {self.lr}")
        if not 0 <= self.label_smoothing < 1:
            out.append(f"label smoothing must be in [0, 1), got {self.label_smoothing}")
        return out
