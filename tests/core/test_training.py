"""The training engine on the bundled MNIST subset and small synthetic data."""

import json
import threading
from dataclasses import replace

import pytest
import torch

from builder import (
    Control,
    Dataset,
    EpochMetrics,
    LrChanged,
    Paused,
    Resumed,
    RunFinished,
    RunWarning,
    StepMetrics,
    TrainConfig,
    Trainer,
    TrainingError,
    chain,
    load_dataset,
    load_image_folder,
    load_template,
    schedule_factor,
)
from builder import cli_main as main
from builder.training.batches import _augment

FAST = TrainConfig(epochs=2, batch_size=64, lr=2e-3, device="cpu")


@pytest.fixture(scope="module")
def mini():
    """A third of the bundled subset: enough to learn, quick to train."""
    ds = load_dataset("mnist-mini")
    return replace(
        ds,
        train_images=ds.train_images[:1500],
        train_labels=ds.train_labels[:1500],
        test_images=ds.test_images[:500],
        test_labels=ds.test_labels[:500],
    )


def records(trainer):
    return list(trainer.run())


def of(kind, items):
    return [r for r in items if isinstance(r, kind)]


def small_net():
    return chain(
        (1, 28, 28),
        ("Conv2d", {"out_channels": 8, "kernel_size": 5}),
        "ReLU",
        ("MaxPool2d", {"kernel_size": 2}),
        "Flatten",
        ("Linear", {"out_features": 10}),
        name="small",
    )


def test_loss_falls_and_accuracy_rises_on_bundled_mnist():
    out = records(Trainer(load_template("lenet5"), replace(FAST, epochs=3)))
    epochs = of(EpochMetrics, out)
    assert [e.epoch for e in epochs] == [1, 2, 3]
    assert epochs[-1].train_loss < epochs[0].train_loss * 0.6
    assert epochs[-1].test_accuracy > 0.85
    assert epochs[-1].test_accuracy >= epochs[0].test_accuracy
    confusion = epochs[-1].confusion
    assert len(confusion) == 10 and sum(map(sum, confusion)) == 1000
    assert of(RunFinished, out)[0].status == "completed"
    assert of(StepMetrics, out), "step records at a bounded rate"


def test_step_records_are_rate_limited(mini):
    out = records(Trainer(small_net(), replace(FAST, epochs=1, report_interval=10.0), dataset=mini))
    # one record per epoch end at most when the interval is longer than the run
    assert len(of(StepMetrics, out)) == 1


def test_pause_resume_and_stop_from_another_thread(mini):
    control = Control()
    trainer = Trainer(
        small_net(), replace(FAST, epochs=50, report_interval=0.0), control=control, dataset=mini
    )
    seen = []

    def consume():
        for r in trainer.run():
            seen.append(r)
            if isinstance(r, StepMetrics) and r.step == 3:
                control.pause()

    worker = threading.Thread(target=consume)
    worker.start()
    for _ in range(200):
        if of(Paused, seen):
            break
        threading.Event().wait(0.02)
    paused_step = of(Paused, seen)[0].step
    threading.Event().wait(0.3)
    assert max(r.step for r in of(StepMetrics, seen)) <= paused_step  # nothing trains while paused
    control.resume()
    threading.Event().wait(0.2)
    assert of(Resumed, seen)
    control.stop()
    worker.join(timeout=20)
    assert not worker.is_alive()
    final = of(RunFinished, seen)[0]
    assert final.status == "stopped" and final.epochs_done < 50


def test_stop_while_paused_ends_the_run(mini):
    control = Control()
    trainer = Trainer(small_net(), replace(FAST, epochs=50), control=control, dataset=mini)
    control.pause()
    result = []
    worker = threading.Thread(target=lambda: result.extend(trainer.run()))
    worker.start()
    threading.Event().wait(0.3)
    control.stop()
    worker.join(timeout=20)
    assert not worker.is_alive() and of(RunFinished, result)[0].status == "stopped"


def test_learning_rate_change_mid_run_is_recorded(mini):
    control = Control()
    trainer = Trainer(
        small_net(), replace(FAST, epochs=1, report_interval=0.0), control=control, dataset=mini
    )
    out = []
    for r in trainer.run():
        out.append(r)
        if isinstance(r, StepMetrics) and r.step == 2:
            control.set_lr(1e-4)
    (change,) = of(LrChanged, out)
    assert change.lr == 1e-4 and change.step == 2
    assert all(r.lr == pytest.approx(1e-4) for r in of(StepMetrics, out) if r.step > 2)


def test_resume_from_checkpoint_matches_an_uninterrupted_run(mini, tmp_path):
    torch.use_deterministic_algorithms(True)
    try:
        config = replace(FAST, epochs=2, schedule="cosine", optimizer="sgd", lr=0.05)
        graph = small_net()
        full = of(EpochMetrics, records(Trainer(graph, config, dataset=mini, run_dir=tmp_path / "a")))
        resumed = records(
            Trainer(
                graph,
                config,
                dataset=mini,
                run_dir=tmp_path / "b",
                resume=tmp_path / "a" / "checkpoints" / "epoch_001.pt",
            )
        )
        (second,) = of(EpochMetrics, resumed)
        assert second.epoch == 2
        assert second.train_loss == full[1].train_loss
        assert second.test_loss == full[1].test_loss and second.confusion == full[1].confusion
    finally:
        torch.use_deterministic_algorithms(False)


def test_run_folder_holds_graph_config_metrics_and_weights(mini, tmp_path):
    records(Trainer(small_net(), replace(FAST, epochs=1), dataset=mini, run_dir=tmp_path))
    assert json.loads((tmp_path / "graph.json").read_text())["name"] == "small"
    assert json.loads((tmp_path / "config.json").read_text())["epochs"] == 1
    lines = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert {"StepMetrics", "EpochMetrics", "RunFinished"} <= {line["type"] for line in lines}
    assert (tmp_path / "weights.safetensors").exists() and (tmp_path / "checkpoints" / "last.pt").exists()
    assert not list(tmp_path.rglob("*.tmp"))


def test_nan_loss_stops_the_run_and_names_the_step(mini):
    broken = replace(mini, std=(0.0,))  # division by zero: every input is inf or NaN
    out = records(Trainer(small_net(), FAST, dataset=broken))
    final = of(RunFinished, out)[0]
    assert final.status == "failed"
    assert "NaN or infinite at step 1" in final.message and "lower the learning rate" in final.message
    assert not of(EpochMetrics, out)


def test_shape_and_class_mismatches_name_the_node_and_fix(mini):
    with pytest.raises(TrainingError) as e:
        Trainer(load_template("cifar_cnn"), FAST, dataset=mini)
    (issue,) = e.value.issues
    assert issue.node == "input" and "3x32x32" in issue.message and "1x28x28" in issue.fix
    graph = load_template("lenet5")
    graph.set_settings("fc2", {"out_features": 7})
    with pytest.raises(TrainingError) as e:
        Trainer(graph, FAST, dataset=mini)
    (issue,) = e.value.issues
    assert issue.node == "fc2" and issue.code == "class_mismatch" and "set its units to 10" in issue.fix
    with pytest.raises(TrainingError) as e:
        Trainer(chain((1, 28, 28), ("Conv2d", {"out_channels": 10})), FAST, dataset=mini)
    assert "Flatten and Linear(10)" in e.value.issues[0].fix


def test_frozen_blocks_keep_their_weights(mini):
    graph = small_net()
    graph.nodes["conv1"].frozen = True
    trainer = Trainer(graph, replace(FAST, epochs=1), dataset=mini)
    torch.manual_seed(0)
    records(trainer)
    from builder import build_model

    torch.manual_seed(FAST.seed)
    fresh = build_model(graph)
    assert torch.equal(trainer.model.conv1.weight.cpu(), fresh.conv1.weight)
    assert not torch.equal(trainer.model.fc1.weight.cpu(), fresh.fc1.weight)


def test_trailing_softmax_is_trained_on_scores(mini):
    graph = small_net()
    graph.connect("fc1", graph.add_node("Softmax").id)
    epochs = of(EpochMetrics, records(Trainer(graph, replace(FAST, epochs=2), dataset=mini)))
    assert epochs[-1].test_accuracy > 0.8  # a double softmax would barely learn in two epochs


def test_optimizers_and_schedules_run(mini):
    for optimizer, schedule in [("sgd", "step"), ("adamw", "onecycle"), ("adam", "cosine")]:
        cfg = replace(
            FAST,
            epochs=1,
            optimizer=optimizer,
            schedule=schedule,
            nesterov=True,
            weight_decay=1e-4,
            label_smoothing=0.1,
            lr=0.01,
        )
        final = of(RunFinished, records(Trainer(small_net(), cfg, dataset=mini)))[0]
        assert final.status == "completed", (optimizer, schedule)


def test_schedules_start_and_end_where_expected():
    assert schedule_factor("constant", 50, 100) == 1.0
    assert schedule_factor("cosine", 0, 100) == 1.0 and schedule_factor("cosine", 100, 100) == pytest.approx(
        0
    )
    assert schedule_factor("step", 80, 100) == pytest.approx(0.01)
    assert schedule_factor("onecycle", 30, 100) == pytest.approx(1.0)
    assert schedule_factor("onecycle", 0, 100) < 0.1


def test_augmentation_crops_and_flips_per_image():
    x = torch.arange(2 * 3 * 8 * 8, dtype=torch.float32).view(2, 3, 8, 8)
    out = _augment(x, torch.Generator().manual_seed(0))
    assert out.shape == x.shape
    assert not torch.equal(out, x)
    assert _augment(x, torch.Generator().manual_seed(0)).equal(out)  # seeded, so reproducible


def test_image_folder_dataset(tmp_path):
    from torchvision.io import write_png

    for label, value in (("cat", 30), ("dog", 220)):
        (tmp_path / label).mkdir()
        for i in range(5):
            image = torch.full((3, 20, 24), value + i, dtype=torch.uint8)
            write_png(image, str(tmp_path / label / f"{i}.png"))
    (tmp_path / "dog" / "broken.png").write_bytes(b"not an image")
    ds = load_image_folder(tmp_path, (3, 16, 16))
    assert ds.classes == ("cat", "dog") and ds.shape == (3, 16, 16)
    assert len(ds.train_images) + len(ds.test_images) == 10
    assert ds.skipped == (str(tmp_path / "dog" / "broken.png"),)  # left out, and said so
    assert len(ds.test_images) == 2 and set(ds.test_labels.tolist()) == {0, 1}
    again = load_image_folder(tmp_path, (3, 16, 16))  # from the cache
    assert torch.equal(again.train_images, ds.train_images)
    with pytest.raises(Exception, match="sub-folders"):
        load_image_folder(tmp_path / "cat", (3, 16, 16))


def test_cli_train_json(tmp_path, capsys):
    assert (
        main(["train", "lenet5", "--epochs", "1", "--device", "cpu", "--json", "--out", str(tmp_path)]) == 0
    )
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[0]["type"] == "epoch" and lines[-1]["type"] == "final"
    assert 0.5 < lines[-1]["test_accuracy"] <= 1
    assert main(["train", "cifar_cnn", "--epochs", "1", "--out", str(tmp_path / "x")]) == 1
    assert "Input shape to 1x28x28" in capsys.readouterr().err


def test_unknown_dataset_and_bad_settings_are_explained():
    with pytest.raises(Exception, match="unknown dataset"):
        load_dataset("imagenet-21k")
    with pytest.raises(Exception, match="optimizer"):
        Trainer(small_net(), replace(FAST, optimizer="lion"))
    with pytest.raises(Exception, match="not available"):
        Trainer(small_net(), replace(FAST, device="mps" if torch.cuda.is_available() else "cuda"))


def test_dataset_shapes_are_uint8(mini):
    assert isinstance(mini, Dataset)
    assert mini.train_images.dtype == torch.uint8 and mini.shape == (1, 28, 28)


def test_trains_even_when_the_caller_disabled_gradients(mini):
    with torch.no_grad():
        final = of(RunFinished, records(Trainer(small_net(), replace(FAST, epochs=1), dataset=mini)))[0]
    assert final.status == "completed"


def test_weight_snapshots_are_made_between_steps_on_request(mini):
    control = Control()
    trainer = Trainer(
        small_net(), replace(FAST, epochs=1, report_interval=0.0), control=control, dataset=mini
    )
    assert control.take_snapshot() is None
    snapshots = []
    for r in trainer.run():
        if isinstance(r, StepMetrics) and r.step == 2:
            control.request_snapshot()
        if isinstance(r, StepMetrics) and r.step == 4:
            snapshots.append(control.take_snapshot())
    assert snapshots[0] is not None and set(snapshots[0]) == set(trainer.model.state_dict())
    assert snapshots[0]["conv1.weight"].device.type == "cpu"
    assert not torch.equal(snapshots[0]["conv1.weight"], trainer.model.conv1.weight.detach().cpu())
    assert control.take_snapshot() is None  # taken once


def test_out_of_memory_is_reported_with_a_smaller_batch_to_try(mini, monkeypatch):
    from builder import NetworkModule

    def exhausted(self, x, keep=None):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(NetworkModule, "forward_all", exhausted)
    out = records(Trainer(small_net(), replace(FAST, batch_size=256), dataset=mini))
    final = of(RunFinished, out)[0]
    assert final.status == "failed"
    # the run is on the CPU: the message says so, even for CUDA's exception type
    assert "out of memory on the CPU" in final.message and "GPU" not in final.message
    assert "at batch size 256" in final.message and "try batch size 128" in final.message
    assert "MiB estimated" in final.message


def test_layer_health_reports_gradient_norms_of_trained_blocks(mini, monkeypatch):
    import builder.training.engine as training
    from builder import LayerHealth

    monkeypatch.setattr(training, "HEALTH_INTERVAL", 0.0)
    graph = small_net()
    graph.nodes["conv1"].frozen = True
    out = records(Trainer(graph, replace(FAST, epochs=1, report_interval=0.0), dataset=mini))
    health = of(LayerHealth, out)
    assert health and health[0].step >= 1
    norms = dict(health[-1].grad_norms)
    assert set(norms) == {"fc1"}  # the frozen conv1 gets no gradient; the rest have no weights
    assert norms["fc1"] > 0


def test_training_starts_from_given_weights_and_names_the_blocks_that_start_fresh(mini, tmp_path):
    first = Trainer(small_net(), replace(FAST, epochs=1), dataset=mini)
    records(first)
    trained = {k: v.clone() for k, v in first.model.state_dict().items()}
    accuracy = of(EpochMetrics, records(Trainer(small_net(), replace(FAST, epochs=1), dataset=mini)))[-1]

    graph = small_net()
    changed = next(n for n in graph.nodes.values() if n.type == "Linear")
    graph.set_settings(changed.id, {"bias": False})  # its weight still fits, its bias is gone
    conv = next(n for n in graph.nodes.values() if n.type == "Conv2d")
    (after,) = graph.outputs_of(conv.id)
    graph.disconnect(conv.id, after)
    added = graph.add_node("BatchNorm2d")  # a block the weights know nothing of: starts fresh
    graph.connect(conv.id, added.id)
    graph.connect(added.id, after)
    tuned = Trainer(
        graph,
        replace(FAST, epochs=1, lr=1e-9),
        dataset=mini,
        initial_weights=trained,
        initial_weights_source="w",
    )
    run = tuned.run()
    warnings = []
    for record in run:
        if isinstance(record, RunWarning) and "fresh" in record.message:
            warnings.append(record.message)
        if isinstance(record, StepMetrics):
            break
    run.close()
    assert tuned.fresh_blocks == [added.id]
    (message,) = warnings
    assert added.id in message and "not from w" in message
    state = tuned.model.state_dict()
    for block in (conv.id, changed.id):  # lr 1e-9: one step leaves them where they started
        assert torch.allclose(state[f"{block}.weight"], trained[f"{block}.weight"], atol=1e-6)
    assert accuracy.test_accuracy > 0.5  # a sanity check that the weights are worth starting from


def test_gradient_norms_include_tensors_that_blocks_own_directly():
    """A LayerScale's scale is a parameter of the model itself, not of a submodule."""
    from builder import build_model, chain
    from builder.training.engine import _grad_norms

    model = build_model(chain((2, 4, 4), ("Conv2d", {"out_channels": 3}), ("LayerScale", {"init": 0.5})))
    model(torch.randn(2, 2, 4, 4)).sum().backward()
    norms = dict(_grad_norms(model))
    assert set(norms) == {"conv1", "scale1"} and norms["scale1"] > 0
