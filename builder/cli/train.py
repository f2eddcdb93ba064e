"""`convcanvas train`: headless training of a graph file."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from ..training.datasets import DATASETS
from ..training.engine import (
    OPTIMIZERS,
    SCHEDULES,
    EpochMetrics,
    RunFinished,
    RunStarted,
    StepMetrics,
    TrainConfig,
)
from .main import EXIT_INVALID, EXIT_OK, EXIT_USAGE, command, open_graph


def _configure(p: argparse.ArgumentParser) -> None:
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
    p.add_argument("--resume", help="continue from a checkpoint (a run's checkpoints/last.pt)")
    p.add_argument("--json", action="store_true", help="print one JSON record per epoch and a final one")


@command("train", "Train a network headless and save the run (metrics, checkpoints, weights).", _configure)
def _run(args: argparse.Namespace) -> int:
    from ..training.engine import Trainer, TrainingError

    graph = open_graph(args.file)  # with --resume, the checkpoint's own graph is trained
    config = TrainConfig(
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
    )
    run_dir = (
        Path(args.out)
        if args.out
        else Path("runs") / f"{Path(args.file).stem}-{time.strftime('%Y%m%d-%H%M%S')}"
    )
    try:
        trainer = Trainer(graph, config, run_dir=run_dir, resume=args.resume)
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
        elif isinstance(record, StepMetrics):
            progress.step(record, config.epochs)
        elif isinstance(record, EpochMetrics):
            progress.clear()
            if args.json:
                print(
                    json.dumps(
                        {
                            "type": "epoch",
                            "epoch": record.epoch,
                            "train_loss": record.train_loss,
                            "train_accuracy": record.train_accuracy,
                            "test_loss": record.test_loss,
                            "test_accuracy": record.test_accuracy,
                            "samples_per_sec": record.samples_per_sec,
                            "elapsed": record.elapsed,
                        }
                    ),
                    flush=True,
                )
            else:
                print(
                    f"epoch {record.epoch}/{config.epochs}  loss {record.train_loss:.4f}  "
                    f"train acc {record.train_accuracy:.2%}  test loss {record.test_loss:.4f}  "
                    f"test acc {record.test_accuracy:.2%}  {record.samples_per_sec:,.0f} samples/s  "
                    f"{record.elapsed:.1f}s",
                    flush=True,
                )
        elif isinstance(record, RunFinished):
            final = record
    progress.clear()
    if args.json:
        print(
            json.dumps(
                {
                    "type": "final",
                    "status": final.status,
                    "message": final.message,
                    "epochs": final.epochs_done,
                    "test_accuracy": final.test_accuracy,
                    "run_dir": final.run_dir,
                }
            )
        )
    else:
        print(f"{final.status}: {final.message}")
    if final.status == "failed":
        print(final.message, file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


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
