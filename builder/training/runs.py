"""Reading run folders back: what a run trained, how it went and its weights.

A run folder is written by `Trainer` (see `RunFolder`): ``graph.json``, ``config.json``,
``run.json``, ``metrics.jsonl``, ``checkpoints/`` and, once finished, ``weights.safetensors``.
Everything here reads what is there and tolerates what a crash leaves (a cut-off last
line, no weights yet); a folder that is not a run gives a `RunFolderError` saying so.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..document import load_graph
from ..errors import ConvCanvasError, GraphFormatError
from ..graph import Graph
from .config import TrainConfig, config_from_saved

FINISHED = ("completed", "stopped", "failed")


class RunFolderError(ConvCanvasError):
    """A run folder cannot be written (a full disk, no permission) or read; says which folder
    and what to do."""


@dataclass
class RunSummary:
    """One run as the Runs panel lists it."""

    path: Path
    started: str  # ISO date and time, "" if unknown
    config: TrainConfig
    status: str  # "completed", "stopped", "failed", or "unfinished" (still going, or the app died)
    message: str
    epochs_done: int = 0
    best_accuracy: float | None = None
    final_accuracy: float | None = None
    duration: float = 0.0  # seconds of training
    history: list[dict[str, Any]] = field(default_factory=list)  # each epoch's metrics
    has_weights: bool = False

    @property
    def name(self) -> str:
        return self.path.name


def read_run(path: str | os.PathLike) -> RunSummary:
    """The summary of the run in folder `path`."""
    path = Path(path)
    config_file = path / "config.json"
    try:
        raw = json.loads(config_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunFolderError(f"{path} is not a run folder (it has no config.json)") from None
    except (OSError, ValueError) as e:
        raise RunFolderError(f"cannot read {config_file}: {e}") from None
    if not isinstance(raw, dict):
        raise RunFolderError(f"{config_file} does not hold training settings")
    config, notes = config_from_saved(raw)  # a value that cannot be used shows as its default
    message = "no result recorded" + (f" ({'; '.join(notes)})" if notes else "")
    summary = RunSummary(path, _started(path), config, "unfinished", message)
    for record in _records(path / "metrics.jsonl"):
        kind = record.get("type")
        if kind == "EpochMetrics" and _is_epoch(record):
            summary.history.append(record)
            summary.epochs_done = record["epoch"]
            summary.final_accuracy = float(record["test_accuracy"])
            summary.duration = float(record["elapsed"]) if _is_number(record.get("elapsed")) else 0.0
        elif kind == "RunFinished" and record.get("status") in FINISHED:
            summary.status = str(record["status"])
            summary.message = str(record.get("message", ""))
    accuracies = [float(r["test_accuracy"]) for r in summary.history]
    summary.best_accuracy = max(accuracies) if accuracies else None
    summary.has_weights = (path / "weights.safetensors").is_file() or (
        path / "checkpoints" / "last.pt"
    ).is_file()
    return summary


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value


def _is_epoch(record: dict[str, Any]) -> bool:
    """An epoch record with what the list and the curves read; anything else is skipped like
    a line cut off by a crash."""
    epoch = record.get("epoch")
    return isinstance(epoch, int) and not isinstance(epoch, bool) and _is_number(record.get("test_accuracy"))


def _started(path: Path) -> str:
    try:
        return str(json.loads((path / "run.json").read_text(encoding="utf-8")).get("started", ""))
    except (OSError, ValueError, AttributeError):
        try:  # an older run: the time its settings were written
            return time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime((path / "config.json").stat().st_mtime))
        except OSError:
            return ""


def _records(path: Path) -> list[dict[str, Any]]:
    """The records of a metrics log; a line cut off by a crash is skipped."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return []
    out = []
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            out.append(record)
    return out


def run_graph(path: str | os.PathLike) -> Graph:
    """The network the run trained."""
    try:
        return load_graph(Path(path) / "graph.json")
    except (OSError, GraphFormatError) as e:
        raise RunFolderError(f"the run {Path(path).name} has no readable graph.json: {e}") from None


def run_weights(path: str | os.PathLike) -> dict:
    """The run's trained weights: its final weights, else its last checkpoint's (a run that
    was stopped or crashed still has those)."""
    from ..interop.weights import load_weights

    path = Path(path)
    for candidate in (path / "weights.safetensors", path / "checkpoints" / "last.pt"):
        if candidate.is_file():
            return load_weights(candidate)
    raise RunFolderError(f"the run {path.name} has no weights yet: it stopped before its first epoch ended")


def new_run_folder(project: Path | None, network_name: str, runs_home: Path) -> Path:
    """A fresh folder for a run: ``<project>_runs/<date-time>`` beside a saved project, else
    ``<runs_home>/<network>-<date-time>`` (the per-user data folder for an unsaved network)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    if project is not None:
        base, name = project.parent / f"{project.stem}_runs", stamp
    else:
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in network_name)[:40] or "network"
        base, name = runs_home, f"{safe}-{stamp}"
    folder, n = base / name, 1
    while folder.exists():
        n += 1
        folder = base / f"{name}-{n}"
    return folder


def default_runs_home() -> Path:
    """Where runs of networks that were never saved go."""
    import platformdirs

    return Path(platformdirs.user_data_dir("convcanvas", appauthor=False)) / "runs"
