"""A run folder holds TensorBoard event files; without TensorBoard a run trains and says once how
to get them."""

from __future__ import annotations

import json
import sys

import pytest
import torch

from builder import (
    Dataset,
    RunFinished,
    RunWarning,
    TrainConfig,
    Trainer,
    load_template,
)


def tiny_digits(n: int = 96) -> Dataset:
    """Random 1x28x28 images in ten classes: enough for a short run, no download."""
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (n, 1, 28, 28), dtype=torch.uint8, generator=generator)
    labels = torch.arange(n) % 10
    digits = tuple("0123456789")
    return Dataset("synthetic", images, labels, images[:32], labels[:32], digits, (0.5,), (0.25,))


def short_run(tmp_path, **settings) -> list:
    config = TrainConfig(epochs=2, batch_size=32, device="cpu", report_interval=0, **settings)
    trainer = Trainer(load_template("lenet5"), config, dataset=tiny_digits(), run_dir=tmp_path / "run")
    return list(trainer.run())


def read_events(folder):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(folder), size_guidance={"scalars": 0, "images": 0})
    events.Reload()
    return events


def test_a_run_writes_scalars_graph_and_filters_for_tensorboard(tmp_path):
    pytest.importorskip("tensorboard")
    records = short_run(tmp_path)
    assert records[-1].status == "completed" and not any(isinstance(r, RunWarning) for r in records)
    events = read_events(tmp_path / "run")
    tags = events.Tags()
    scalars = set(tags["scalars"])
    per_step = {"loss/train", "learning_rate", "samples_per_sec"}
    per_epoch = {"loss/train_epoch", "loss/test", "accuracy/train", "accuracy/test"}
    assert per_step | per_epoch <= scalars
    steps = [e.step for e in events.Scalars("loss/train")]
    assert len(steps) == 6 and steps == sorted(steps)  # every report of 3 steps x 2 epochs
    assert [e.step for e in events.Scalars("accuracy/test")] == [3, 6]  # per epoch, on the step axis
    assert [e.value for e in events.Scalars("learning_rate")] == pytest.approx([1e-3] * 6)
    assert tags["graph"]  # the network, traced
    assert tags["images"] == ["filters/conv1"]
    filters = events.Images("filters/conv1")
    assert [e.step for e in filters] == [0, 3, 6] and filters[0].width >= 6 * 25  # six filters, enlarged


def test_tensorboard_logs_can_be_turned_off(tmp_path):
    records = short_run(tmp_path, tensorboard=False)
    assert records[-1].status == "completed"
    assert not list((tmp_path / "run").glob("events.out.tfevents.*"))


def test_without_tensorboard_the_run_finishes_with_one_warning(tmp_path, monkeypatch):
    # as if the tensorboard package were not installed: torch's import of it fails
    monkeypatch.setitem(sys.modules, "tensorboard", None)
    for name in [m for m in sys.modules if m.startswith("torch.utils.tensorboard")]:
        monkeypatch.delitem(sys.modules, name)
    records = short_run(tmp_path)
    warnings = [r for r in records if isinstance(r, RunWarning)]
    assert len(warnings) == 1
    assert "TensorBoard is not installed" in warnings[0].message
    assert "pip install convcanvas[tensorboard]" in warnings[0].message
    finished = records[-1]
    assert isinstance(finished, RunFinished) and finished.status == "completed" and finished.epochs_done == 2
    assert not list((tmp_path / "run").glob("events.out.tfevents.*"))
    logged = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [line["type"] for line in logged].count("RunWarning") == 1  # the run folder keeps it too


def test_the_command_line_switch():
    import argparse

    from builder.cli import train

    parser = argparse.ArgumentParser()
    train.configure(parser)
    assert train._config(parser.parse_args(["lenet5"])).tensorboard is True
    assert train._config(parser.parse_args(["lenet5", "--no-tensorboard"])).tensorboard is False
