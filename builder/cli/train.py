"""`convcanvas train`: headless training of a graph file.

`configure` reads only the training configuration; the engine, which loads torch, is imported in
`run`, so `convcanvas train --help` stays quick.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from .common import EXIT_INVALID, EXIT_OK, EXIT_USAGE, open_graph, terminal_safe

if TYPE_CHECKING:
    from ..training import EpochMetrics, RunFinished, StepMetrics, TrainConfig


def configure(p: argparse.ArgumentParser) -> None:
    # through the package's lazy table: whichever module holds these, no engine is loaded here
    from ..training import DATASETS, OPTIMIZERS, SCHEDULES, TrainConfig

    d = TrainConfig()
    p.add_argument("file", help="graph file (.json) or template name")
    p.add_argument(
        "--dataset",
        default=d.dataset,
        help=f"{'|'.join(DATASETS)} or a folder of images (one sub-folder per class)",
    )
    p.add_argument("--epochs", type=int, default=d.epochs)
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--lr", type=float, default=d.lr, help="learning rate")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default=d.optimizer)
    p.add_argument("--momentum", type=float, default=d.momentum)
    p.add_argument("--nesterov", action="store_true")
    p.add_argument("--weight-decay", type=float, default=d.weight_decay)
    p.add_argument("--schedule", choices=SCHEDULES, default=d.schedule)
    p.add_argument("--label-smoothing", type=float, default=d.label_smoothing)
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument(
        "--device", default=d.device, help="auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:N, mps"
    )
    p.add_argument("--data-dir", help="where datasets are read from or downloaded to")
    p.add_argument(
        "--out",
        help="run folder for the graph, config, metrics, checkpoints and weights "
        "(default runs/<name>-<time>)",
    )
    p.add_argument(
        "--resume",
        help="continue from a checkpoint (a run's checkpoints/last.pt or checkpoints/epoch_NNN.pt), "
        "with the same --optimizer and a larger --epochs",
    )
    p.add_argument(
        "--weights",
        help="start from these weights (.safetensors or .pt, e.g. from `convcanvas import --weights-out` "
        "or an earlier run): fine-tuning; blocks whose shapes changed start fresh",
    )
    p.add_argument(
        "--no-tensorboard",
        dest="tensorboard",
        action="store_false",
        help="write no TensorBoard event files into the run folder (written when TensorBoard is "
        "installed: pip install convcanvas[tensorboard]; view with tensorboard --logdir runs/)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON record per epoch and a final one")


def run(args: argparse.Namespace) -> int:
    from ..training import (
        DataWarning,
        EpochMetrics,
        RunFinished,
        RunStarted,
        RunWarning,
        StepMetrics,
        Trainer,
        TrainingError,
    )

    graph = open_graph(args.file)  # with --resume, the checkpoint's own graph is trained
    config = _config(args)
    run_dir = (
        Path(args.out)
        if args.out
        else Path("runs") / f"{Path(args.file).stem}-{time.strftime('%Y%m%d-%H%M%S')}"
    )
    initial = None
    if args.weights:
        if args.resume:
            print("give --weights or --resume, not both: a checkpoint has its own weights", file=sys.stderr)
            return EXIT_USAGE
        from ..interop.weights import load_weights

        initial = load_weights(args.weights)  # WeightsError: one line naming the file
    try:
        trainer = Trainer(
            graph,
            config,
            run_dir=run_dir,
            resume=args.resume,
            initial_weights=initial,
            initial_weights_source=str(args.weights),
        )
    except TrainingError as e:
        print("this network cannot train on this dataset:", file=sys.stderr)
        for issue in e.issues:
            print(f"  {issue}", file=sys.stderr)
        return EXIT_INVALID
    progress = _Progress(enabled=not args.json and sys.stderr.isatty())
    final = None
    for record in trainer.run():
        if isinstance(record, RunStarted):
            if not args.json:
                print(
                    f"training {graph.name} on {record.dataset} ({record.train_size:,} images) with "
                    f"{record.device_name}; run folder {run_dir}"
                )
            progress.total = record.steps_per_epoch * (config.epochs - record.start_epoch)
            progress.offset = record.steps_per_epoch * record.start_epoch
        elif isinstance(record, (DataWarning, RunWarning)):
            progress.clear()
            print(terminal_safe(f"warning: {record.message}"), file=sys.stderr)
        elif isinstance(record, StepMetrics):
            progress.step(record, config.epochs)
        elif isinstance(record, EpochMetrics):
            progress.clear()
            print(_epoch_line(record, config.epochs, args.json), flush=True)
        elif isinstance(record, RunFinished):
            final = record
    progress.clear()
    assert final is not None, "the engine always ends a run with RunFinished"
    print(_final_line(final, args.json))
    if final.status == "failed":
        print(terminal_safe(final.message), file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def _config(args: argparse.Namespace) -> TrainConfig:
    from ..training import TrainConfig

    return TrainConfig(
        dataset=args.dataset,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        optimizer=args.optimizer,
        momentum=args.momentum,
        nesterov=args.nesterov,
        weight_decay=args.weight_decay,
        schedule=args.schedule,
        label_smoothing=args.label_smoothing,
        seed=args.seed,
        device=args.device,
        data_dir=args.data_dir,
        tensorboard=args.tensorboard,
    )


def _epoch_line(r: EpochMetrics, epochs: int, as_json: bool) -> str:
    if as_json:
        return json.dumps(
            {
                "type": "epoch",
                "epoch": r.epoch,
                "train_loss": r.train_loss,
                "train_accuracy": r.train_accuracy,
                "test_loss": r.test_loss,
                "test_accuracy": r.test_accuracy,
                "samples_per_sec": r.samples_per_sec,
                "elapsed": r.elapsed,
            }
        )
    return (
        f"epoch {r.epoch}/{epochs}  loss {r.train_loss:.4f}  "
        f"train acc {r.train_accuracy:.2%}  test loss {r.test_loss:.4f}  "
        f"test acc {r.test_accuracy:.2%}  {r.samples_per_sec:,.0f} samples/s  "
        f"{r.elapsed:.1f}s"
    )


def _final_line(r: RunFinished, as_json: bool) -> str:
    if as_json:
        return json.dumps(
            {
                "type": "final",
                "status": r.status,
                "message": r.message,
                "epochs": r.epochs_done,
                "test_accuracy": r.test_accuracy,
                "run_dir": r.run_dir,
            }
        )
    return terminal_safe(f"{r.status}: {r.message}")


class _Progress:
    """One rewritten line on a terminal: epoch, step, loss, accuracy, samples/s, ETA."""

    def __init__(self, enabled: bool):
        self.enabled, self.total, self.offset, self.start = enabled, 1, 0, time.perf_counter()
        self.shown = False

    def step(self, r: StepMetrics, epochs: int) -> None:
        if not self.enabled:
            return
        done = (r.step - self.offset) / max(1, self.total)
        elapsed = time.perf_counter() - self.start
        eta = elapsed / done * (1 - done) if done > 0 else 0
        bar = "#" * int(done * 24)
        sys.stderr.write(
            f"\r[{bar:<24}] epoch {r.epoch + 1}/{epochs} step {r.step} loss {r.loss:.4f} "
            f"{r.samples_per_sec:,.0f}/s ETA {eta:,.0f}s "
        )
        sys.stderr.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            sys.stderr.write("\r" + " " * 100 + "\r")
            self.shown = False
