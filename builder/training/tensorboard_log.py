"""TensorBoard event files in a run folder, for `tensorboard --logdir runs/`.

TensorBoard is what PyTorch users already watch, so a run folder also holds its event
files: the loss and learning rate per report, the epoch's losses and accuracies, the
network's graph, and the first convolution's filters after each epoch. It is optional
(`pip install convcanvas[tensorboard]`): without it a run trains as ever and says once
how to get the logs.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .records import EpochMetrics, Record, StepMetrics

INSTALL = "pip install convcanvas[tensorboard]"
FILTER_PIXELS = 32  # each filter is drawn about this many pixels wide: a 5x5 kernel is otherwise a speck

# scalar tags: per report (the step axis), and per epoch at the step it ended on
STEP_SCALARS = {"loss/train": "loss", "learning_rate": "lr", "samples_per_sec": "samples_per_sec"}
EPOCH_SCALARS = {
    "loss/train_epoch": "train_loss",
    "loss/test": "test_loss",
    "accuracy/train": "train_accuracy",
    "accuracy/test": "test_accuracy",
}


def missing_message() -> str:
    return (
        "TensorBoard is not installed, so this run writes no TensorBoard logs (metrics.jsonl has "
        f"every figure). Fix: {INSTALL}, or turn the logs off with --no-tensorboard"
    )


class TensorBoardLog:
    """A `SummaryWriter` on a run folder, fed the run's records."""

    def __init__(self, writer: Any):
        self.writer = writer

    @classmethod
    def open(cls, folder: Path) -> TensorBoardLog | None:
        """A log writing into `folder`, or None if TensorBoard is not installed."""
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:  # torch raises this when the tensorboard package is missing
            return None
        return cls(SummaryWriter(log_dir=str(folder)))

    def add_graph(self, model: nn.Module, input_shape: tuple[int, ...], device: torch.device) -> str | None:
        """Trace `model` on a zero batch into the log's graph; a sentence if it cannot be traced.
        The tracer runs the model in eval mode: batch-norm statistics are left as they were."""
        example = torch.zeros((1, *input_shape), device=device)
        try:
            with warnings.catch_warnings():  # torch's own writer still uses the tracer it deprecates
                warnings.filterwarnings("ignore", category=FutureWarning, module=r"torch\.jit")
                self.writer.add_graph(model, example)
        except RuntimeError as e:  # a module the tracer cannot follow
            reason = str(e).strip().splitlines()[0][:160] if str(e).strip() else type(e).__name__
            return f"TensorBoard shows no graph for this network: tracing it failed ({reason})"
        return None

    def log(self, record: Record) -> None:
        if isinstance(record, StepMetrics):
            for tag, name in STEP_SCALARS.items():
                self.writer.add_scalar(tag, getattr(record, name), record.step)
        elif isinstance(record, EpochMetrics):
            for tag, name in EPOCH_SCALARS.items():
                self.writer.add_scalar(tag, getattr(record, name), record.step)

    def add_filters(self, model: nn.Module, step: int) -> None:
        """The first convolution's filters as one image, each scaled to its own range."""
        conv = next(((n, m) for n, m in model.named_children() if isinstance(m, nn.Conv2d)), None)
        if conv is None:
            return
        name, module = conv
        weight = module.weight.detach().float().cpu()
        tiles = weight if weight.shape[1] == 3 else weight[:, :1]  # colour filters, else the first channel
        low = tiles.amin(dim=(1, 2, 3), keepdim=True)
        high = tiles.amax(dim=(1, 2, 3), keepdim=True)
        tiles = (tiles - low) / (high - low).clamp_min(1e-12)
        scale = max(1, FILTER_PIXELS // max(tiles.shape[2:]))
        tiles = F.interpolate(tiles, scale_factor=scale, mode="nearest")
        self.writer.add_image(f"filters/{name}", _grid(tiles), step)

    def close(self) -> None:
        self.writer.close()  # flushes and ends the writer's thread


def _grid(tiles: torch.Tensor, columns: int = 8, gap: int = 2) -> torch.Tensor:
    """(N, C, H, W) tiles in 0..1 as one (C, H', W') image, `columns` across, white gaps."""
    n, c, h, w = tiles.shape
    columns = min(columns, n)
    rows = -(-n // columns)
    out = torch.ones((c, rows * (h + gap) - gap, columns * (w + gap) - gap))
    for i, tile in enumerate(tiles):
        r, k = divmod(i, columns)
        out[:, r * (h + gap) : r * (h + gap) + h, k * (w + gap) : k * (w + gap) + w] = tile
    return out


__all__ = ["INSTALL", "TensorBoardLog", "missing_message"]
