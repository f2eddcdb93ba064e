"""The training engine: a plain generator of small immutable records, no Qt.

    trainer = Trainer(graph, TrainConfig(dataset="mnist-mini", epochs=3))
    for record in trainer.run():
        print(record)

The dataset lives on the training device as one uint8 tensor; batches are drawn by a
random permutation, normalised (and augmented for natural images) there as whole-batch
tensor operations. Losses stay on the device and are read back only when a record is
due (a `.item()` is a synchronisation point). Another thread steers a run through its
`Control`: pause, resume, stop, and learning-rate changes take effect between steps.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ..atomic import write_atomic
from ..document import dumps_graph, graph_from_dict
from ..errors import ConvCanvasError, InvalidGraphError, Issue
from ..graph import Graph
from ..inference import Inference, infer, memory_estimate
from ..interop.torch_model import NetworkModule
from .datasets import Dataset, DatasetError, load_dataset

OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULES = ("constant", "step", "cosine", "onecycle")


@dataclass(frozen=True)
class TrainConfig:
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

    def problems(self) -> list[str]:
        out = []
        if self.optimizer not in OPTIMIZERS:
            out.append(f"optimizer {self.optimizer!r}: use one of {', '.join(OPTIMIZERS)}")
        if self.schedule not in SCHEDULES:
            out.append(f"schedule {self.schedule!r}: use one of {', '.join(SCHEDULES)}")
        if self.epochs < 1:
            out.append(f"epochs must be at least 1, got {self.epochs}")
        if self.batch_size < 1:
            out.append(f"batch size must be at least 1, got {self.batch_size}")
        if not (0 < self.lr < 10) or not math.isfinite(self.lr):
            out.append(f"learning rate must be between 0 and 10, got {self.lr}")
        if not 0 <= self.label_smoothing < 1:
            out.append(f"label smoothing must be in [0, 1), got {self.label_smoothing}")
        return out


# ----------------------------------------------------------------------------- records


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


class TrainingError(ConvCanvasError):
    """The network and data cannot be trained together; `issues` say where and how to fix it."""

    def __init__(self, issues: list[Issue]):
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


# ----------------------------------------------------------------------------- control


class Control:
    """Thread-safe steering of a run from another thread (for example a GUI)."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._unpaused = threading.Event()
        self._unpaused.set()
        self._lock = threading.Lock()
        self._new_lr: float | None = None
        self._snapshot_wanted = threading.Event()
        self._snapshot: dict | None = None

    def stop(self) -> None:
        self._stop.set()
        self._unpaused.set()  # a paused run must wake up to stop

    def pause(self) -> None:
        if not self._stop.is_set():
            self._unpaused.clear()

    def resume(self) -> None:
        self._unpaused.set()

    def set_lr(self, lr: float) -> None:
        if not (0 < lr < 10) or not math.isfinite(lr):
            raise ValueError(f"learning rate must be between 0 and 10, got {lr}")
        with self._lock:
            self._new_lr = lr

    def request_snapshot(self) -> None:
        """Ask for a copy of the weights; the run makes it between two steps (no torn reads)."""
        self._snapshot_wanted.set()

    def take_snapshot(self) -> dict | None:
        """The latest copy of the weights (CPU tensors), once; None if none is new."""
        with self._lock:
            snapshot, self._snapshot = self._snapshot, None
        return snapshot

    def _offer_snapshot(self, model) -> None:
        if self._snapshot_wanted.is_set():
            self._snapshot_wanted.clear()
            copy = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
            with self._lock:
                self._snapshot = copy

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        return not self._unpaused.is_set()

    def _take_lr(self) -> float | None:
        with self._lock:
            lr, self._new_lr = self._new_lr, None
        return lr

    def _wait_while_paused(self) -> None:
        while not self._unpaused.wait(0.05):
            pass


# ----------------------------------------------------------------------------- devices


def physical_cores() -> int:
    """Physical CPU cores available to this process (hyper-threads share one core's units)."""
    try:
        allowed = os.sched_getaffinity(0)
    except AttributeError:
        allowed = set(range(os.cpu_count() or 1))
    try:
        cores, core = set(), {}
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key, value = key.strip(), value.strip()
                if key in ("processor", "physical id", "core id"):
                    core[key] = value
                if not line.strip() and core:
                    if int(core.get("processor", -1)) in allowed:
                        cores.add((core.get("physical id"), core.get("core id", core.get("processor"))))
                    core = {}
        return max(1, len(cores)) if cores else max(1, len(allowed))
    except (OSError, ValueError):
        return max(1, len(allowed))


def available_devices() -> list[tuple[str, str]]:
    """(device, description) for each device this machine can train on."""
    out = []
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            out.append((f"cuda:{i}", f"GPU {i}: {torch.cuda.get_device_name(i)}"))
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        out.append(("mps", "Apple GPU (MPS)"))
    out.append(("cpu", f"CPU ({physical_cores()} cores)"))
    return out


def select_device(name: str = "auto") -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ConvCanvasError(f"unknown device {name!r}: use auto, cpu, cuda, cuda:N or mps") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConvCanvasError(
            f"CUDA is not available here (torch {torch.__version__}); use --device cpu or auto"
        )
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise ConvCanvasError(f"there is no {name}: this machine has {torch.cuda.device_count()} GPU(s)")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise ConvCanvasError("Apple MPS is not available here; use --device cpu or auto")
    return device


# ----------------------------------------------------------------------------- checks


def check_compatibility(
    graph: Graph, result: Inference, dataset_shape, num_classes: int, dataset: str
) -> list[Issue]:
    """Problems that stop `graph` from training on a dataset, each naming a node and a fix."""
    if not result.valid:
        return list(result.errors)
    issues = []
    input_id = graph.input_node().id
    if tuple(result.input_shape) != tuple(dataset_shape):
        shape = "x".join(map(str, dataset_shape))
        issues.append(
            Issue(
                input_id,
                f"the network takes {'x'.join(map(str, result.input_shape))} inputs but {dataset} images are "
                f"{shape}",
                f"set the Input shape to {shape}",
                code="input_mismatch",
                setting="shape",
            )
        )
    out = result.output_shape
    head = result.output
    if graph.nodes[head].type == "Softmax":
        head = graph.inputs_of(head)[0]
    if len(out) != 1:
        issues.append(
            Issue(
                result.output,
                f"the network ends with a {' x '.join(map(str, out))} tensor, but classification needs "
                "one score per class",
                f"end the network with Flatten and Linear({num_classes})",
                code="output_not_flat",
            )
        )
    elif out[0] != num_classes:
        fix = (
            f"set its units to {num_classes}"
            if graph.nodes[head].type == "Linear"
            else f"add a Linear({num_classes}) block at the end"
        )
        issues.append(
            Issue(
                head,
                f"the network outputs {out[0]} values but {dataset} has {num_classes} classes",
                fix,
                code="class_mismatch",
                setting="out_features",
            )
        )
    return issues


# ----------------------------------------------------------------------------- schedules


def schedule_factor(schedule: str, step: int, total: int) -> float:
    """Multiplier of the base learning rate at `step` of `total` (0-based)."""
    t = min(step / max(1, total), 1.0)
    if schedule == "constant":
        return 1.0
    if schedule == "step":  # divide by 10 at 50% and 75% of the run
        return 1.0 if t < 0.5 else 0.1 if t < 0.75 else 0.01
    if schedule == "cosine":
        return 0.5 * (1 + math.cos(math.pi * t))
    if schedule == "onecycle":  # linear warm-up over 30%, then cosine annealing
        if t < 0.3:
            return 0.04 + 0.96 * t / 0.3
        return 1e-4 + (1 - 1e-4) * 0.5 * (1 + math.cos(math.pi * (t - 0.3) / 0.7))
    raise ValueError(f"unknown schedule {schedule!r}")


# ----------------------------------------------------------------------------- trainer


@dataclass
class _State:
    """What a checkpoint restores besides the model and optimizer."""

    epoch: int = 0  # epochs completed
    step: int = 0
    base_lr: float = 0.0
    history: list[dict] = field(default_factory=list)


class Trainer:
    """Trains one graph on one dataset. Call `run()` and iterate over its records."""

    def __init__(
        self,
        graph: Graph,
        config: TrainConfig,
        control: Control | None = None,
        dataset: Dataset | None = None,
        run_dir: str | os.PathLike | None = None,
        resume: str | os.PathLike | None = None,
        on_download: Callable[[DownloadProgress], None] | None = None,
    ):
        problems = config.problems()
        if problems:
            raise ConvCanvasError("bad training settings: " + "; ".join(problems))
        self.config = config
        self.control = control or Control()
        self.run_dir = Path(run_dir) if run_dir else None
        self._resume = Path(resume) if resume else None
        checkpoint = None
        if self._resume:
            checkpoint = _load_checkpoint(self._resume)
            graph = graph_from_dict(json.loads(checkpoint["graph"]), str(self._resume))
        self.graph = graph.copy()
        self.result = infer(self.graph)
        if not self.result.valid:
            raise InvalidGraphError(self.result.errors)
        report = None
        if on_download is not None:

            def report(done: int, total: int | None) -> None:
                on_download(DownloadProgress(config.dataset, done, total))

        self.dataset = dataset or load_dataset(
            config.dataset, config.data_dir, input_shape=self.result.input_shape, progress=report
        )
        issues = check_compatibility(
            self.graph, self.result, self.dataset.shape, self.dataset.num_classes, self.dataset.name
        )
        if issues:
            raise TrainingError(issues)
        self.device = select_device(config.device)
        self._checkpoint = checkpoint
        self.model: NetworkModule | None = None

    # The generator is long; its parts read top to bottom like a training script.
    def run(self) -> Iterator[object]:
        cfg, device, ds = self.config, self.device, self.dataset
        if device.type == "cpu":
            torch.set_num_threads(physical_cores())
        cuda = device.type == "cuda"
        if cuda:
            torch.backends.cudnn.benchmark = True
        autocast = (
            torch.autocast("cuda", dtype=torch.bfloat16)
            if cuda and torch.cuda.is_bf16_supported()
            else nullcontext()
        )
        memory_format = torch.channels_last if cuda else torch.contiguous_format

        torch.manual_seed(cfg.seed)
        model = NetworkModule(self.graph, self.result)
        scores_model = model
        if self.graph.nodes[self.result.output].type == "Softmax":
            # cross-entropy applies log-softmax itself; training on probabilities would apply
            # it twice. Softmax has no weights, so the saved state dict is unchanged.
            scores_model = _without_final_softmax(model)
        model.to(device=device, memory_format=memory_format)
        self.model = model
        trainable = [p for p in model.parameters() if p.requires_grad]
        optimizer = _make_optimizer(cfg, trainable)
        generator = torch.Generator().manual_seed(cfg.seed)
        state = _State(base_lr=cfg.lr)
        if self._checkpoint is not None:
            state = _restore(self._checkpoint, model, optimizer, generator)

        train_x = ds.train_images.to(device)
        train_y = ds.train_labels.to(device)
        test_x = ds.test_images.to(device)
        test_y = ds.test_labels.to(device)
        mean = torch.tensor(ds.mean, device=device).view(1, -1, 1, 1)
        std = torch.tensor(ds.std, device=device).view(1, -1, 1, 1)
        n, batch = len(train_x), cfg.batch_size
        steps_per_epoch = max(1, math.ceil(n / batch))
        total_steps = steps_per_epoch * cfg.epochs
        self._prepare_run_dir()

        yield self._emit(
            RunStarted(
                str(device),
                _device_name(device),
                ds.name,
                n,
                len(test_x),
                steps_per_epoch,
                total_steps,
                state.epoch,
                ds.classes,
            )
        )

        scale, shift = 1 / (255 * std), -mean / std  # x/255 normalised, as one fused op

        def normalise(images: torch.Tensor) -> torch.Tensor:
            x = torch.addcmul(shift, images.float(), scale)
            return x.contiguous(memory_format=memory_format)

        started = time.perf_counter()
        last_health = 0.0
        epoch_times: list[float] = []
        status, message = "completed", f"trained {cfg.epochs} epochs"
        try:
            for epoch in range(state.epoch, cfg.epochs):
                epoch_start = time.perf_counter()
                model.train()
                order = torch.randperm(n, generator=generator).to(device)
                # per-step losses stay on the device until a record is due; reading the
                # window then gives both its mean and the exact first non-finite step
                losses = torch.zeros(steps_per_epoch, device=device)
                correct = torch.zeros((), device=device, dtype=torch.long)
                reported, last_report, seen = 0, time.perf_counter(), 0
                for i in range(steps_per_epoch):
                    if self.control.paused:
                        yield Paused(state.step)
                        paused_at = time.perf_counter()
                        self.control._wait_while_paused()
                        started += time.perf_counter() - paused_at
                        epoch_start += time.perf_counter() - paused_at
                        last_report = time.perf_counter()
                        yield Resumed(state.step)
                    if self.control.stopped:
                        status, message = "stopped", f"stopped at step {state.step}"
                        break
                    self.control._offer_snapshot(model)
                    new_lr = self.control._take_lr()
                    if new_lr is not None:
                        state.base_lr = new_lr / schedule_factor(cfg.schedule, state.step, total_steps)
                        yield self._emit(LrChanged(state.step, new_lr))
                    lr = state.base_lr * schedule_factor(cfg.schedule, state.step, total_steps)
                    for group in optimizer.param_groups:
                        group["lr"] = lr

                    idx = order[i * batch : (i + 1) * batch]
                    x, y = normalise(train_x[idx]), train_y[idx]
                    if ds.augment:
                        x = _augment(x, generator)
                    with torch.enable_grad():  # whatever the calling thread's grad mode
                        with autocast:
                            scores = scores_model(x)
                            loss = F.cross_entropy(scores.float(), y, label_smoothing=cfg.label_smoothing)
                        optimizer.zero_grad(set_to_none=True)
                        loss.backward()
                        optimizer.step()
                    state.step += 1
                    losses[i] = loss.detach()
                    correct += (scores.argmax(1) == y).sum()
                    seen += len(idx)
                    now = time.perf_counter()
                    if now - last_report >= cfg.report_interval or i == steps_per_epoch - 1:
                        window = losses[reported : i + 1].tolist()
                        for k, value in enumerate(window):
                            if not math.isfinite(value):
                                raise _NonFinite(state.step - len(window) + k + 1, lr)
                        yield self._emit(
                            StepMetrics(
                                state.step, epoch, sum(window) / len(window), lr, seen / (now - epoch_start)
                            )
                        )
                        reported, last_report = i + 1, now
                        if now - last_health >= HEALTH_INTERVAL:
                            last_health = now
                            yield LayerHealth(state.step, _grad_norms(model))
                if status == "stopped":
                    break

                train_time = time.perf_counter() - epoch_start
                test_loss, test_acc, confusion = _evaluate(
                    scores_model, test_x, test_y, normalise, cfg.eval_batch_size, ds.num_classes, autocast
                )
                state.epoch = epoch + 1
                epoch_times.append(time.perf_counter() - epoch_start)
                per_class = tuple((row[k] / max(1, sum(row))) for k, row in enumerate(confusion))
                record = EpochMetrics(
                    epoch + 1,
                    state.step,
                    float(losses.mean()),
                    int(correct) / seen,
                    test_loss,
                    test_acc,
                    seen / train_time,
                    time.perf_counter() - started,
                    (sum(epoch_times) / len(epoch_times)) * (cfg.epochs - epoch - 1),
                    confusion,
                    per_class,
                )
                state.history.append(_as_json(record))
                yield self._emit(record)
                if self.run_dir:
                    path = self._save_checkpoint(model, optimizer, generator, state)
                    yield Checkpointed(epoch + 1, str(path))
        except _NonFinite as e:
            status = "failed"
            message = (
                f"the loss became NaN or infinite at step {e.step} (learning rate {e.lr:.3g}); training "
                f"stopped. Fix: lower the learning rate (try {e.lr / 10:.3g}), or add BatchNorm"
            )
        except torch.OutOfMemoryError:
            status = "failed"
            message = self._out_of_memory_message()
        finally:
            if cuda:
                torch.cuda.empty_cache()
        self.control._offer_snapshot(model)
        if status != "failed" and self.run_dir:
            from ..interop.weights import save_weights

            save_weights(model, self.run_dir / "weights.safetensors", self.graph)
        final = state.history[-1]["test_accuracy"] if state.history else None
        yield self._emit(
            RunFinished(status, message, state.epoch, final, str(self.run_dir) if self.run_dir else None)
        )

    # -- helpers ----------------------------------------------------------------------

    def _out_of_memory_message(self) -> str:
        cfg = self.config
        estimate = memory_estimate(self.result, cfg.batch_size, cfg.optimizer)
        smaller = max(1, cfg.batch_size // 2)
        if torch.cuda.is_available():
            total = torch.cuda.get_device_properties(self.device).total_memory
            per_sample = max(1, estimate.activations // cfg.batch_size)
            fixed = estimate.total - estimate.activations
            fits = int(max(1, (0.8 * total - fixed) // per_sample))
            smaller = max(1, min(smaller, 2 ** int(math.log2(fits)) if fits > 1 else 1))
        return (
            f"out of GPU memory at batch size {cfg.batch_size} (about {estimate.total / 2**20:,.0f} MiB "
            f"estimated: activations {estimate.activations / 2**20:,.0f} MiB). Fix: try batch size {smaller}"
        )

    def _prepare_run_dir(self) -> None:
        if not self.run_dir:
            return
        (self.run_dir / "checkpoints").mkdir(parents=True, exist_ok=True)
        write_atomic(self.run_dir / "graph.json", dumps_graph(self.graph))
        write_atomic(self.run_dir / "config.json", json.dumps(asdict(self.config), indent=2) + "\n")

    def _emit(self, record):
        if self.run_dir and isinstance(record, EpochMetrics | StepMetrics | LrChanged | RunFinished):
            with open(self.run_dir / "metrics.jsonl", "a") as f:
                f.write(json.dumps({"type": type(record).__name__, **_as_json(record)}) + "\n")
        return record

    def _save_checkpoint(self, model, optimizer, generator, state: _State) -> Path:
        import io

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
        path = self.run_dir / "checkpoints" / f"epoch_{state.epoch:03d}.pt"
        write_atomic(path, data)
        write_atomic(self.run_dir / "checkpoints" / "last.pt", data)
        return path


HEALTH_INTERVAL = 1.0  # seconds between LayerHealth records


def _grad_norms(model: nn.Module) -> tuple[tuple[str, float], ...]:
    """Per-block gradient norms with a single device sync."""
    blocks, squares = [], []
    for name, module in model.named_children():
        grads = [p.grad for p in module.parameters() if p.grad is not None]
        if grads:
            blocks.append(name)
            squares.append(torch.stack([g.detach().float().pow(2).sum() for g in grads]).sum())
    if not squares:
        return ()
    values = torch.stack(squares).sqrt().tolist()
    return tuple(zip(blocks, values, strict=True))


class _NonFinite(Exception):
    def __init__(self, step: int, lr: float):
        self.step, self.lr = step, lr


def _without_final_softmax(model: NetworkModule) -> nn.Module:
    class Scores(nn.Module):
        def __init__(self, inner: NetworkModule):
            super().__init__()
            self.inner = inner
            self.before = inner._steps[-1][2][0]

        def forward(self, x):
            return self.inner.forward_all(x, keep=(self.before,))[self.before]

        def train(self, mode: bool = True):
            self.inner.train(mode)
            return self

    return Scores(model)


def _device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    if device.type == "mps":
        return "Apple GPU (MPS)"
    return f"CPU ({torch.get_num_threads()} threads)"


def _make_optimizer(cfg: TrainConfig, params) -> torch.optim.Optimizer:
    if not params:
        raise ConvCanvasError("every block is frozen: there is nothing to train. Fix: unfreeze a block")
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(
            params,
            lr=cfg.lr,
            momentum=cfg.momentum,
            nesterov=cfg.nesterov and cfg.momentum > 0,
            weight_decay=cfg.weight_decay,
        )
    if cfg.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)


def _augment(x: torch.Tensor, generator: torch.Generator, pad: int = 4) -> torch.Tensor:
    """Random crop with reflect padding and random horizontal flip, per image, as tensor ops."""
    n, _, h, w = x.shape
    device = x.device
    padded = F.pad(x, (pad, pad, pad, pad), mode="reflect")
    dy = torch.randint(0, 2 * pad + 1, (n, 1), generator=generator).to(device)
    dx = torch.randint(0, 2 * pad + 1, (n, 1), generator=generator).to(device)
    rows = (dy + torch.arange(h, device=device)).view(n, 1, h, 1).expand(n, x.shape[1], h, w + 2 * pad)
    x = padded.gather(2, rows)
    cols = (dx + torch.arange(w, device=device)).view(n, 1, 1, w).expand(n, x.shape[1], h, w)
    x = x.gather(3, cols)
    flip = (torch.rand(n, generator=generator) < 0.5).to(device).view(n, 1, 1, 1)
    return torch.where(flip, x.flip(3), x)


@torch.no_grad()
def _evaluate(model, images, labels, normalise, batch, classes, autocast):
    model.eval()
    loss = torch.zeros((), device=images.device)
    confusion = torch.zeros(classes * classes, device=images.device, dtype=torch.long)
    for i in range(0, len(images), batch):
        x, y = normalise(images[i : i + batch]), labels[i : i + batch]
        with autocast:
            scores = model(x).float()
        loss += F.cross_entropy(scores, y, reduction="sum")
        confusion += torch.bincount(y * classes + scores.argmax(1), minlength=classes * classes)
    matrix = confusion.view(classes, classes).cpu()
    total = max(1, len(images))
    rows = tuple(tuple(int(v) for v in row) for row in matrix)
    return float(loss) / total, float(matrix.diag().sum()) / total, rows


def _as_json(record) -> dict:
    return {k: getattr(record, k) for k in record.__dataclass_fields__}


def _load_checkpoint(path: Path) -> dict:
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise ConvCanvasError(f"checkpoint {path} does not exist") from None
    except Exception as e:
        raise ConvCanvasError(
            f"checkpoint {path} cannot be read ({type(e).__name__}); is it a "
            "ConvCanvas checkpoint (checkpoints/last.pt of a run)?"
        ) from None


def _restore(checkpoint: dict, model, optimizer, generator) -> _State:
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    generator.set_state(checkpoint["generator"])
    torch.set_rng_state(checkpoint["torch_rng"])
    if checkpoint.get("cuda_rng") and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(checkpoint["cuda_rng"])
    return _State(checkpoint["epoch"], checkpoint["step"], checkpoint["base_lr"], list(checkpoint["history"]))


__all__ = [
    "Checkpointed",
    "Control",
    "DatasetError",
    "DownloadProgress",
    "EpochMetrics",
    "LayerHealth",
    "LrChanged",
    "Paused",
    "Resumed",
    "RunFinished",
    "RunStarted",
    "StepMetrics",
    "TrainConfig",
    "Trainer",
    "TrainingError",
    "available_devices",
    "check_compatibility",
    "physical_cores",
    "schedule_factor",
    "select_device",
]
