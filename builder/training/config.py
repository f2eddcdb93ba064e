"""What a training run is asked to do: `TrainConfig` and the choices it accepts.

No torch here: the app's Training panel and `convcanvas train --help` read these settings
without loading the engine.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace

OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULES = ("constant", "step", "cosine", "onecycle")
DEVICE_NAMES = "auto, cpu, cuda, cuda:N or mps"
MAX_EPOCHS = 100_000
MAX_BATCH = 1_000_000
MAX_SEED = 2**63 - 1  # torch seeds are 64-bit; the exported script adds the process rank
_DEVICE = re.compile(r"auto|cpu|mps|cuda(:\d{1,4})?")


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
    tensorboard: bool = True  # a run folder also gets TensorBoard event files, if TensorBoard is installed

    def problems(self, devices: Sequence[str] | None = None) -> list[str]:
        """What is wrong with these settings, one sentence each saying what to use instead;
        empty when they can be trained. `devices` (such as ``["cuda:0", "cpu"]``, from
        `available_devices`) also checks that the chosen device is on this machine."""
        out = []
        if not isinstance(self.dataset, str) or not self.dataset:
            out.append(f"dataset {self.dataset!r}: give a dataset name or an image folder")
        if not isinstance(self.nesterov, bool):
            out.append(f"nesterov {self.nesterov!r}: use true or false")
        if self.data_dir is not None and not isinstance(self.data_dir, str):
            out.append(f"data folder {self.data_dir!r}: give a folder path")
        if self.optimizer not in OPTIMIZERS:
            out.append(f"optimizer {self.optimizer!r}: use one of {', '.join(OPTIMIZERS)}")
        if self.schedule not in SCHEDULES:
            out.append(f"schedule {self.schedule!r}: use one of {', '.join(SCHEDULES)}")
        out += _whole("epochs", self.epochs, 1, MAX_EPOCHS)
        out += _whole("batch size", self.batch_size, 1, MAX_BATCH)
        out += _whole("evaluation batch size", self.eval_batch_size, 1, MAX_BATCH)
        out += _whole("seed", self.seed, 0, MAX_SEED)
        out += _real(
            "learning rate", self.lr, "above 0 and below 10 (1e-3 suits Adam, 0.05 SGD)", 0, 10, low_open=True
        )
        out += _real("momentum", self.momentum, "from 0 up to but not including 1 (0.9 is usual)", 0, 1)
        out += _real(
            "weight decay", self.weight_decay, "from 0 to 1 (1e-4 to 0.1 is usual)", 0, 1, high_closed=True
        )
        out += _real(
            "label smoothing", self.label_smoothing, "from 0 up to but not including 1 (0.1 is usual)", 0, 1
        )
        out += _real(
            "report interval", self.report_interval, "from 0 to 3600 seconds", 0, 3600, high_closed=True
        )
        out += _device_problems(self.device, devices)
        if not isinstance(self.tensorboard, bool):
            out.append(f"tensorboard must be true or false, got {self.tensorboard!r}")
        return out


def config_from_saved(saved: dict) -> tuple[TrainConfig, list[str]]:
    """The settings a project file saved, and what could not be used: an unknown setting is
    ignored and a bad value falls back to its default, each with a sentence saying so."""
    defaults = TrainConfig()
    known = {f.name for f in fields(TrainConfig)}
    notes = [f"ignored the unknown training setting {k!r}" for k in saved if k not in known]
    values = {k: v for k, v in saved.items() if k in known}
    for name in list(values):
        trial = replace(defaults, **{name: values[name]})
        wrong = trial.problems()
        if wrong:
            notes.append(f"{wrong[0]} (the default {getattr(defaults, name)!r} is used)")
            del values[name]
    return replace(defaults, **values), notes


def _whole(name: str, value: object, low: int, high: int) -> list[str]:
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
        return []
    return [f"{name} must be a whole number from {low:,} to {high:,}, got {value!r}"]


def _real(
    name: str,
    value: object,
    allowed: str,
    low: float,
    high: float,
    low_open: bool = False,
    high_closed: bool = False,
) -> list[str]:
    """[] if `value` is a finite number in the range; else a sentence saying what is allowed."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        above = value > low if low_open else value >= low
        below = value <= high if high_closed else value < high
        if above and below:
            return []
    return [f"{name} must be {allowed}, got {value!r}"]


def _device_problems(device: object, devices: Sequence[str] | None) -> list[str]:
    if not isinstance(device, str) or not _DEVICE.fullmatch(device):
        return [f"device {device!r} cannot train: use {DEVICE_NAMES}"]
    if devices is None or device == "auto":
        return []
    here = set(devices)
    if device == "cuda" and any(d.startswith("cuda:") for d in here):
        return []
    if device in here:
        return []
    return [f"device {device} is not available on this machine: use auto or one of {', '.join(devices)}"]
