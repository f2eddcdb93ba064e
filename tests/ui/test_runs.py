"""Runs belong to the project: each run in the app writes its folder beside the project and is
recorded in it; the Runs panel lists runs, uses a run's weights, compares two runs; exports
carry the selected run's weights; settings and runs survive saving and reopening."""

import json

import numpy as np
import onnxruntime
import pytest
import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from builder import EpochMetrics, load_dataset, read_run

pytestmark = pytest.mark.slow


def train_once(window, qtbot, epochs=1):
    """Press Train and wait for the run to end; return its last EpochMetrics."""
    panel = window.training.panel
    panel.epochs.setValue(epochs)
    seen = []
    window.training.session.records_arrived.connect(
        lambda records: seen.extend(r for r in records if isinstance(r, EpochMetrics))
    )
    with qtbot.waitSignal(window.training.session.finished, timeout=120_000):
        qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.training.session.running)
    return seen[-1]


@pytest.fixture
def saved(window, tmp_path):
    path = tmp_path / "lenet.json"
    assert window.files.write(path)
    window.training.panel.lr.setValue(0.002)
    return path


def test_a_run_is_kept_with_the_project_and_its_exports_carry_its_weights(
    window, qtbot, saved, tmp_path, monkeypatch
):
    """One short run, then everything that follows from it (one run keeps the test quick)."""
    last = train_once(window, qtbot)
    graph = window.controller.graph
    (entry,) = graph.runs
    assert entry.startswith("lenet_runs/")  # relative: the project folder can move
    folder = saved.parent / entry
    for name in ("graph.json", "config.json", "run.json", "metrics.jsonl", "weights.safetensors"):
        assert (folder / name).is_file(), name
    run = read_run(folder)
    assert run.status == "completed" and run.final_accuracy == pytest.approx(last.test_accuracy)
    # the run is a change the file does not have yet: the title and the close question say so
    assert window.isWindowModified() and window.runs.unsaved_run
    # the panel lists it, selected, and its weights are the canvas's
    panel = window.training.runs_panel
    assert panel.table.rowCount() == 1 and panel.table.item(0, 7).text() == "completed"
    assert panel.table.item(0, 5).text() == f"{last.test_accuracy:.1%}"
    assert window.start_weights is not None and window.start_weights.run == folder
    assert window.training.panel.start_from.isVisible() and not window.training.panel.start_from.isChecked()

    # closing asks, and says a run is not in the saved file yet
    asked = []

    def question(_parent, _title, text, *_args):
        asked.append(text)
        return QMessageBox.StandardButton.Cancel

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    monkeypatch.setattr(
        window.files, "ask_save_changes", type(window.files).ask_save_changes.__get__(window.files)
    )
    assert not window.files.maybe_save()
    assert "training run" in asked[0]

    # ONNX exported from the app scores exactly what the app reported
    target = tmp_path / "trained.onnx"
    titles = []

    def save_as(_parent, title, *_args, **_kwargs):
        titles.append(title)
        return str(target), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(save_as))
    window.files.export("onnx")
    assert titles == [f"Export ONNX with the weights of run {folder.name}"]  # the dialog says which run
    assert "with the weights of run" in window.statusBar().currentMessage()
    data = load_dataset("mnist-mini")
    mean, std = torch.tensor(data.mean).view(1, -1, 1, 1), torch.tensor(data.std).view(1, -1, 1, 1)
    images = ((data.test_images.float() / 255 - mean) / std).numpy().astype(np.float32)
    session = onnxruntime.InferenceSession(str(target), providers=["CPUExecutionProvider"])
    scores = np.concatenate(
        [session.run(None, {"input": images[i : i + 250]})[0] for i in range(0, 1000, 250)]
    )
    accuracy = float((scores.argmax(1) == data.test_labels.numpy()).mean())
    assert accuracy == pytest.approx(last.test_accuracy, abs=1e-9)
    assert accuracy > 0.5  # it learned: an untrained export would score about 10%

    # saved and reopened: the runs and the training settings come back
    assert window.files.write(saved)
    saved_data = json.loads(saved.read_text())
    assert saved_data["runs"] == [entry] and saved_data["training"]["lr"] == pytest.approx(0.002)
    window.training.panel.lr.setValue(0.01)
    window.training.panel.epochs.setValue(7)
    assert window.files.open_file(saved, ask=False)
    assert window.training.panel.lr.value() == pytest.approx(0.002)
    assert window.training.panel.epochs.value() == 1
    assert window.training.runs_panel.table.rowCount() == 1

    # once the network changes, the run's weights no longer describe it: export refuses
    window.training.runs_panel.select_runs(folder)
    window.controller.set_settings("conv1", {"out_channels": 8})
    shown = []
    monkeypatch.setattr(window, "show_error", lambda title, text: shown.append(text))
    refused = tmp_path / "x.onnx"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *_a, **_k: (str(refused), "")))
    window.files.export("onnx")
    assert shown and "changed since run" in shown[0] and "conv1: out_channels 6 → 8" in shown[0]
    assert not refused.exists()


def test_two_runs_show_what_changed_in_the_network_the_settings_and_the_results(window, qtbot, saved):
    train_once(window, qtbot)
    window.controller.set_settings("conv1", {"out_channels": 8})
    window.training.panel.lr.setValue(0.003)
    train_once(window, qtbot)
    panel = window.training.runs_panel
    first, second = panel.paths
    panel.select_runs(first, second)
    text = panel.diff.toPlainText()
    assert "conv1: out_channels 6 → 8" in text
    assert "parameters 61,706 → " in text and "(+" in text
    assert "lr" in text and "0.002" in text and "0.003" in text
    assert "best accuracy" in text
    # two selected: no single run's weights are chosen, and both curves are drawn
    assert len(panel.plot.getPlotItem().listDataItems()) == 2
