"""Export a standalone training script: the model plus data, optimizer, schedule,
checkpoints and multi-GPU / multi-node data-parallel training under `torchrun`."""

from __future__ import annotations

import inspect
from dataclasses import asdict
from importlib import resources
from pathlib import Path

from ..errors import ConvCanvasError
from ..graph import Graph
from ..inference import Inference, scores_node
from ..training.config import TrainConfig
from ..training.schedules import schedule_factor
from .code import _file_stem, _valid, class_name_for, docstring, module_source

# Datasets the script loads through torchvision, and the bundled subset, which ships beside it.
_SCRIPT_DATASETS = ("mnist", "fashion-mnist", "cifar10", "cifar100", "mnist-mini")
BUNDLED_DATA = "mnist_mini.npz"  # the app's bundled MNIST subset: exported next to the script


_ABOUT = """Train {name} ({params:,} parameters), exported from ConvCanvas.
{description}
One machine, CPU or one GPU:
    python {stem}_train.py --dataset {dataset} --epochs {epochs}

Several GPUs or machines (PyTorch DDP; each process trains on its share of every epoch):
    torchrun --nproc_per_node 4 {stem}_train.py --dataset {dataset}
    torchrun --nnodes 2 --node_rank 0 --master_addr HOST --nproc_per_node 8 {stem}_train.py

Try it without downloading anything: --dataset synthetic (or mnist-mini, the subset
ConvCanvas ships, when {bundled} lies beside this script).
Datasets are read from (or downloaded into) --data-dir. Checkpoints go to --out; the
last one resumes with --resume. Fine-tune from trained weights with --weights FILE
(.safetensors or .pt){weights_hint}.
"""

# the script itself; `{about}` is its docstring, a literal that file-derived text cannot break out of
_SCRIPT = '''{about}

import argparse
import math
import os
import pickle
import struct
import time
import zipfile

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

# ----------------------------------------------------------------------------- settings
DATASET = "{dataset}"  # mnist, fashion-mnist, cifar10, cifar100, mnist-mini or synthetic
EPOCHS = {epochs}
BATCH_SIZE = {batch_size}  # per process
LR = {lr!r}
OPTIMIZER = "{optimizer}"  # sgd, adam or adamw
MOMENTUM = {momentum!r}
WEIGHT_DECAY = {weight_decay!r}
SCHEDULE = "{schedule}"  # constant, step, cosine or onecycle
LABEL_SMOOTHING = {label_smoothing!r}
SEED = {seed}
INPUT_SHAPE = ({c}, {h}, {w})
NUM_CLASSES = {classes}
SOFTMAX_OUTPUT = {softmax!r}  # the final Softmax block, if any: training uses the scores before it

# -------------------------------------------------------------------------------- model
{model}

# --------------------------------------------------------------------------------- data
STATS = {{  # per-channel mean and standard deviation of the training images
    "mnist": ((0.1307,), (0.3081,)),
    "mnist-mini": ((0.1307,), (0.3081,)),
    "fashion-mnist": ((0.2860,), (0.3530,)),
    "cifar10": ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
    "cifar100": ((0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762)),
}}


def datasets(name, data_dir):
    """(train, test) datasets of normalised tensors resized to INPUT_SHAPE."""
    if name == "synthetic":  # random images of learnable classes, for a quick check
        g = torch.Generator().manual_seed(SEED)
        centres = torch.randn(NUM_CLASSES, *INPUT_SHAPE, generator=g)
        def make(n):
            y = torch.randint(0, NUM_CLASSES, (n,), generator=g)
            return TensorDataset(centres[y] + 0.5 * torch.randn(n, *INPUT_SHAPE, generator=g), y)
        return make(512), make(256)
    if name == "mnist-mini":
        return bundled_subset(data_dir)
    import torchvision
    from torchvision import transforms as T

    classes = {{"mnist": torchvision.datasets.MNIST, "fashion-mnist": torchvision.datasets.FashionMNIST,
               "cifar10": torchvision.datasets.CIFAR10, "cifar100": torchvision.datasets.CIFAR100}}
    mean, std = STATS[name]
    steps = [T.Resize(INPUT_SHAPE[1:]), T.ToTensor(), T.Normalize(mean, std)]
    if INPUT_SHAPE[0] != len(mean):
        steps.insert(0, T.Grayscale(INPUT_SHAPE[0]))
    transform = T.Compose(steps)
    download = not dist.is_initialized() or dist.get_rank() == 0
    train = classes[name](data_dir, train=True, download=download, transform=transform)
    test = classes[name](data_dir, train=False, download=download, transform=transform)
    return train, test


def bundled_subset(data_dir):
    """ConvCanvas's MNIST subset (5,000 training and 1,000 test digits), from {bundled} beside
    this script or in data_dir, normalised as the app trains on it."""
    import numpy as np

    here = os.path.dirname(os.path.abspath(__file__))
    for folder in (here, data_dir):
        path = os.path.join(folder, "{bundled}")
        if os.path.isfile(path):
            break
    else:
        raise SystemExit(f"{bundled} is not beside this script or in {{data_dir}}. Fix: export the "
                         "training script again from ConvCanvas (it writes the file), or use --dataset mnist")
    data = np.load(path)
    mean, std = STATS["mnist-mini"]

    def part(kind):
        x = torch.from_numpy(data[f"{{kind}}_images"]).float().div(255).unsqueeze(1)
        x = (x - mean[0]) / std[0]
        if tuple(x.shape[1:]) != INPUT_SHAPE:
            x = F.interpolate(x, size=INPUT_SHAPE[1:], mode="bilinear", align_corners=False)
            x = x.expand(-1, INPUT_SHAPE[0], -1, -1).contiguous()
        return TensorDataset(x, torch.from_numpy(data[f"{{kind}}_labels"]).long())

    return part("train"), part("test")


def load_weights(path, model):
    """Start from trained weights (fine-tuning): a .safetensors file or a torch state dict."""
    if path.endswith(".safetensors"):
        from safetensors.torch import load_file

        state = load_file(path)
    else:
        state = torch.load(path, map_location="cpu", weights_only=True)  # tensors only, never code
        state = state.get("model", state) if isinstance(state, dict) else state
    try:
        model.load_state_dict(state)
    except (RuntimeError, TypeError, AttributeError) as e:
        raise SystemExit(f"--weights {{path}} does not fit this network ({{str(e).splitlines()[0]}}). "
                         "Fix: pass the weights exported with this network") from None


# ----------------------------------------------------------------------------- training
# the learning-rate schedule exactly as ConvCanvas trains
{schedule_code}

def evaluate(model, loader, device):
    model.eval()
    correct = total = 0
    loss = torch.zeros((), device=device)
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            scores = model(x)
            loss += F.cross_entropy(scores, y, reduction="sum")
            correct += (scores.argmax(1) == y).sum().item()
            total += y.numel()
    stats = torch.tensor([loss.item(), correct, total], device=device, dtype=torch.float64)
    if dist.is_initialized():
        dist.all_reduce(stats)
    return stats[0].item() / stats[2].item(), stats[1].item() / stats[2].item()


CHECKPOINT = "convcanvas-script-checkpoint"  # the format tag of the checkpoints this script writes
# what torch.load raises on a file that is cut short, damaged or not a torch file at all
UNREADABLE = (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, IndexError, KeyError,
              TypeError, AttributeError, OverflowError, struct.error, zipfile.BadZipFile)


def load_checkpoint(path, out):
    """A checkpoint this script wrote, or exit with a message saying what `path` is instead."""
    last = os.path.join(out, "last.pt")
    if os.path.isdir(path):
        last = os.path.join(path, "last.pt")
        raise SystemExit(f"--resume {{path}} is a folder. Fix: pass the checkpoint in it, {{last}}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)  # tensors only, never code
    except OSError as e:
        raise SystemExit(f"cannot read --resume {{path}}: {{e.strerror or e}}") from None
    except UNREADABLE as e:
        raise SystemExit(f"--resume {{path}} is not a checkpoint torch can read ({{type(e).__name__}}): "
                         f"it is damaged or another kind of file. Fix: pass {{last}}") from None
    tag = state.get("format") if isinstance(state, dict) else None
    if tag == "convcanvas-checkpoint" or (isinstance(state, dict) and "graph" in state):
        raise SystemExit(f"--resume {{path}} was written by the ConvCanvas app. "
                         f"Fix: continue it with convcanvas train --resume {{path}}")
    keys = ("model", "optimizer", "schedule", "epoch")
    if not isinstance(state, dict) or tag not in (None, CHECKPOINT) or not all(k in state for k in keys):
        raise SystemExit(f"--resume {{path}} is not a checkpoint of this script "
                         f"(weights alone cannot resume). Fix: pass {{last}}")
    if state.get("version", 1) != 1:
        raise SystemExit(f"--resume {{path}} is checkpoint version {{state['version']}}; "
                         "this script reads version 1")
    return state


def main():
    p = argparse.ArgumentParser(description="Train {cls}, exported from ConvCanvas (see this file's top).")
    p.add_argument("--dataset", default=DATASET)
    p.add_argument("--data-dir", default="data")
    p.add_argument("--epochs", type=int, default=EPOCHS)
    p.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    p.add_argument("--lr", type=float, default=LR)
    p.add_argument("--optimizer", default=OPTIMIZER, choices=["sgd", "adam", "adamw"])
    p.add_argument("--schedule", default=SCHEDULE, choices=["constant", "step", "cosine", "onecycle"])
    p.add_argument("--weight-decay", type=float, default=WEIGHT_DECAY)
    p.add_argument("--label-smoothing", type=float, default=LABEL_SMOOTHING)
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1, mps")
    p.add_argument("--out", default="checkpoints")
    p.add_argument("--resume", default=None, help="a checkpoint to continue from")
    p.add_argument("--weights", default=None, help="trained weights to start from (fine-tuning)")
    p.add_argument("--max-steps", type=int, default=0, help="stop each epoch after this many steps")
    args = p.parse_args()

    # torchrun sets RANK / WORLD_SIZE / LOCAL_RANK; plain python runs one process
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if args.device == "auto":
        device = (f"cuda:{{local_rank}}" if torch.cuda.is_available() else
                  "mps" if torch.backends.mps.is_available() and not distributed else "cpu")
    else:
        device = args.device
    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.set_device(device)
    if distributed:
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    rank = dist.get_rank() if distributed else 0
    main_process = rank == 0
    torch.manual_seed(SEED + rank)

    train_set, test_set = datasets(args.dataset, args.data_dir)
    train_sampler = DistributedSampler(train_set, seed=SEED) if distributed else None
    test_sampler = DistributedSampler(test_set, shuffle=False) if distributed else None
    pin = device.type == "cuda"
    train_loader = DataLoader(train_set, args.batch_size, shuffle=train_sampler is None,
                              sampler=train_sampler, num_workers=2 if pin else 0, pin_memory=pin,
                              drop_last=True)
    test_loader = DataLoader(test_set, 512, sampler=test_sampler, num_workers=2 if pin else 0,
                             pin_memory=pin)

    torch.manual_seed(SEED)  # every process starts from the same weights
    model = {cls}()
    if args.weights and not args.resume:
        load_weights(args.weights, model)
    model = model.to(device)
    if SOFTMAX_OUTPUT:
        # cross-entropy applies log-softmax itself; Softmax has no weights, so the saved
        # state_dict still loads into {cls}
        setattr(model, SOFTMAX_OUTPUT, nn.Identity())
    ddp_model = nn.parallel.DistributedDataParallel(
        model, device_ids=[device.index] if device.type == "cuda" else None
    ) if distributed else model

    params = [q for q in model.parameters() if q.requires_grad]
    if args.optimizer == "sgd":
        optimizer = torch.optim.SGD(params, args.lr, momentum=MOMENTUM, weight_decay=args.weight_decay)
    elif args.optimizer == "adamw":
        optimizer = torch.optim.AdamW(params, args.lr, weight_decay=args.weight_decay)
    else:
        optimizer = torch.optim.Adam(params, args.lr, weight_decay=args.weight_decay)
    steps_per_epoch = len(train_loader) if not args.max_steps else min(args.max_steps, len(train_loader))
    total_steps = max(1, args.epochs * steps_per_epoch)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: schedule_factor(args.schedule, step, total_steps)
    )

    start_epoch = 0
    if args.resume:
        state = load_checkpoint(args.resume, args.out)
        try:
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            schedule.load_state_dict(state["schedule"])
        except (RuntimeError, ValueError, KeyError, TypeError) as e:
            raise SystemExit(f"--resume {{args.resume}} does not fit this network and optimizer "
                             f"({{e}}). Fix: resume with the script and --optimizer that wrote it") from None
        start_epoch = state["epoch"] + 1

    for epoch in range(start_epoch, args.epochs):
        if train_sampler is not None:
            train_sampler.set_epoch(epoch)
        ddp_model.train()
        started, seen = time.time(), 0
        running = torch.zeros((), device=device)
        for step, (x, y) in enumerate(train_loader):
            if args.max_steps and step >= args.max_steps:
                break
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            loss = F.cross_entropy(ddp_model(x), y, label_smoothing=args.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            running += loss.detach()  # summed on the device: no sync per step
            seen += y.numel()
        train_loss = running.item() / max(1, step + 1)
        test_loss, test_acc = evaluate(model, test_loader, device)
        if main_process:
            rate = seen * (dist.get_world_size() if distributed else 1) / (time.time() - started)
            print(f"epoch {{epoch + 1}}/{{args.epochs}}  train loss {{train_loss:.4f}}  "
                  f"test loss {{test_loss:.4f}}  test acc {{test_acc:.4f}}  {{rate:,.0f}} samples/s",
                  flush=True)
            os.makedirs(args.out, exist_ok=True)
            state = {{"format": CHECKPOINT, "version": 1,
                     "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                     "schedule": schedule.state_dict(), "epoch": epoch, "test_accuracy": test_acc}}
            tmp = os.path.join(args.out, "last.pt.tmp")
            torch.save(state, tmp)
            os.replace(tmp, os.path.join(args.out, "last.pt"))  # never half a checkpoint
    if main_process:
        torch.save(model.state_dict(), os.path.join(args.out, "weights.pt"))
    if distributed:
        dist.barrier()  # rank 0 may still be saving; a rank that tears down early is aborted
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
'''


def export_training_script(
    graph: Graph,
    config: TrainConfig | None = None,
    result: Inference | None = None,
    weights_file: str | None = None,
) -> str:
    """A standalone training script for `graph` (needs torch and torchvision only), with
    `config`'s settings (the app's Training panel, or a run's) at the top. It trains on the
    same dataset by default; for the bundled subset, write `companion_files` beside it.
    `weights_file` names trained weights exported beside it, which its docstring suggests
    for fine-tuning."""
    result = _valid(graph, result)
    config = config or TrainConfig()
    problems = config.problems()
    if problems:
        raise ConvCanvasError("cannot export these training settings: " + "; ".join(problems))
    settings = asdict(config)
    if settings["dataset"] not in _SCRIPT_DATASETS:
        settings["dataset"] = "synthetic"  # an image folder: the script's data section is the place to adapt
    cls = class_name_for(graph.name)
    # the script trains on the scores before a final probability head, as the app does
    softmax = result.output if scores_node(graph, result) != result.output else None
    assert result.input_shape is not None and result.output_shape is not None  # a valid inference
    c, h, w = result.input_shape
    stem = _file_stem(graph)
    # the name and description come from the network file: only ever inside a docstring literal
    description = f"\n{graph.description.strip()}\n" if graph.description.strip() else ""
    about = _ABOUT.format(
        name=graph.name,
        description=description,
        params=result.total_params,
        stem=stem,
        dataset=settings["dataset"],
        epochs=settings["epochs"],
        bundled=BUNDLED_DATA,
        weights_hint=f", e.g. --weights {weights_file}" if weights_file else "",
    )
    return _SCRIPT.format(
        about=docstring(about),
        c=c,
        h=h,
        w=w,
        classes=result.output_shape[0],
        softmax=softmax,
        model=module_source(graph, result, cls).rstrip("\n"),
        cls=cls,
        schedule_code=inspect.getsource(schedule_factor).strip(),  # format inserts values verbatim
        bundled=BUNDLED_DATA,
        **settings,
    )


def companion_files(config: TrainConfig) -> dict[str, Path]:
    """Files the script needs beside it (name -> where to copy it from): the bundled subset
    when the settings train on it, so the script trains on what the app trained on."""
    if config.dataset != "mnist-mini":
        return {}
    return {BUNDLED_DATA: Path(str(resources.files("resources") / "data" / BUNDLED_DATA))}


def write_training_script(
    path: str | Path,
    graph: Graph,
    config: TrainConfig | None = None,
    result: Inference | None = None,
    weights: dict | None = None,
) -> list[Path]:
    """Write the training script to `path` with what it needs beside it: the bundled subset
    when it trains on that, and `weights` (a state dict) as ``<stem>_weights.safetensors`` to
    fine-tune from. Returns the files written."""
    from ..atomic import write_atomic

    path = Path(path)
    config = config or TrainConfig()
    weights_path = path.with_name(f"{path.stem.removesuffix('_train')}_weights.safetensors")
    source = export_training_script(graph, config, result, weights_path.name if weights else None)
    written = [path]
    write_atomic(path, source)
    for name, origin in companion_files(config).items():
        write_atomic(path.with_name(name), origin.read_bytes())
        written.append(path.with_name(name))
    if weights is not None:
        from .weights import save_state_dict

        save_state_dict(weights, weights_path, graph)
        written.append(weights_path)
    return written
