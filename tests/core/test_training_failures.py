"""Whatever a user passes to training or opens in it ends in a one-line message that says what
is wrong and what to do, or a `RunFinished("failed")`, never a traceback or lost work."""

from __future__ import annotations

import errno
import io
import json
from dataclasses import replace

import pytest
import torch

from builder import (
    Dataset,
    EpochMetrics,
    NetworkModule,
    RunFinished,
    TrainConfig,
    Trainer,
    chain,
)
from builder import cli_main as main
from builder.training import CheckpointError, DataWarning
from builder.training.checkpoints import FORMAT, SCRIPT_FORMAT, VERSION, load_checkpoint

CPU = TrainConfig(epochs=1, batch_size=32, lr=2e-3, device="cpu")


def tiny_dataset(n: int = 96, name: str = "tiny") -> Dataset:
    """Ten classes of 8x8 images, each class a brightness level: learnable, instant to train."""
    labels = torch.arange(n) % 10
    images = (labels * 25).view(n, 1, 1, 1).expand(n, 1, 8, 8).to(torch.uint8).contiguous()
    return Dataset(name, images, labels, images[:20], labels[:20], tuple("0123456789"), (0.5,), (0.3,))


def tiny_net():
    return chain((1, 8, 8), "Flatten", ("Linear", {"out_features": 10}), name="tiny")


def finish(out):
    (final,) = [r for r in out if isinstance(r, RunFinished)]
    return final


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and "\n" not in err, err
    return err


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    """A finished one-epoch run folder: checkpoints/last.pt, weights.safetensors, config.json."""
    folder = tmp_path_factory.mktemp("run")
    out = list(Trainer(tiny_net(), CPU, dataset=tiny_dataset(), run_dir=folder).run())
    assert finish(out).status == "completed"
    return folder


# -- 1. --resume with files that are not checkpoints ----------------------------------------


def _write(path, blob) -> None:
    buffer = io.BytesIO()
    torch.save(blob, buffer)
    path.write_bytes(buffer.getvalue())


def _wrong_files(run_folder, tmp):
    """name -> (path to resume from, words the message must hold)."""
    last = (run_folder / "checkpoints" / "last.pt").read_bytes()
    (tmp / "empty_folder").mkdir()
    (tmp / "cut.pt").write_bytes(last[: len(last) // 2])
    (tmp / "garbage.pt").write_bytes(bytes(range(256)) * 8)
    (tmp / "empty.pt").write_bytes(b"")
    _write(tmp / "state_dict.pt", NetworkModule(tiny_net()).state_dict())
    _write(tmp / "script.pt", {"model": {}, "optimizer": {}, "schedule": {}, "epoch": 0})
    _write(tmp / "script_tagged.pt", {"format": SCRIPT_FORMAT, "version": 1, "model": {}})
    _write(tmp / "a_list.pt", [1, 2, 3])
    _write(tmp / "other.pt", {"format": "someone-else", "weights": torch.ones(1)})
    return {
        "weights": (run_folder / "weights.safetensors", ["trained weights", "checkpoints/last.pt"]),
        "run folder": (run_folder, ["is a folder", str(run_folder / "checkpoints" / "last.pt")]),
        "empty folder": (tmp / "empty_folder", ["folder with no checkpoint"]),
        "json": (run_folder / "config.json", ["JSON file", "--resume"]),
        "state dict": (tmp / "state_dict.pt", ["only weights (a state dict)", "checkpoints/last.pt"]),
        "script": (tmp / "script.pt", ["exported training script", "--resume"]),
        "script tagged": (tmp / "script_tagged.pt", ["exported training script"]),
        "truncated": (tmp / "cut.pt", ["cut short, damaged", "checkpoints/last.pt"]),
        "garbage": (tmp / "garbage.pt", ["not a checkpoint torch can read"]),
        "empty": (tmp / "empty.pt", ["not a checkpoint torch can read"]),
        "list": (tmp / "a_list.pt", ["holds a list"]),
        "other format": (tmp / "other.pt", ["'someone-else' file"]),
        "missing": (tmp / "nowhere.pt", ["does not exist"]),
    }


CASES = [
    "weights",
    "run folder",
    "empty folder",
    "json",
    "state dict",
    "script",
    "script tagged",
    "truncated",
    "garbage",
    "empty",
    "list",
    "other format",
    "missing",
]


@pytest.mark.parametrize("case", CASES)
def test_resume_from_a_file_that_is_no_checkpoint_says_what_it_is(run_folder, tmp_path, case, capsys):
    path, words = _wrong_files(run_folder, tmp_path)[case]
    with pytest.raises(CheckpointError) as e:
        load_checkpoint(path)
    for word in [*words, "Fix:"]:
        assert word in str(e.value), (case, str(e.value))
    args = ["train", "lenet5", "--device", "cpu", "--out", str(tmp_path / "out"), "--resume", str(path)]
    assert main(args) == 2
    assert one_line_error(capsys).startswith("convcanvas train: ")


def _checkpoint(run_folder) -> dict:
    return torch.load(run_folder / "checkpoints" / "last.pt", weights_only=True)


@pytest.mark.parametrize(
    "change,words",
    [
        ({"epoch": "one"}, "'epoch' should be a whole number of epochs, found str"),
        ({"model": [1, 2]}, "'model' should be a dict of tensors, found list"),
        ({"graph": 7}, "'graph' should be the network as JSON text"),
        ({"base_lr": float("nan")}, "'base_lr' should be a positive learning rate"),
        ({"version": 99}, "written by a newer ConvCanvas"),
        ({"graph": "{not json"}, "its network is not JSON"),
        ({"generator": torch.zeros(3, dtype=torch.uint8)}, "random generator state does not fit"),
    ],
)
def test_damaged_checkpoint_keys_are_named(run_folder, tmp_path, change, words):
    blob = {**_checkpoint(run_folder), **change}
    _write(tmp_path / "bad.pt", blob)
    config = replace(CPU, epochs=3)
    try:  # refused on sight, or (a part that does not fit its network) when the run starts
        trainer = Trainer(tiny_net(), config, dataset=tiny_dataset(), resume=tmp_path / "bad.pt")
    except CheckpointError as e:
        message = str(e)
    else:
        final = finish(list(trainer.run()))
        assert final.status == "failed" and final.epochs_done == 1
        message = final.message
    assert words in message and "Fix:" in message


def test_checkpoints_are_tagged_and_untagged_ones_still_resume(run_folder, tmp_path):
    blob = _checkpoint(run_folder)
    assert blob["format"] == FORMAT and blob["version"] == VERSION
    old = {k: v for k, v in blob.items() if k not in ("format", "version", "cuda_rng")}
    _write(tmp_path / "old.pt", old)
    out = list(
        Trainer(tiny_net(), replace(CPU, epochs=2), dataset=tiny_dataset(), resume=tmp_path / "old.pt").run()
    )
    assert [e.epoch for e in out if isinstance(e, EpochMetrics)] == [2]
    assert finish(out).status == "completed"


def test_resume_with_another_optimizer_or_no_epochs_left_is_explained(run_folder, capsys):
    last = run_folder / "checkpoints" / "last.pt"
    with pytest.raises(
        CheckpointError, match=r"trained with the adam optimizer, not sgd\. Fix: resume with --optimizer adam"
    ):
        Trainer(tiny_net(), replace(CPU, epochs=3, optimizer="sgd"), dataset=tiny_dataset(), resume=last)
    with pytest.raises(CheckpointError, match=r"already trained 1 of 1 epochs\. Fix: .*--epochs 6"):
        Trainer(tiny_net(), CPU, dataset=tiny_dataset(), resume=last)


# -- 2. settings out of range ------------------------------------------------------------------


@pytest.mark.parametrize(
    "flags,words",
    [
        (["--optimizer", "sgd", "--momentum", "-1"], "momentum must be from 0"),
        (["--momentum", "1"], "momentum must be from 0"),
        (["--weight-decay", "-1"], "weight decay must be from 0 to 1"),
        (["--weight-decay", "nan"], "weight decay must be"),
        (["--weight-decay", "inf"], "weight decay must be"),
        (["--lr", "nan"], "learning rate must be above 0"),
        (["--lr", "inf"], "learning rate must be above 0"),
        (["--lr", "0"], "learning rate must be above 0"),
        (["--lr", "-0.1"], "learning rate must be above 0"),
        (["--label-smoothing", "1"], "label smoothing must be from 0"),
        (["--label-smoothing", "-0.1"], "label smoothing must be from 0"),
        (["--label-smoothing", "nan"], "label smoothing must be from 0"),
        (["--seed", str(10**30)], "seed must be a whole number from 0"),
        (["--seed", "-1"], "seed must be a whole number from 0"),
        (["--epochs", "0"], "epochs must be a whole number from 1"),
        (["--epochs", str(10**12)], "epochs must be a whole number from 1"),
        (["--batch-size", "0"], "batch size must be a whole number from 1"),
        (["--batch-size", str(10**12)], "batch size must be a whole number from 1"),
        (["--device", "meta"], "device 'meta' cannot train: use auto, cpu"),
        (["--device", "xla:0"], "device 'xla:0' cannot train"),
    ],
)
def test_bad_settings_are_one_line_with_exit_2(flags, words, tmp_path, capsys):
    assert main(["train", "lenet5", "--out", str(tmp_path / "run"), *flags]) == 2
    err = one_line_error(capsys)
    assert err.startswith("convcanvas train: bad training settings") and words in err
    assert not (tmp_path / "run").exists()  # refused before anything is written


def test_a_device_this_machine_lacks_lists_the_ones_it_has(tmp_path, capsys):
    missing = f"cuda:{torch.cuda.device_count() + 7}"
    assert main(["train", "lenet5", "--device", missing, "--out", str(tmp_path)]) == 2
    err = one_line_error(capsys)
    assert f"device {missing} is not available on this machine: use auto or one of" in err and "cpu" in err
    assert TrainConfig(device=missing).problems(["cpu"]) == [
        f"device {missing} is not available on this machine: use auto or one of cpu"
    ]
    assert TrainConfig(device="cuda").problems(["cuda:0", "cpu"]) == []
    assert TrainConfig(device="mps").problems(["cpu"])


def test_a_seed_that_is_not_a_whole_number_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as e:
        main(["train", "lenet5", "--seed", "1e23"])
    assert e.value.code == 2
    assert "invalid int value: '1e23'" in capsys.readouterr().err


def test_settings_of_the_wrong_type_are_refused_not_crashed_on():
    config = TrainConfig(lr="fast", epochs=2.5, seed=True, momentum=None, device=None)  # type: ignore[arg-type]
    text = "\n".join(config.problems())
    for words in ("learning rate", "epochs", "seed", "momentum", "device None"):
        assert words in text
    assert TrainConfig().problems() == [] and TrainConfig().problems(["cpu"]) == []


# -- 3. out of memory ------------------------------------------------------------------------


def _exhaust(monkeypatch, error):
    def forward_all(self, x, keep=None):
        raise error

    monkeypatch.setattr(NetworkModule, "forward_all", forward_all)


CPU_OOM = (
    "[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't allocate memory: you "
    "tried to allocate 2147483648 bytes. Error code 12 (Cannot allocate memory)"
)


@pytest.mark.parametrize(
    "error", [RuntimeError(CPU_OOM), torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")]
)
def test_out_of_memory_names_the_device_used_and_a_batch_size(monkeypatch, error):
    _exhaust(monkeypatch, error)
    final = finish(list(Trainer(tiny_net(), replace(CPU, batch_size=64), dataset=tiny_dataset()).run()))
    assert final.status == "failed"
    assert "out of memory on the CPU" in final.message and "GPU" not in final.message
    assert "at batch size 64" in final.message and "Fix: try batch size 32" in final.message


def test_out_of_memory_at_batch_size_one_suggests_something_else(monkeypatch):
    _exhaust(monkeypatch, RuntimeError(CPU_OOM))
    final = finish(list(Trainer(tiny_net(), replace(CPU, batch_size=1), dataset=tiny_dataset()).run()))
    assert "out of memory" in final.message and "smaller network" in final.message


def test_other_runtime_errors_are_not_passed_off_as_out_of_memory(monkeypatch):
    _exhaust(monkeypatch, RuntimeError("mat1 and mat2 shapes cannot be multiplied"))
    with pytest.raises(RuntimeError, match="shapes cannot be multiplied"):
        list(Trainer(tiny_net(), CPU, dataset=tiny_dataset()).run())


# -- 5. a NaN loss names the settings in play -----------------------------------------------


def _nan_run(**settings) -> str:
    broken = replace(tiny_dataset(), std=(0.0,))  # division by zero: every input is inf or NaN
    final = finish(list(Trainer(tiny_net(), replace(CPU, **settings), dataset=broken).run()))
    assert final.status == "failed"
    return final.message


def test_nan_loss_with_momentum_and_weight_decay_names_them_and_what_to_lower():
    message = _nan_run(optimizer="sgd", lr=0.1, momentum=0.99, weight_decay=0.5)
    assert "NaN or infinite at step 1 (learning rate 0.1 with momentum 0.99 and weight decay 0.5)" in message
    assert (
        "Fix: lower the momentum (try 0.9), the weight decay (try 0.05) or the learning rate (try 0.01)"
        in (message)
    )


def test_nan_loss_blames_only_the_settings_in_play():
    plain = _nan_run(optimizer="adam", lr=0.01)  # Adam has no momentum setting; no weight decay
    assert "(learning rate 0.01)" in plain and "momentum" not in plain and "weight decay" not in plain
    assert "Fix: lower the learning rate (try 0.001)" in plain
    usual = _nan_run(optimizer="sgd", lr=0.1, momentum=0.9, weight_decay=1e-4)
    assert "with momentum 0.9 and weight decay 0.0001" in usual
    assert "Fix: lower the learning rate (try 0.01)" in usual  # usual values are not the suspects


# -- 6. a run folder that cannot be written ------------------------------------------------


def test_a_run_folder_that_cannot_be_made_is_one_line_with_exit_2(tmp_path, capsys):
    (tmp_path / "a_file").write_text("not a folder")
    out = tmp_path / "a_file" / "run"
    assert main(["train", "lenet5", "--device", "cpu", "--out", str(out)]) == 2
    err = one_line_error(capsys)
    assert f"cannot write to the run folder {out}" in err and "Fix: " in err and "--out" in err


def test_a_full_disk_mid_run_keeps_the_last_checkpoint_and_finishes_failed(tmp_path, monkeypatch):
    import builder.atomic
    import builder.training.checkpoints as checkpoints

    def full_after_epoch_1(path, data):
        if "epoch_002" in str(path):  # the disk fills up after the first epoch's checkpoint
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        builder.atomic.write_atomic(path, data)

    monkeypatch.setattr(checkpoints, "write_atomic", full_after_epoch_1)
    trainer = Trainer(tiny_net(), replace(CPU, epochs=3), dataset=tiny_dataset(), run_dir=tmp_path)
    out = list(trainer.run())  # no exception escapes the generator
    final = finish(out)
    assert final.status == "failed" and final.epochs_done == 2
    last = tmp_path / "checkpoints" / "last.pt"
    assert f"cannot write to the run folder {tmp_path}: No space left on device" in final.message
    assert "free some disk space" in final.message and f"{last} (epoch 1) is intact" in final.message
    assert load_checkpoint(last)["epoch"] == 1  # the previous checkpoint, whole
    assert not (tmp_path / "weights.safetensors").exists()
    assert not list(tmp_path.rglob("*.tmp"))
    logged = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert logged[-1]["type"] == "RunFinished" and logged[-1]["status"] == "failed"


def test_a_metrics_log_that_cannot_be_written_ends_the_run_with_a_message(tmp_path):
    trainer = Trainer(tiny_net(), replace(CPU, epochs=2), dataset=tiny_dataset(), run_dir=tmp_path)
    (tmp_path / "metrics.jsonl").mkdir()  # opening it to append now fails, as on a broken disk
    final = finish(list(trainer.run()))
    assert final.status == "failed" and f"cannot write to the run folder {tmp_path}" in final.message


def test_failing_to_save_the_final_weights_is_reported(tmp_path, monkeypatch):
    import builder.interop.weights as weights

    def read_only(*_args, **_kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(tmp_path / "weights.safetensors"))

    monkeypatch.setattr(weights, "save_weights", read_only)
    final = finish(list(Trainer(tiny_net(), CPU, dataset=tiny_dataset(), run_dir=tmp_path).run()))
    assert final.status == "failed" and "Read-only file system" in final.message
    assert "choose a run folder you can write to" in final.message
    assert load_checkpoint(tmp_path / "checkpoints" / "last.pt")["epoch"] == 1


# -- 4. unreadable images reach the user -----------------------------------------------------


def test_skipped_images_are_reported_as_a_warning_record(tmp_path, capsys):
    from torchvision.io import write_png

    for label in range(2):
        (tmp_path / f"c{label}").mkdir()
        for i in range(4):
            write_png(
                torch.full((1, 8, 8), 40 + 150 * label + i, dtype=torch.uint8),
                str(tmp_path / f"c{label}" / f"{i}.png"),
            )
    (tmp_path / "c1" / "broken.png").write_bytes(b"not an image")
    (tmp_path / "c0" / "empty.jpg").write_bytes(b"")
    net = chain((1, 8, 8), "Flatten", ("Linear", {"out_features": 2}), name="two")
    out = list(Trainer(net, replace(CPU, dataset=str(tmp_path)), run_dir=tmp_path / "run").run())
    (warning,) = [r for r in out if isinstance(r, DataWarning)]
    assert "skipped 2 image file(s)" in warning.message
    assert str(tmp_path / "c1" / "broken.png") in warning.message and "empty.jpg" in warning.message
    assert "Fix: delete them or save them again" in warning.message
    assert finish(out).status == "completed"
    assert '"DataWarning"' in (tmp_path / "run" / "metrics.jsonl").read_text()
    net_file = tmp_path / "two.json"
    from builder import save_graph

    save_graph(net, net_file)
    args = ["train", str(net_file), "--dataset", str(tmp_path), "--device", "cpu", "--epochs", "1"]
    assert main([*args, "--out", str(tmp_path / "cli")]) == 0
    assert "warning: skipped 2 image file(s)" in capsys.readouterr().err
