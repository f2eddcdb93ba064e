"""The small immutable records a training run yields, and their JSON form.

A run reports only through these: the GUI buffers them for its plots, the CLI prints them,
and a run folder's `metrics.jsonl` holds one JSON line per warning, step, epoch, LR change
and finish.
No torch here, so a viewer of records can import them without the engine.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True, slots=True)
class RunStarted:
    device: str
    device_name: str
    dataset: str
    train_size: int
    test_size: int
    steps_per_epoch: int
    total_steps: int
    start_epoch: int
    classes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DataWarning:
    """Something about the data the run goes on without, such as images it could not read."""

    message: str  # what happened and what to do about it


@dataclass(frozen=True, slots=True)
class RunWarning:
    """Something else the run goes on without, such as TensorBoard logs when TensorBoard is
    not installed, or starting weights for blocks they do not fit."""

    message: str  # what happened and what to do about it


@dataclass(frozen=True, slots=True)
class DownloadProgress:
    dataset: str
    done: int  # bytes of the current file
    total: int | None  # None when the server does not say


@dataclass(frozen=True, slots=True)
class StepMetrics:
    step: int  # steps done since the start of the run (1-based)
    epoch: int  # 0-based epoch the step belongs to
    loss: float  # mean training loss over the steps since the last record
    lr: float
    samples_per_sec: float


@dataclass(frozen=True, slots=True)
class LrChanged:
    step: int
    lr: float


@dataclass(frozen=True, slots=True)
class EpochMetrics:
    epoch: int  # 1-based count of epochs done
    step: int
    train_loss: float
    train_accuracy: float
    test_loss: float
    test_accuracy: float
    samples_per_sec: float
    elapsed: float  # seconds since the run (or its resumption) started
    eta: float  # seconds left, estimated from the epochs so far
    confusion: tuple[tuple[int, ...], ...]  # [true class][predicted class] on the test set
    per_class_accuracy: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class LayerHealth:
    """Gradient norm of each block's parameters after a training step (about once a second):
    near zero means the block has stopped learning; huge means it is about to blow up."""

    step: int
    grad_norms: tuple[tuple[str, float], ...]  # (node id, L2 norm of its parameters' gradients)


@dataclass(frozen=True, slots=True)
class Paused:
    step: int


@dataclass(frozen=True, slots=True)
class Resumed:
    step: int


@dataclass(frozen=True, slots=True)
class Checkpointed:
    epoch: int
    path: str


@dataclass(frozen=True, slots=True)
class RunFinished:
    status: str  # "completed", "stopped" or "failed"
    message: str
    epochs_done: int
    test_accuracy: float | None
    run_dir: str | None


Record = (
    RunStarted
    | DataWarning
    | RunWarning
    | DownloadProgress
    | StepMetrics
    | LrChanged
    | EpochMetrics
    | LayerHealth
    | Paused
    | Resumed
    | Checkpointed
    | RunFinished
)

# what a run folder's metrics.jsonl keeps: enough to redraw the curves, not the chatter
LOGGED = (DataWarning, RunWarning, StepMetrics, LrChanged, EpochMetrics, RunFinished)


def record_fields(record: Record) -> dict[str, Any]:
    """The record's fields by name, shallow (tuples stay tuples, which JSON writes as lists)."""
    return {f.name: getattr(record, f.name) for f in fields(record)}


def json_line(record: Record) -> str:
    """One line of `metrics.jsonl`: the record's type name and its fields."""
    return json.dumps({"type": type(record).__name__, **record_fields(record)})
