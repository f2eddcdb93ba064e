"""Learning-rate schedules as pure arithmetic on the step count.

`schedule_factor` is copied verbatim into exported training scripts (by its source), so it
must stay one self-contained function that needs nothing but `math`.
"""

from __future__ import annotations

import math


def schedule_factor(schedule: str, step: int, total: int) -> float:
    """Multiplier of the base learning rate at `step` of `total` (0-based)."""
    t = min(step / max(1, total), 1.0)
    if schedule == "constant":
        return 1.0
    if schedule == "step":  # divide by 10 at 50% and 75% of the run
        return 1.0 if t < 0.5 else 0.1 if t < 0.75 else 0.01
    if schedule == "cosine":
        return 0.5 * (1 + math.cos(math.pi * t))
    if schedule == "onecycle":  # linear warm-up over 30%, then cosine annealing
        if t < 0.3:
            return 0.04 + 0.96 * t / 0.3
        return 1e-4 + (1 - 1e-4) * 0.5 * (1 + math.cos(math.pi * (t - 0.3) / 0.7))
    raise ValueError(f"unknown schedule {schedule!r}")
