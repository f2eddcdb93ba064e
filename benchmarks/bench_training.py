"""Training speed: the ConvCanvas engine against hand-written PyTorch on the same model.

    python benchmarks/bench_training.py [--data-dir DIR] [--repeats 5] [--steps 150]
    python benchmarks/bench_training.py --time-to-accuracy [--template mnist_cnn]

1. Engine vs a plain loop (same model, batch size, device, data preloaded as tensors),
   alternating in one process; median samples/s of the repeats. Target >= 0.95x.
   Runs are short and alternate many times because this kind of machine drifts by 20-30%
   over seconds; the paired median (each repeat's ratio) cancels that drift best.
2. Engine vs the PyTorch MNIST example's pipeline (torchvision MNIST + ToTensor + Normalize
   through a DataLoader). Target >= 1.5x.
3. --time-to-accuracy: seconds until 99% MNIST test accuracy (full test set checked after
   every epoch), median of three runs. Target <= 30 s on a 2-core CPU.

MNIST comes from --data-dir (a folder with MNIST/raw, e.g. a copy of ../shared/datasets);
without one, the bundled 5,000-image subset is used for 1 and 2.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch
import torch.nn.functional as F

from builder import (
    EpochMetrics,
    TrainConfig,
    Trainer,
    build_model,
    load_dataset,
    load_template,
    physical_cores,
)


def engine_rate(graph, dataset, batch, steps) -> float:
    n = batch * steps
    subset = replace(
        dataset,
        train_images=dataset.train_images[:n],
        train_labels=dataset.train_labels[:n],
        test_images=dataset.test_images[:batch],
        test_labels=dataset.test_labels[:batch],
    )
    config = TrainConfig(epochs=1, batch_size=batch, lr=1e-3, device="cpu", report_interval=0.5)
    for record in Trainer(graph, config, dataset=subset).run():
        if isinstance(record, EpochMetrics):
            return record.samples_per_sec
    raise RuntimeError("no epoch finished")


def plain_rate(graph, dataset, batch, steps) -> float:
    """What a person would write: normalised float tensors in memory, randperm batches."""
    torch.manual_seed(0)
    model = build_model(graph).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    n = batch * steps
    x_all = (dataset.train_images[:n].float() / 255 - dataset.mean[0]) / dataset.std[0]
    y_all = dataset.train_labels[:n]
    start = time.perf_counter()
    order = torch.randperm(n)
    for i in range(steps):
        idx = order[i * batch : (i + 1) * batch]
        loss = F.cross_entropy(model(x_all[idx]), y_all[idx])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    loss.item()
    return n / (time.perf_counter() - start)


def dataloader_rate(graph, data_dir: Path, batch, steps) -> float:
    """The PyTorch MNIST example's input pipeline: PIL images, ToTensor, Normalize, DataLoader."""
    from torchvision import datasets, transforms

    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    train = datasets.MNIST(str(data_dir), train=True, download=False, transform=transform)
    loader = torch.utils.data.DataLoader(train, batch_size=batch, shuffle=True)
    torch.manual_seed(0)
    model = build_model(graph).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    start = time.perf_counter()
    for i, (x, y) in enumerate(loader):
        if i == steps:
            break
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    loss.item()
    return batch * steps / (time.perf_counter() - start)


def time_to_accuracy(template: str, data_dir: Path, target: float, config: TrainConfig) -> tuple[float, int]:
    dataset = load_dataset("mnist", data_dir)
    start = time.perf_counter()
    for record in Trainer(load_template(template), config, dataset=dataset).run():
        if isinstance(record, EpochMetrics):
            print(
                f"    epoch {record.epoch}: test accuracy {record.test_accuracy:.4f} "
                f"at {time.perf_counter() - start:.1f}s",
                flush=True,
            )
            if record.test_accuracy >= target:
                return time.perf_counter() - start, record.epoch
    return float("inf"), config.epochs


def writable_copy(data_dir: str | None) -> Path | None:
    if not data_dir:
        return None
    # torchvision unpacks the .gz files beside them, so work on a writable copy
    target = Path(tempfile.gettempdir()) / "convcanvas-bench-data"
    if not (target / "MNIST" / "raw").exists():
        shutil.copytree(data_dir, target, dirs_exist_ok=True)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="folder with MNIST/raw (e.g. ../shared/datasets)")
    parser.add_argument("--template", default="lenet5")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=25)
    parser.add_argument("--time-to-accuracy", action="store_true")
    parser.add_argument("--target", type=float, default=0.99)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--lr", type=float, default=3e-3)
    args = parser.parse_args()
    data_dir = writable_copy(args.data_dir)
    torch.set_num_threads(physical_cores())
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, template {args.template}")

    if args.time_to_accuracy:
        if data_dir is None:
            parser.error("--time-to-accuracy needs --data-dir with the full MNIST")
        config = TrainConfig(
            dataset="mnist",
            epochs=args.epochs,
            batch_size=args.batch_size,
            lr=args.lr,
            optimizer="adam",
            schedule="onecycle",
            device="cpu",
            eval_batch_size=2000,
        )
        runs = []
        for i in range(3):
            print(f"  run {i + 1}:")
            runs.append(time_to_accuracy(args.template, data_dir, args.target, replace(config, seed=i)))
        seconds = statistics.median(t for t, _ in runs)
        print(
            f"time to {args.target:.0%} test accuracy: median {seconds:.1f}s over 3 runs "
            f"(each: {', '.join(f'{t:.1f}s/{e} epochs' for t, e in runs)})"
        )
        return

    graph = load_template(args.template)
    dataset = load_dataset("mnist", data_dir) if data_dir else load_dataset("mnist-mini")
    steps = min(args.steps, len(dataset.train_images) // args.batch_size)
    engine, plain, loader = [], [], []
    for _ in range(args.repeats):  # alternate so that drift affects all alike
        engine.append(engine_rate(graph, dataset, args.batch_size, steps))
        plain.append(plain_rate(graph, dataset, args.batch_size, steps))
        if data_dir:
            loader.append(dataloader_rate(graph, data_dir, args.batch_size, steps))
    e, p = statistics.median(engine), statistics.median(plain)
    # each repeat runs the variants back to back, so per-repeat ratios cancel slow drift
    paired = statistics.median(a / b for a, b in zip(engine, plain, strict=True))
    print(
        f"batch {args.batch_size}, {steps} steps, median of {args.repeats} alternating repeats (samples/s):"
    )
    print(f"  engine       {e:10,.0f}")
    print(
        f"  plain loop   {p:10,.0f}   engine/plain = {e / p:.2f}x, paired median {paired:.2f}x "
        "(target >= 0.95x)"
    )
    if loader:
        d = statistics.median(loader)
        paired = statistics.median(a / b for a, b in zip(engine, loader, strict=True))
        print(
            f"  DataLoader   {d:10,.0f}   engine/DataLoader = {e / d:.2f}x, paired median {paired:.2f}x "
            "(target >= 1.5x)"
        )


if __name__ == "__main__":
    main()
