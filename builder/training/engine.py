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

import math
import os
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import ConvCanvasError, InvalidGraphError, Issue
from ..graph import Graph
from ..inference import infer, scores_node
from ..interop.torch_model import NetworkModule
from ..interop.weights import fitting_weights, fresh_blocks_message
from ..memory import memory_estimate
from .batches import DeviceData
from .checkpoints import (
    RunFolder,
    RunFolderError,
    TrainingState,
    check_resumable,
    checkpoint_graph,
    load_checkpoint,
    restore,
)
from .compatibility import check_compatibility
from .config import TrainConfig
from .control import Control
from .datasets import Dataset, load_dataset, skipped_message
from .devices import Precision, available_devices, device_name, prepare_device, select_device
from .records import (
    Checkpointed,
    DataWarning,
    DownloadProgress,
    EpochMetrics,
    LayerHealth,
    LrChanged,
    Paused,
    Record,
    Resumed,
    RunFinished,
    RunStarted,
    RunWarning,
    StepMetrics,
    record_fields,
)
from .schedules import schedule_factor
from .tensorboard_log import TensorBoardLog, missing_message

HEALTH_INTERVAL = 1.0  # seconds between LayerHealth records

_R = TypeVar("_R", bound=Record)


class TrainingError(ConvCanvasError):
    """The network and data cannot be trained together; `issues` say where and how to fix it."""

    def __init__(self, issues: list[Issue]):
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


@dataclass
class _Run:
    """One call of `Trainer.run`: what it trains with and how far it has got."""

    model: NetworkModule
    scores: nn.Module  # the model, or the part of it before a final probability head
    optimizer: torch.optim.Optimizer
    generator: torch.Generator  # on the CPU: batch order and augmentation, the same on any device
    state: TrainingState
    data: DeviceData
    precision: Precision
    steps_per_epoch: int
    total_steps: int
    started: float = 0.0  # perf_counter at the start, moved on by pauses
    last_health: float = 0.0
    epoch_times: list[float] = field(default_factory=list)


@dataclass
class _Epoch:
    """The epoch in progress. Per-step losses stay on the device until a record is due;
    reading the window then gives both its mean and the exact first non-finite step."""

    index: int  # 0-based
    start: float  # perf_counter at its start, moved on by pauses
    order: torch.Tensor  # the permutation of the training set it draws batches from
    losses: torch.Tensor
    correct: torch.Tensor
    last_report: float
    reported: int = 0  # steps already in a StepMetrics
    seen: int = 0  # training images so far


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
        initial_weights: dict[str, torch.Tensor] | None = None,
        initial_weights_source: str = "the given weights",
    ):
        here = None if config.device == "auto" else [d for d, _ in available_devices()]
        problems = config.problems(here)
        if problems:
            raise ConvCanvasError("bad training settings: " + "; ".join(problems))
        self.config = config
        self.device = select_device(config.device)  # before any download: a wrong device fails at once
        self.control = control or Control()
        self.run_dir = Path(run_dir) if run_dir else None
        self._resume = Path(resume) if resume else None
        self._checkpoint = load_checkpoint(self._resume) if self._resume else None
        # fine-tuning: start from these (imported or an earlier run's) instead of fresh values
        self._initial = (initial_weights, initial_weights_source) if initial_weights else None
        self.fresh_blocks: list[str] = []
        if self._checkpoint is not None and self._resume is not None:
            check_resumable(self._checkpoint, config, self._resume)
            graph = checkpoint_graph(self._checkpoint, self._resume)  # it goes on training its own graph
        self.graph = graph.copy()
        self.result = infer(self.graph)
        if not self.result.valid:
            raise InvalidGraphError(self.result.errors)
        self.dataset = dataset or self._load_dataset(on_download)
        issues = check_compatibility(
            self.graph, self.result, self.dataset.shape, self.dataset.num_classes, self.dataset.name
        )
        if issues:
            raise TrainingError(issues)
        self._folder = RunFolder(self.run_dir, self.graph, config) if self.run_dir else None
        if self._folder:
            self._folder.prepare()  # a folder that cannot be written fails here, before any training
        self._tensorboard: TensorBoardLog | None = None  # open while a run with a folder trains
        self.model: NetworkModule | None = None

    def _load_dataset(self, on_download: Callable[[DownloadProgress], None] | None) -> Dataset:
        name = self.config.dataset
        report = None
        if on_download is not None:

            def report(done: int, total: int | None) -> None:
                on_download(DownloadProgress(name, done, total))

        shape = self.result.input_shape
        image_shape = (shape[0], shape[1], shape[2]) if shape is not None and len(shape) == 3 else None
        return load_dataset(name, self.config.data_dir, input_shape=image_shape, progress=report)

    def run(self) -> Iterator[Record]:
        """Train, yielding records as things happen: `RunStarted` (and a `DataWarning` if
        some images could not be read); then `StepMetrics` every `report_interval` seconds,
        `LayerHealth`, `LrChanged`, `Paused` and `Resumed`; an `EpochMetrics` (and, with a
        run folder, a `Checkpointed`) per epoch; and last a `RunFinished`, also when the run
        is stopped or fails (a NaN loss, out of memory, a run folder that cannot be written)."""
        try:
            run = self._start()
        except ConvCanvasError as e:  # a checkpoint that does not fit, nothing to train
            yield from self._finish(None, "failed", str(e))
            return
        except (RuntimeError, MemoryError) as e:  # moving the data or the model to the device
            if not _out_of_memory(e):
                raise
            yield from self._finish(None, "failed", self._out_of_memory_message(e))
            return
        try:
            yield from self._train(run)
        finally:  # also when the caller stops iterating early
            if self._tensorboard is not None:
                self._tensorboard.close()
                self._tensorboard = None

    def _train(self, run: _Run) -> Iterator[Record]:
        """The run once set up: every epoch, then the `RunFinished`."""
        status, message = "completed", f"trained {self.config.epochs} epochs"
        try:
            yield self._emit(self._run_started(run))
            yield from self._open_tensorboard(run)
            if self.dataset.skipped:
                yield self._emit(DataWarning(skipped_message(self.dataset)))
            if self.fresh_blocks and self._initial is not None:
                yield self._emit(RunWarning(fresh_blocks_message(self.fresh_blocks, self._initial[1])))
            run.started = time.perf_counter()
            for epoch in range(run.state.epoch, self.config.epochs):
                trained = yield from self._train_epoch(run, epoch)
                if trained is None:
                    status, message = "stopped", f"stopped at step {run.state.step}"
                    break
                yield from self._end_epoch(run, trained)
        except _NonFinite as e:
            status, message = "failed", e.advice()
        except RunFolderError as e:  # a full disk or a folder made read-only mid-run
            status, message = "failed", str(e)
        except (RuntimeError, MemoryError) as e:
            if not _out_of_memory(e):
                raise
            status, message = "failed", self._out_of_memory_message(e)
        finally:
            if self.device.type == "cuda":
                torch.cuda.empty_cache()  # give the memory back to the app and other runs
        yield from self._finish(run, status, message)

    # -- setting up ---------------------------------------------------------------------

    def _start(self) -> _Run:
        """Set up the device, model, optimizer and data, restoring a checkpoint's progress."""
        cfg = self.config
        precision = prepare_device(self.device)
        torch.manual_seed(cfg.seed)  # the initial weights
        model, scores = self._build_model(precision.memory_format)
        optimizer = _make_optimizer(cfg, [p for p in model.parameters() if p.requires_grad])
        generator = torch.Generator().manual_seed(cfg.seed)
        state = TrainingState(base_lr=cfg.lr)
        if self._checkpoint is not None:
            state = restore(self._checkpoint, model, optimizer, generator, self._resume)
        elif self._initial is not None:
            fitting, self.fresh_blocks = fitting_weights(model.state_dict(), self._initial[0])
            model.load_state_dict(fitting, strict=False)
        data = DeviceData(self.dataset, self.device, precision.memory_format)
        steps_per_epoch = max(1, math.ceil(len(data.train_x) / cfg.batch_size))
        return _Run(
            model=model,
            scores=scores,
            optimizer=optimizer,
            generator=generator,
            state=state,
            data=data,
            precision=precision,
            steps_per_epoch=steps_per_epoch,
            total_steps=steps_per_epoch * cfg.epochs,
        )

    def _build_model(self, memory_format: torch.memory_format) -> tuple[NetworkModule, nn.Module]:
        """The network on the device, and the module whose output the loss reads."""
        model = NetworkModule(self.graph, self.result)
        scores: nn.Module = model
        source = scores_node(self.graph, self.result)
        if source is not None and source != self.result.output:
            # cross-entropy applies log-softmax itself; training on probabilities would apply
            # it twice. A probability head has no weights, so the saved state dict is unchanged.
            scores = _ScoresBefore(model, source)
        model.to(self.device)
        model.to(memory_format=memory_format)
        self.model = model
        return model, scores

    def _run_started(self, run: _Run) -> RunStarted:
        ds = self.dataset
        return RunStarted(
            str(self.device),
            device_name(self.device),
            ds.name,
            len(run.data.train_x),
            len(run.data.test_x),
            run.steps_per_epoch,
            run.total_steps,
            run.state.epoch,
            ds.classes,
        )

    def _open_tensorboard(self, run: _Run) -> Iterator[Record]:
        """Start the run folder's TensorBoard log with the network's graph; a `RunWarning`
        if TensorBoard is not installed or cannot trace the network."""
        if self._folder is None or not self.config.tensorboard:
            return
        self._tensorboard = TensorBoardLog.open(self._folder.path)
        if self._tensorboard is None:
            yield self._emit(RunWarning(missing_message()))
            return
        assert self.result.input_shape is not None  # a valid inference
        problem = self._tensorboard.add_graph(run.model, tuple(self.result.input_shape), self.device)
        if problem:
            yield self._emit(RunWarning(problem))
        self._tensorboard.add_filters(run.model, run.state.step)  # the starting filters

    # -- one epoch ----------------------------------------------------------------------

    def _train_epoch(self, run: _Run, index: int) -> Generator[Record, None, _Epoch | None]:
        """Train one epoch, reporting as it goes; the finished epoch, or None if stopped."""
        epoch = self._begin_epoch(run, index)
        batch, last = self.config.batch_size, run.steps_per_epoch - 1
        for i in range(run.steps_per_epoch):
            if self.control.paused:
                yield from self._pause(run, epoch)
            if self.control.stopped:
                return None
            self.control._offer_snapshot(run.model)
            lr, changed = self._learning_rate(run)
            if changed is not None:
                yield self._emit(changed)
            self._step(run, epoch, i, epoch.order[i * batch : (i + 1) * batch])
            now = time.perf_counter()
            if now - epoch.last_report >= self.config.report_interval or i == last:
                yield from self._report(run, epoch, i, lr, now)
        return epoch

    def _begin_epoch(self, run: _Run, index: int) -> _Epoch:
        start = time.perf_counter()
        run.model.train()
        device = run.data.train_x.device
        order = torch.randperm(len(run.data.train_x), generator=run.generator).to(device)
        losses = torch.zeros(run.steps_per_epoch, device=device)
        correct = torch.zeros((), device=device, dtype=torch.long)
        return _Epoch(index, start, order, losses, correct, last_report=time.perf_counter())

    def _pause(self, run: _Run, epoch: _Epoch) -> Iterator[Record]:
        """Wait while paused; the time spent waiting counts towards neither speed nor ETA."""
        yield Paused(run.state.step)
        paused_at = time.perf_counter()
        self.control._wait_while_paused()
        waited = time.perf_counter() - paused_at
        run.started += waited
        epoch.start += waited
        epoch.last_report = time.perf_counter()
        yield Resumed(run.state.step)

    def _learning_rate(self, run: _Run) -> tuple[float, LrChanged | None]:
        """Set this step's learning rate: the schedule's, from a base that a rate set through
        `Control` moves so that the schedule goes on from the new rate."""
        state, factor = run.state, schedule_factor(self.config.schedule, run.state.step, run.total_steps)
        new_lr = self.control._take_lr()
        if new_lr is not None:
            state.base_lr = new_lr / factor
        lr = state.base_lr * factor
        for group in run.optimizer.param_groups:
            group["lr"] = lr
        return lr, LrChanged(state.step, new_lr) if new_lr is not None else None

    def _step(self, run: _Run, epoch: _Epoch, i: int, idx: torch.Tensor) -> None:
        """One optimizer step on the batch at `idx`; its loss and hits stay on the device."""
        x, y = run.data.train_batch(idx, run.generator)
        with torch.enable_grad():  # whatever the calling thread's grad mode
            with run.precision.autocast:
                scores = run.scores(x)
                loss = F.cross_entropy(scores.float(), y, label_smoothing=self.config.label_smoothing)
            run.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            run.optimizer.step()
        run.state.step += 1
        epoch.losses[i] = loss.detach()
        epoch.correct += (scores.argmax(1) == y).sum()
        epoch.seen += len(idx)

    def _report(self, run: _Run, epoch: _Epoch, i: int, lr: float, now: float) -> Iterator[Record]:
        """A `StepMetrics` over the steps since the last one, read back in one sync (and a
        `LayerHealth` when one is due); a non-finite loss ends the run at its exact step."""
        window = epoch.losses[epoch.reported : i + 1].tolist()
        for k, value in enumerate(window):
            if not math.isfinite(value):
                raise _NonFinite(run.state.step - len(window) + k + 1, lr, self.config)
        rate = epoch.seen / (now - epoch.start)
        yield self._emit(StepMetrics(run.state.step, epoch.index, sum(window) / len(window), lr, rate))
        epoch.reported, epoch.last_report = i + 1, now
        if now - run.last_health >= HEALTH_INTERVAL:
            run.last_health = now
            yield LayerHealth(run.state.step, _grad_norms(run.model))

    def _end_epoch(self, run: _Run, epoch: _Epoch) -> Iterator[Record]:
        """Evaluate on the test set, report the epoch and save a checkpoint."""
        cfg, state = self.config, run.state
        train_time = time.perf_counter() - epoch.start
        test_loss, test_acc, confusion = _evaluate(
            run.scores, run.data, cfg.eval_batch_size, self.dataset.num_classes, run.precision.autocast
        )
        state.epoch = epoch.index + 1
        run.epoch_times.append(time.perf_counter() - epoch.start)
        record = EpochMetrics(
            state.epoch,
            state.step,
            float(epoch.losses.mean()),
            int(epoch.correct) / epoch.seen,
            test_loss,
            test_acc,
            epoch.seen / train_time,
            time.perf_counter() - run.started,
            (sum(run.epoch_times) / len(run.epoch_times)) * (cfg.epochs - state.epoch),
            confusion,
            tuple((row[k] / max(1, sum(row))) for k, row in enumerate(confusion)),
        )
        state.history.append(record_fields(record))
        yield self._emit(record)
        if self._tensorboard is not None:
            self._tensorboard.add_filters(run.model, state.step)
        if self._folder:
            path = self._folder.save_checkpoint(run.model, run.optimizer, run.generator, state)
            yield Checkpointed(state.epoch, str(path))

    # -- the end ------------------------------------------------------------------------

    def _finish(self, run: _Run | None, status: str, message: str) -> Iterator[Record]:
        if run is not None:
            self.control._offer_snapshot(run.model)  # the final weights, for a last look
            if status != "failed" and self._folder:
                try:
                    self._folder.save_weights(run.model)
                except RunFolderError as e:
                    status, message = "failed", str(e)
        history = run.state.history if run is not None else []
        epochs = run.state.epoch if run is not None else self._checkpoint["epoch"] if self._checkpoint else 0
        final = history[-1]["test_accuracy"] if history else None
        run_dir = str(self.run_dir) if self.run_dir else None
        record = RunFinished(status, message, epochs, final, run_dir)
        try:
            self._emit(record)
        except RunFolderError as e:  # the log misses its last line; the caller still hears why
            if status != "failed":
                record = RunFinished("failed", str(e), epochs, final, run_dir)
        yield record

    def _out_of_memory_message(self, error: BaseException) -> str:
        """What ran out (the device actually used), how much the run needs, and a batch size to try."""
        cfg = self.config
        estimate = memory_estimate(
            self.graph,
            cfg.batch_size,
            cfg.optimizer,
            momentum=cfg.momentum,
            device=self.device.type,
            result=self.result,
        )
        smaller = max(1, cfg.batch_size // 2)
        per_sample = max(1, estimate.activations // cfg.batch_size)
        fixed = estimate.total - estimate.activations
        room = _memory_size(self.device)
        if room is not None:
            fits = int((0.8 * room - fixed) // per_sample)
            smaller = max(1, min(smaller, 2 ** int(math.log2(fits)) if fits > 1 else 1))
        where = _memory_name(self.device)
        text = (
            f"out of memory on {where} at batch size {cfg.batch_size} (about {estimate.total / 2**20:,.0f} "
            f"MiB estimated: activations {estimate.activations / 2**20:,.0f} MiB)"
        )
        if cfg.batch_size == 1:
            return text + ". Fix: use a smaller network or input, another device, or close other programs"
        return text + f". Fix: try batch size {smaller}"

    def _emit(self, record: _R) -> _R:
        if self._folder:
            self._folder.log(record)
        if self._tensorboard is not None:
            self._tensorboard.log(record)
        return record


class _NonFinite(Exception):
    """The loss of `step` was NaN or infinite, training with `lr` and `config`'s other settings."""

    def __init__(self, step: int, lr: float, config: TrainConfig):
        self.step, self.lr, self.config = step, lr, config

    def advice(self) -> str:
        """The settings in play, and which to lower: momentum and weight decay blow a run up
        as surely as the learning rate, so a high one is named first."""
        cfg, lr = self.config, self.lr
        momentum = cfg.momentum if cfg.optimizer == "sgd" else 0.0
        in_play = [f"momentum {momentum:g}"] if momentum > 0 else []
        in_play += [f"weight decay {cfg.weight_decay:g}"] if cfg.weight_decay > 0 else []
        lower = [f"the momentum (try {0.9 if momentum > 0.95 else momentum / 2:g})"] if momentum > 0.9 else []
        if cfg.weight_decay > (0.1 if cfg.optimizer == "adamw" else 0.01):
            lower.append(f"the weight decay (try {cfg.weight_decay / 10:.3g})")
        lower.append(f"the learning rate (try {lr / 10:.3g})")
        settings = f"learning rate {lr:.3g}" + (f" with {' and '.join(in_play)}" if in_play else "")
        fix = ", ".join(lower[:-1]) + f" or {lower[-1]}" if len(lower) > 1 else lower[0]
        return (
            f"the loss became NaN or infinite at step {self.step} ({settings}); training stopped. "
            f"Fix: lower {fix}, or add BatchNorm"
        )


class _ScoresBefore(nn.Module):
    """The network up to node `source`: the class scores that feed its probability head."""

    def __init__(self, inner: NetworkModule, source: str):
        super().__init__()
        self.inner = inner
        self.source = source

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.inner.forward_all(x, keep=(self.source,))[self.source]

    def train(self, mode: bool = True) -> _ScoresBefore:
        self.inner.train(mode)
        return self


def _out_of_memory(error: BaseException) -> bool:
    """Whether `error` says the device ran out of memory: CUDA's OutOfMemoryError, the CPU
    allocator's RuntimeError ("DefaultCPUAllocator: can't allocate memory"), MPS's, or Python's."""
    if isinstance(error, (torch.OutOfMemoryError, MemoryError)):
        return True
    text = str(error)
    return "can't allocate memory" in text or "out of memory" in text.lower()


def _memory_name(device: torch.device) -> str:
    if device.type == "cuda":
        return f"the GPU {device} ({device_name(device)})"
    if device.type == "mps":
        return "the Apple GPU (mps)"
    return "the CPU (main memory)"


def _memory_size(device: torch.device) -> int | None:
    """Bytes of memory `device` has in all, if this machine says."""
    if device.type == "cuda":
        return int(torch.cuda.get_device_properties(device).total_memory)
    if device.type == "cpu" and hasattr(os, "sysconf"):
        try:
            return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
        except (ValueError, OSError):
            return None
    return None


def _make_optimizer(cfg: TrainConfig, params: list[nn.Parameter]) -> torch.optim.Optimizer:
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


def _grad_norms(model: nn.Module) -> tuple[tuple[str, float], ...]:
    """Per-block gradient norms with a single device sync."""
    blocks, squares = [], []
    # a block is a submodule, or a tensor the model owns directly (a LayerScale's scale)
    owned = [(name, (p,)) for name, p in model.named_parameters(recurse=False)]
    for name, params in [*((n, tuple(m.parameters())) for n, m in model.named_children()), *owned]:
        grads = [p.grad for p in params if p.grad is not None]
        if grads:
            blocks.append(name)
            squares.append(torch.stack([g.detach().float().pow(2).sum() for g in grads]).sum())
    if not squares:
        return ()
    values = torch.stack(squares).sqrt().tolist()
    return tuple(zip(blocks, values, strict=True))


@torch.no_grad()
def _evaluate(
    model: nn.Module,
    data: DeviceData,
    batch: int,
    classes: int,
    autocast: AbstractContextManager[object],
) -> tuple[float, float, tuple[tuple[int, ...], ...]]:
    """Mean loss, accuracy and confusion matrix on the test set, summed on the device and
    read back once at the end."""
    model.eval()
    device = data.test_x.device
    loss = torch.zeros((), device=device)
    confusion = torch.zeros(classes * classes, device=device, dtype=torch.long)
    for x, y in data.test_batches(batch):
        with autocast:
            scores = model(x).float()
        loss += F.cross_entropy(scores, y, reduction="sum")
        confusion += torch.bincount(y * classes + scores.argmax(1), minlength=classes * classes)
    matrix = confusion.view(classes, classes).cpu()
    total = max(1, len(data.test_x))
    rows = tuple(tuple(int(v) for v in row) for row in matrix)
    return float(loss) / total, float(matrix.diag().sum()) / total, rows


__all__ = ["Trainer", "TrainingError"]
