"""What a run leaves on disk, and how a later run resumes from it.

A run folder holds `graph.json` and `config.json` (what was trained, how), `metrics.jsonl`
(one line per logged record), `checkpoints/epoch_NNN.pt` and `checkpoints/last.pt` after
every epoch, and `weights.safetensors` at the end. Every file is written atomically, so a
crash never leaves half a checkpoint. Checkpoints are read with `weights_only=True`: a
checkpoint from elsewhere cannot run code.
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..atomic import write_atomic
from ..document import dumps_graph
from ..errors import ConvCanvasError
from ..graph import Graph
from .config import TrainConfig
from .records import LOGGED, Record, json_line


@dataclass
class TrainingState:
    """What a checkpoint restores besides the model and optimizer."""

    epoch: int = 0  # epochs completed
    step: int = 0
    base_lr: float = 0.0
    history: list[dict[str, Any]] = field(default_factory=list)  # fields of each EpochMetrics


class RunFolder:
    """The folder of one run: its settings, metrics log, checkpoints and final weights."""

    def __init__(self, path: Path, graph: Graph, config: TrainConfig):
        self.path = path
        self.graph = graph
        self.config = config

    def prepare(self) -> None:
        """Create the folder and record what is trained and how, before the first step."""
        (self.path / "checkpoints").mkdir(parents=True, exist_ok=True)
        write_atomic(self.path / "graph.json", dumps_graph(self.graph))
        write_atomic(self.path / "config.json", json.dumps(asdict(self.config), indent=2) + "\n")

    def log(self, record: Record) -> None:
        """Append `record` to `metrics.jsonl` if it is one worth keeping."""
        if isinstance(record, LOGGED):
            with open(self.path / "metrics.jsonl", "a") as f:
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
        write_atomic(path, data)
        write_atomic(self.path / "checkpoints" / "last.pt", data)
        return path

    def save_weights(self, model: nn.Module) -> None:
        """Save the trained weights where `load_weights` and the app look for them."""
        from ..interop.weights import save_weights

        save_weights(model, self.path / "weights.safetensors", self.graph)


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Read a checkpoint on the CPU, or raise a `ConvCanvasError` saying what it is not."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise ConvCanvasError(f"checkpoint {path} does not exist") from None
    except Exception as e:
        raise ConvCanvasError(
            f"checkpoint {path} cannot be read ({type(e).__name__}); is it a "
            "ConvCanvas checkpoint (checkpoints/last.pt of a run)?"
        ) from None


def restore(
    checkpoint: dict[str, Any],
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    generator: torch.Generator,
) -> TrainingState:
    """Put the model, optimizer and random generators back as they were when `checkpoint`
    was saved, and return the run's progress then."""
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    generator.set_state(checkpoint["generator"])
    torch.set_rng_state(checkpoint["torch_rng"])
    if checkpoint.get("cuda_rng") and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(checkpoint["cuda_rng"])
    return TrainingState(
        checkpoint["epoch"], checkpoint["step"], checkpoint["base_lr"], list(checkpoint["history"])
    )
