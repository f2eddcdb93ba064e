"""What a run leaves on disk, and how a later run resumes from it.

A run folder holds `graph.json` and `config.json` (what was trained, how), `metrics.jsonl`
(one line per logged record), `checkpoints/epoch_NNN.pt` and `checkpoints/last.pt` after
every epoch, and `weights.safetensors` at the end. Every file is written atomically, so a
crash or a full disk never leaves half a checkpoint: the previous `last.pt` stays whole.

A checkpoint is a dict tagged ``"format": "convcanvas-checkpoint"`` with a version. It is
read with `weights_only=True` (a checkpoint from elsewhere cannot run code) and checked key
by key before anything is restored, so a file of another kind (weights, a state dict, an
exported script's checkpoint, a damaged file, a folder) is refused with a message that
says what it is and what to pass instead. Checkpoints from before the tag still resume.
"""

from __future__ import annotations

import errno
import io
import json
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..atomic import write_atomic
from ..document import dumps_graph, graph_from_dict
from ..errors import ConvCanvasError
from ..graph import Graph
from ..interop.weights import TORCH_LOAD_ERRORS
from .config import OPTIMIZERS, TrainConfig
from .records import LOGGED, Record, json_line
from .runs import RunFolderError

FORMAT = "convcanvas-checkpoint"
VERSION = 1
# what an exported training script (builder/interop/training_script.py) tags its checkpoints
SCRIPT_FORMAT = "convcanvas-script-checkpoint"

_START_AGAIN = (
    "resume from an earlier checkpoints/epoch_NNN.pt of the same run, or start again without --resume"
)


class CheckpointError(ConvCanvasError):
    """A file given to resume from is not a ConvCanvas checkpoint, or is damaged."""


@dataclass
class TrainingState:
    """What a checkpoint restores besides the model and optimizer."""

    epoch: int = 0  # epochs completed
    step: int = 0
    base_lr: float = 0.0
    history: list[dict[str, Any]] = field(default_factory=list)  # fields of each EpochMetrics


class RunFolder:
    """The folder of one run: its settings, metrics log, checkpoints and final weights.

    A write that fails raises a `RunFolderError` naming the folder and the fix; files
    written before it (the last good checkpoint above all) are left as they were.
    """

    def __init__(self, path: Path, graph: Graph, config: TrainConfig):
        self.path = path
        self.graph = graph
        self.config = config
        self.last_saved: int | None = None  # the epoch of the newest checkpoint this run wrote

    def prepare(self) -> None:
        """Create the folder and record what is trained and how, before the first step."""
        with self._writing():
            (self.path / "checkpoints").mkdir(parents=True, exist_ok=True)
            write_atomic(self.path / "graph.json", dumps_graph(self.graph))
            write_atomic(self.path / "config.json", json.dumps(asdict(self.config), indent=2) + "\n")
            started = {"started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "network": self.graph.name}
            write_atomic(self.path / "run.json", json.dumps(started, indent=2) + "\n")

    def log(self, record: Record) -> None:
        """Append `record` to `metrics.jsonl` if it is one worth keeping."""
        if isinstance(record, LOGGED):
            with self._writing(), open(self.path / "metrics.jsonl", "a") as f:
                f.write(json_line(record) + "\n")

    def save_checkpoint(
        self,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        generator: torch.Generator,
        state: TrainingState,
    ) -> Path:
        """Save everything needed to resume after `state.epoch` epochs; return its path."""
        blob = {
            "format": FORMAT,
            "version": VERSION,
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "epoch": state.epoch,
            "step": state.step,
            "base_lr": state.base_lr,
            "history": state.history,
            "generator": generator.get_state(),
            "torch_rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
            "graph": dumps_graph(self.graph),
            "config": asdict(self.config),
        }
        buffer = io.BytesIO()
        torch.save(blob, buffer)
        data = buffer.getvalue()
        path = self.path / "checkpoints" / f"epoch_{state.epoch:03d}.pt"
        with self._writing():
            write_atomic(path, data)
            write_atomic(self.path / "checkpoints" / "last.pt", data)
        self.last_saved = state.epoch
        return path

    def save_weights(self, model: nn.Module) -> None:
        """Save the trained weights where `load_weights` and the app look for them."""
        from ..interop.weights import save_weights

        with self._writing():
            save_weights(model, self.path / "weights.safetensors", self.graph)

    @contextmanager
    def _writing(self) -> Iterator[None]:
        try:
            yield
        except OSError as e:
            raise RunFolderError(self._failure(e)) from e

    def _failure(self, e: OSError) -> str:
        reason = e.strerror or type(e).__name__
        where = f" ({e.filename})" if e.filename else ""
        if e.errno == errno.ENOSPC:
            fix = "free some disk space, or choose a run folder on another disk (--out)"
        elif e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            fix = "choose a run folder you can write to (--out), or change its permissions"
        else:
            fix = "check the folder, or choose another run folder (--out)"
        text = f"cannot write to the run folder {self.path}: {reason}{where}. Fix: {fix}"
        last = self.path / "checkpoints" / "last.pt"
        if self.last_saved is not None:
            text += f"; {last} (epoch {self.last_saved}) is intact, continue with --resume {last}"
        return text


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read and check a checkpoint on the CPU, or raise a `CheckpointError` saying what the
    file is instead and what to pass."""
    path = Path(path)
    if path.is_dir():
        raise CheckpointError(_folder_advice(path))
    if not path.exists():
        raise CheckpointError(f"checkpoint {path} does not exist. Fix: pass a run's checkpoints/last.pt")
    _refuse_other_formats(path)
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except PermissionError as e:
        raise CheckpointError(
            f"cannot read checkpoint {path}: {e.strerror or e}. Fix: check that you may read it"
        ) from None
    except (OSError, *TORCH_LOAD_ERRORS) as e:  # a torn zip can fail a seek (EINVAL)
        raise CheckpointError(
            f"{path} is not a checkpoint torch can read ({type(e).__name__}): it is cut short, damaged "
            "or another kind of file. Fix: pass a run's checkpoints/last.pt (or, if that one is damaged, "
            "an earlier checkpoints/epoch_NNN.pt)"
        ) from None
    return validate_checkpoint(blob, path)


def validate_checkpoint(blob: object, path: Path) -> dict[str, Any]:
    """`blob` if it is a ConvCanvas checkpoint whose keys have the right types; else a
    `CheckpointError` saying what it holds instead."""
    if not isinstance(blob, dict):
        raise CheckpointError(
            f"{path} holds a {type(blob).__name__}, not a ConvCanvas checkpoint. Fix: pass a run's "
            "checkpoints/last.pt"
        )
    tag = blob.get("format")
    if tag == SCRIPT_FORMAT or (tag is None and {"model", "optimizer", "schedule", "epoch"} <= blob.keys()):
        raise CheckpointError(
            f"{path} was written by an exported training script, not by convcanvas train. Fix: continue it "
            "with that script (python NAME_train.py --resume ...), or pass a ConvCanvas run's "
            "checkpoints/last.pt here"
        )
    if tag is None and blob and all(isinstance(v, torch.Tensor) for v in blob.values()):
        raise CheckpointError(
            f"{path} holds only weights (a state dict), not a checkpoint: no optimizer state or progress to "
            "continue from. Fix: pass the checkpoints/last.pt of the run that trained it, or start a new run "
            "without --resume"
        )
    if tag is not None and tag != FORMAT:
        raise CheckpointError(
            f"{path} is a {str(tag)[:40]!r} file, not a ConvCanvas checkpoint. Fix: pass a run's "
            "checkpoints/last.pt"
        )
    version = blob.get("version", VERSION)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise CheckpointError(
            f"checkpoint {path} is damaged: its version is {str(version)[:20]!r}. Fix: {_START_AGAIN}"
        )
    if version > VERSION:
        raise CheckpointError(
            f"checkpoint {path} was written by a newer ConvCanvas (checkpoint version {version}; this one "
            f"reads up to {VERSION}). Fix: update ConvCanvas"
        )
    missing = [key for key in _KINDS if key not in blob and key not in _OPTIONAL]
    if missing and tag is None:
        raise CheckpointError(
            f"{path} is not a ConvCanvas checkpoint (it has no {', '.join(missing[:4])}). Fix: pass a run's "
            "checkpoints/last.pt"
        )
    wrong = missing or [key for key in _KINDS if key in blob and not _KINDS[key][0](blob[key])]
    if wrong:
        key = wrong[0]
        found = type(blob[key]).__name__ if key in blob else "nothing"
        raise CheckpointError(
            f"checkpoint {path} is damaged: {key!r} should be {_KINDS[key][1]}, found {found}. "
            f"Fix: {_START_AGAIN}"
        )
    return blob


def _natural(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _bytes(v: object) -> bool:
    return isinstance(v, torch.Tensor) and v.dtype == torch.uint8


_OPTIONAL = {"cuda_rng"}  # saved empty on a machine without CUDA

# key -> (check, what it should be)
_KINDS: dict[str, tuple[Any, str]] = {
    "model": (
        lambda v: isinstance(v, dict) and all(isinstance(t, torch.Tensor) for t in v.values()),
        "a dict of tensors",
    ),
    "optimizer": (
        lambda v: (
            isinstance(v, dict)
            and isinstance(v.get("state"), dict)
            and isinstance(v.get("param_groups"), list)
        ),
        "an optimizer state dict",
    ),
    "epoch": (_natural, "a whole number of epochs"),
    "step": (_natural, "a whole number of steps"),
    "base_lr": (
        lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v > 0,
        "a positive learning rate",
    ),
    "history": (
        lambda v: isinstance(v, list) and all(isinstance(h, dict) for h in v),
        "a list of epoch records",
    ),
    "generator": (_bytes, "a random generator state (uint8 tensor)"),
    "torch_rng": (_bytes, "a random generator state (uint8 tensor)"),
    "graph": (lambda v: isinstance(v, str), "the network as JSON text"),
    "cuda_rng": (
        lambda v: isinstance(v, list) and all(_bytes(t) for t in v),
        "a list of random generator states",
    ),
    "config": (
        lambda v: isinstance(v, dict) and v.get("optimizer") in OPTIMIZERS,
        "the run's settings with its optimizer",
    ),
}


def _folder_advice(path: Path) -> str:
    for candidate in (path / "checkpoints" / "last.pt", path / "last.pt"):
        if candidate.is_file():
            return f"{path} is a folder, not a checkpoint. Fix: pass the checkpoint in it, {candidate}"
    return f"{path} is a folder with no checkpoint in it. Fix: pass a run's checkpoints/last.pt"


def _refuse_other_formats(path: Path) -> None:
    """Refuse, by their first bytes, the files torch.load would misread or only half refuse."""
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError as e:
        raise CheckpointError(
            f"cannot read checkpoint {path}: {e.strerror or e}. Fix: check that you may read it"
        ) from None
    header = int.from_bytes(head[:8], "little") if len(head) >= 9 else 0
    if path.suffix == ".safetensors" or (0 < header < path.stat().st_size and head[8:9] == b"{"):
        sibling = path.parent / "checkpoints" / "last.pt"
        instead = str(sibling) if sibling.is_file() else "the checkpoints/last.pt of the run that wrote it"
        raise CheckpointError(
            f"{path} holds trained weights (safetensors), not a checkpoint: no optimizer state or "
            f"progress to continue from. Fix: pass {instead}, or start a new run without --resume"
        )
    if head.lstrip()[:1] in (b"{", b"["):
        raise CheckpointError(
            f"{path} is a JSON file (a network or settings), not a checkpoint. Fix: give a network file as "
            "the first argument and a run's checkpoints/last.pt to --resume"
        )


def checkpoint_graph(checkpoint: dict[str, Any], path: Path) -> Graph:
    """The network a checkpoint was trained as (a checkpoint goes on training its own graph)."""
    try:
        document = json.loads(checkpoint["graph"])
    except json.JSONDecodeError as e:
        raise CheckpointError(
            f"checkpoint {path} is damaged: its network is not JSON ({e.msg}). Fix: {_START_AGAIN}"
        ) from None
    return graph_from_dict(document, str(path))


def check_resumable(checkpoint: dict[str, Any], config: TrainConfig, path: Path) -> None:
    """A `CheckpointError` if `config` cannot go on from `checkpoint`: another optimizer
    (its saved state would not fit), or no epochs left to train."""
    saved = checkpoint["config"]["optimizer"]
    if saved != config.optimizer:
        raise CheckpointError(
            f"checkpoint {path} was trained with the {saved} optimizer, not {config.optimizer}. Fix: resume "
            f"with --optimizer {saved}"
        )
    if checkpoint["epoch"] >= config.epochs:
        raise CheckpointError(
            f"checkpoint {path} has already trained {checkpoint['epoch']} of {config.epochs} epochs. Fix: to "
            f"train on, pass --epochs {checkpoint['epoch'] + 5} (the total, counting the epochs done)"
        )


def restore(
    checkpoint: dict[str, Any],
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    generator: torch.Generator,
    path: Path | None = None,
) -> TrainingState:
    """Put the model, optimizer and random generators back as they were when `checkpoint`
    was saved, and return the run's progress then."""
    where = f"checkpoint {path}" if path else "the checkpoint"
    parts = (
        ("weights", lambda: model.load_state_dict(checkpoint["model"])),
        ("optimizer state", lambda: optimizer.load_state_dict(checkpoint["optimizer"])),
        ("random generator state", lambda: generator.set_state(checkpoint["generator"])),
        ("random generator state", lambda: torch.set_rng_state(checkpoint["torch_rng"])),
    )
    for part, put_back in parts:
        try:
            put_back()
        except (RuntimeError, ValueError, KeyError, TypeError, IndexError) as e:
            reason = str(e).strip().splitlines()[0][:160] if str(e).strip() else type(e).__name__
            raise CheckpointError(
                f"{where} is damaged: its {part} does not fit its own network ({reason}). Fix: {_START_AGAIN}"
            ) from None
    if torch.cuda.is_available():
        # a checkpoint from a machine with more GPUs: those present get their generators back
        for index, state in enumerate(checkpoint.get("cuda_rng", [])[: torch.cuda.device_count()]):
            torch.cuda.set_rng_state(state, index)
    return TrainingState(
        checkpoint["epoch"], checkpoint["step"], checkpoint["base_lr"], list(checkpoint["history"])
    )
