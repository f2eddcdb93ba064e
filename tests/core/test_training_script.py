"""The exported training script: text from the network file never becomes code, and --resume
reads only tensors and refuses files it did not write, with a message."""

from __future__ import annotations

import ast
import importlib.util
import io
import sys
from pathlib import Path

import pytest
import torch

from builder import ConvCanvasError, TrainConfig, chain, export_training_script
from builder.training.checkpoints import SCRIPT_FORMAT, load_checkpoint

NAMES = [
    'x"""; import os; os.system("echo PWNED")#',
    "digit \\N{DIGIT ONE} net",
    "escape \\u0041 and \\x41",
    'ends with a quote"',
    "two\nlines",
    "braces {name} {0} %(prog)s",
    "ends with a backslash\\",
]


def net(name: str, description: str = ""):
    graph = chain((1, 8, 8), "Flatten", ("Linear", {"out_features": 10}), name=name)
    graph.description = description
    return graph


def _calls(tree: ast.AST) -> set[str]:
    return {
        node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
    }


@pytest.mark.parametrize("name", NAMES)
def test_the_network_name_stays_inside_the_docstring(name):
    source = export_training_script(net(name, description=f"about {name}"))
    tree = ast.parse(source)
    doc = ast.get_docstring(tree, clean=False)
    assert doc is not None and f"Train {name} (650 parameters)" in doc and f"about {name}" in doc
    assert "system" not in _calls(tree)  # the name's "code" is text, not a call


def test_settings_that_are_not_valid_are_refused_not_written_into_the_script():
    with pytest.raises(ConvCanvasError, match="optimizer"):
        export_training_script(net("n"), TrainConfig(optimizer='adam"; import os; os.system("x")  #'))
    with pytest.raises(ConvCanvasError, match="learning rate"):
        export_training_script(net("n"), TrainConfig(lr=float("nan")))


def test_resume_loads_only_tensors():
    source = export_training_script(net("n"))
    assert "weights_only=True" in source and "torch.load(args.resume" not in source
    assert f'CHECKPOINT = "{SCRIPT_FORMAT}"' in source  # the tag ConvCanvas recognises


@pytest.fixture
def script(tmp_path, monkeypatch):
    """The exported script imported as a module (its main() runs only when called)."""
    path = tmp_path / "n_train.py"
    path.write_text(export_training_script(net("n"), TrainConfig(epochs=1, batch_size=64)))
    spec = importlib.util.spec_from_file_location("n_train", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.chdir(tmp_path)
    return module


def _train(script, monkeypatch, *args: str) -> None:
    monkeypatch.setattr(sys, "argv", ["n_train.py", "--dataset", "synthetic", "--device", "cpu", *args])
    script.main()


def _save(path: Path, blob) -> None:
    buffer = io.BytesIO()
    torch.save(blob, buffer)
    path.write_bytes(buffer.getvalue())


def test_script_checkpoints_are_tagged_resume_and_are_refused_by_convcanvas(script, monkeypatch, tmp_path):
    _train(script, monkeypatch, "--epochs", "1", "--max-steps", "2", "--out", "ck")
    state = torch.load(tmp_path / "ck" / "last.pt", weights_only=True)
    assert state["format"] == SCRIPT_FORMAT and state["version"] == 1
    _train(script, monkeypatch, "--epochs", "2", "--max-steps", "2", "--out", "ck", "--resume", "ck/last.pt")
    assert torch.load(tmp_path / "ck" / "last.pt", weights_only=True)["epoch"] == 1
    with pytest.raises(ConvCanvasError, match="exported training script"):
        load_checkpoint(tmp_path / "ck" / "last.pt")


def test_script_resume_refuses_other_files_with_a_message(script, tmp_path):
    (tmp_path / "cut.pt").write_bytes(b"PK\x03\x04 cut short")
    _save(tmp_path / "weights.pt", {"fc1.weight": torch.zeros(10, 64)})
    _save(tmp_path / "app.pt", {"format": "convcanvas-checkpoint", "version": 1, "graph": "{}"})
    _save(tmp_path / "old.pt", {"model": {}, "optimizer": {}, "schedule": {}, "epoch": 0})
    cases = {
        tmp_path / "cut.pt": "is not a checkpoint torch can read",
        tmp_path / "weights.pt": "weights alone cannot resume",
        tmp_path / "app.pt": "convcanvas train --resume",
        tmp_path: "is a folder. Fix: pass the checkpoint in it",
    }
    for path, words in cases.items():
        with pytest.raises(SystemExit) as e:
            script.load_checkpoint(str(path), "checkpoints")
        assert words in str(e.value.code) and "Fix:" in str(e.value.code), path
    assert (
        script.load_checkpoint(str(tmp_path / "old.pt"), "checkpoints")["epoch"] == 0
    )  # untagged still loads


def test_the_script_trains_on_the_bundled_subset_shipped_beside_it(tmp_path, monkeypatch):
    from builder import load_template, write_training_script

    graph = load_template("cifar_cnn")  # 3x32x32: the digits are resized and given 3 channels
    written = write_training_script(tmp_path / "lenet5_train.py", graph, TrainConfig(epochs=1))
    assert [p.name for p in written] == ["lenet5_train.py", "mnist_mini.npz"]
    source = written[0].read_text()
    assert 'DATASET = "mnist-mini"' in source  # what the app trains on, not a download
    spec = importlib.util.spec_from_file_location("lenet5_train", written[0])
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    train, test = module.datasets("mnist-mini", str(tmp_path / "elsewhere"))
    assert len(train) == 5000 and len(test) == 1000
    x, y = train[0]
    assert tuple(x.shape) == (3, 32, 32) and 0 <= int(y) <= 9
    assert abs(float(test.tensors[0].mean())) < 0.2  # normalised with MNIST's statistics

    (tmp_path / "mnist_mini.npz").unlink()
    with pytest.raises(SystemExit) as e:
        module.datasets("mnist-mini", str(tmp_path / "elsewhere"))
    assert "mnist_mini.npz" in str(e.value.code) and "Fix:" in str(e.value.code)


def test_the_script_fine_tunes_from_weights_written_beside_it(tmp_path, monkeypatch):
    from builder import build_model, load_weights, write_training_script

    graph = net("n")
    trained = {k: torch.full_like(v, 0.25) for k, v in build_model(graph).state_dict().items()}
    written = write_training_script(
        tmp_path / "n_train.py", graph, TrainConfig(epochs=1, dataset="synthetic"), weights=trained
    )
    assert [p.name for p in written] == ["n_train.py", "n_weights.safetensors"]
    assert "--weights n_weights.safetensors" in written[0].read_text()
    assert all(torch.equal(load_weights(written[1])[k], trained[k]) for k in trained)
    spec = importlib.util.spec_from_file_location("n_train", written[0])
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.N()
    module.load_weights(str(written[1]), model)
    assert all(torch.equal(v, trained[k]) for k, v in model.state_dict().items())
    wrong = tmp_path / "wrong.pt"
    _save(wrong, {"fc1.weight": torch.zeros(3, 3)})
    with pytest.raises(SystemExit) as e:
        module.load_weights(str(wrong), model)
    assert "does not fit this network" in str(e.value.code)
