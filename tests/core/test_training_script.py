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
