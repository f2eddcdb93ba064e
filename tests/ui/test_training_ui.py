"""Training through the panel on the bundled MNIST subset, with the real widgets."""

from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QMessageBox

from builder import RunStarted, StepMetrics, load_dataset


@pytest.fixture
def panel(window):
    p = window.training.panel
    p.epochs.setValue(50)
    p.batch.setValue(64)
    return p


def wait_for_steps(qtbot, window, count, timeout=30_000):
    qtbot.waitUntil(lambda: window.training.views.curves.point_count() >= count, timeout=timeout)


def test_train_pause_resume_stop_and_train_again(window, panel, qtbot):
    assert panel.train_button.isEnabled() and not panel.pause_button.isEnabled()
    qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    assert not panel.train_button.isEnabled() and panel.stop_button.isEnabled()
    wait_for_steps(qtbot, window, 3)

    qtbot.mouseClick(panel.pause_button, Qt.MouseButton.LeftButton)
    assert panel.pause_button.text() == "Resume"
    qtbot.waitUntil(lambda: "paused" in panel.progress_text.text(), timeout=10_000)
    qtbot.wait(150)
    frozen = window.training.views.curves.point_count()
    qtbot.wait(400)
    assert window.training.views.curves.point_count() == frozen  # nothing trains while paused

    qtbot.mouseClick(panel.pause_button, Qt.MouseButton.LeftButton)
    wait_for_steps(qtbot, window, frozen + 2)
    panel.new_lr.setValue(0.0002)
    qtbot.mouseClick(panel.apply_lr, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "learning rate set to 0.0002" in panel.message.text(), timeout=10_000)

    with qtbot.waitSignal(window.training.session.finished, timeout=20_000) as finished:
        qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    assert finished.args[0].status == "stopped"
    assert "Stopped" in panel.message.text() and panel.train_button.isEnabled()
    assert not window.training.session.running

    panel.epochs.setValue(1)
    with qtbot.waitSignal(window.training.session.finished, timeout=60_000) as finished:
        qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    assert finished.args[0].status == "completed"
    curves = window.training.views.curves
    assert curves.runs == 2
    assert len(curves.test_values) == 1 and 0.3 < curves.test_values[0] <= 1
    confusion = window.training.views.confusion.matrix
    assert confusion.shape == (10, 10) and confusion.sum() == 1000


def test_filters_feature_maps_and_prediction(window, panel, qtbot):
    panel.epochs.setValue(1)
    with qtbot.waitSignal(window.training.session.finished, timeout=60_000):
        panel.start()
    inside = window.training.views.inside
    assert inside.filters_image.image.shape[0] > 5  # six 5x5 filters in a grid
    assert "conv1" in inside.filters.plotItem.titleLabel.text
    window.select_node("conv2")
    assert inside.block_id == "conv2"
    assert "conv2" in inside.maps.plotItem.titleLabel.text
    assert inside.maps_image.image is not None
    # draw a vertical stroke (a "1") on the pad
    pad = inside.pad
    qtbot.mousePress(pad, Qt.MouseButton.LeftButton, pos=QPoint(98, 30))
    for y in range(30, 170, 10):
        qtbot.mouseMove(pad, QPoint(98, y))
    qtbot.mouseRelease(pad, Qt.MouseButton.LeftButton, pos=QPoint(98, 170))
    drawn = pad.array()
    assert drawn.shape == (28, 28) and drawn[14, 14] > 0.5 and drawn[14, 3] == 0
    heights = inside.bars.opts["height"]
    assert len(heights) == 10 and abs(float(np.sum(heights)) - 1.0) < 1e-4
    assert "Prediction:" in inside.probabilities.plotItem.titleLabel.text


def test_invalid_combinations_disable_train_with_the_fix(window, panel):
    window.controller.set_input_shape((3, 32, 32))
    assert not panel.train_button.isEnabled()
    assert "set the Input shape to 1x28x28" in panel.reason.text()
    window.controller.undo_stack.undo()
    assert panel.train_button.isEnabled()
    window.controller.set_settings("fc2", {"out_features": 5})
    assert not panel.train_button.isEnabled() and "set its units to 10" in panel.reason.text()
    window.controller.remove(["flatten1"])
    assert "error" in panel.reason.text()


def test_nan_loss_is_reported_in_the_panel(window, panel, qtbot):
    broken = replace(load_dataset("mnist-mini"), std=(0.0,))
    with qtbot.waitSignal(window.training.session.finished, timeout=30_000) as finished:
        window.training.session.start(window.controller.graph, panel.config(), dataset=broken)
    assert finished.args[0].status == "failed"
    assert "NaN or infinite at step 1" in panel.message.text()
    assert panel.train_button.isEnabled()


def test_closing_mid_run_asks_then_stops_the_thread(window, panel, qtbot, monkeypatch):
    panel.start()
    wait_for_steps(qtbot, window, 2)
    monkeypatch.setattr(window, "ask_stop_training", lambda: QMessageBox.StandardButton.No)
    assert not window.close() and window.training.session.running
    monkeypatch.setattr(window, "ask_stop_training", lambda: QMessageBox.StandardButton.Yes)
    assert window.close()
    assert not window.training.session.running  # joined: the autouse fixture also checks no thread is left


def test_the_gui_gets_batches_not_a_signal_per_step(window, panel, qtbot):
    batches, total_steps = [], []
    window.training.session.records_arrived.connect(lambda records: batches.append(records))
    panel.batch.setValue(16)  # 313 short steps: far more steps than 30 Hz polls
    panel.epochs.setValue(1)
    with qtbot.waitSignal(window.training.session.finished, timeout=60_000):
        panel.start()
    started = [r for batch in batches for r in batch if isinstance(r, RunStarted)]
    total_steps = started[0].total_steps
    assert total_steps == 313
    assert len(batches) < total_steps / 3
    assert sum(isinstance(r, StepMetrics) for batch in batches for r in batch) < total_steps / 3


def test_training_after_gallery_previews_does_not_crash(window, panel, qtbot):
    """Regression: preview scenes left in reference cycles were destroyed by the garbage
    collector on the training thread, which crashed the app (segmentation fault)."""
    from ui.panels.template_gallery import TemplateGallery

    for _ in range(3):
        gallery = TemplateGallery(window)
        for row in range(gallery.list.count()):
            gallery.list.setCurrentRow(row)
        gallery.deleteLater()
        del gallery
    panel.epochs.setValue(2)
    with qtbot.waitSignal(window.training.session.finished, timeout=60_000) as finished:
        panel.start()
    assert finished.args[0].status == "completed"


def test_download_progress_shows_in_the_panel(window, panel):
    from builder import DownloadProgress

    panel._on_records([DownloadProgress("mnist", 3_200_000, 9_912_422)])
    assert "Downloading MNIST: 3.2 of 9.9 MB" in panel.progress_text.text()
    assert panel.progress.value() == 32


def test_blocks_are_coloured_by_gradient_norm_while_training(window, panel, qtbot, monkeypatch):
    import builder.training.engine as training

    monkeypatch.setattr(training, "HEALTH_INTERVAL", 0.0)
    panel.epochs.setValue(1)
    with qtbot.waitSignal(window.training.session.finished, timeout=60_000):
        panel.start()
    qtbot.waitUntil(lambda: window.scene.nodes["conv1"].grad_norm is not None, timeout=5_000)
    assert window.scene.nodes["conv1"].grad_norm > 0
    assert window.scene.nodes["tanh1"].grad_norm is None  # no weights, no strip
    assert "gradient norm" in window.scene.nodes["fc2"].toolTip()
    window.menu_actions.health_action.trigger()  # off
    assert window.scene.nodes["conv1"].grad_norm is None
    window.menu_actions.health_action.trigger()  # back on, with the last values
    assert window.scene.nodes["conv1"].grad_norm > 0
