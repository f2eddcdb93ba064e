"""Training through the panel on the bundled MNIST subset, with the real widgets."""

import threading
from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QMessageBox

from builder import (
    DataWarning,
    EpochMetrics,
    Paused,
    Resumed,
    RunFinished,
    RunStarted,
    StepMetrics,
    load_dataset,
)


@pytest.fixture
def panel(window):
    p = window.training.panel
    p.epochs.setValue(50)
    p.batch.setValue(64)
    return p


def wait_for_steps(qtbot, window, count, timeout=30_000):
    qtbot.waitUntil(lambda: window.training.views.curves.point_count() >= count, timeout=timeout)


def wait_for_polls(qtbot, session, count: int) -> None:
    """Wait for `count` ticks of the session's poll timer (a condition, not a fixed sleep)."""
    ticks = []
    session.poll_timer.timeout.connect(lambda: ticks.append(1))
    qtbot.waitUntil(lambda: len(ticks) >= count, timeout=10_000)


def records_of(session) -> list:
    """Every record the session delivers from now on, in order."""
    delivered: list = []
    session.records_arrived.connect(delivered.extend)
    return delivered


def test_train_pause_resume_stop_and_train_again(window, panel, qtbot):
    delivered = records_of(window.training.session)
    assert panel.train_button.isEnabled() and not panel.pause_button.isEnabled()
    qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    assert not panel.train_button.isEnabled() and panel.stop_button.isEnabled()
    wait_for_steps(qtbot, window, 3)

    qtbot.mouseClick(panel.pause_button, Qt.MouseButton.LeftButton)
    assert panel.pause_button.text() == "Resume"
    qtbot.waitUntil(lambda: "paused" in panel.progress_text.text(), timeout=10_000)
    frozen = window.training.views.curves.point_count()
    wait_for_polls(qtbot, window.training.session, 10)  # a third of a second of 30 Hz polls
    assert window.training.views.curves.point_count() == frozen  # nothing trains while paused

    qtbot.mouseClick(panel.pause_button, Qt.MouseButton.LeftButton)
    wait_for_steps(qtbot, window, frozen + 2)
    panel.new_lr.setValue(0.0002)
    qtbot.mouseClick(panel.apply_lr, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "learning rate set to 0.0002" in panel.lr_note.text(), timeout=30_000)

    with qtbot.waitSignal(window.training.session.finished, timeout=20_000) as finished:
        qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    assert finished.args[0].status == "stopped"
    kinds = [type(r) for r in delivered]
    paused_at, resumed_at = kinds.index(Paused), kinds.index(Resumed)
    assert StepMetrics not in kinds[paused_at:resumed_at]  # no step between pausing and resuming
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


def test_the_gui_gets_batches_not_a_signal_per_step(window, panel, qtbot, monkeypatch):
    """The worker never emits: the GUI hears of a run only from the poll timer, at most once a
    tick, however fast or slow the machine. With a record per step (report_interval 0), a run
    of 313 steps arrives complete in no more emissions than there were ticks."""
    session = window.training.session
    delivered = records_of(session)
    emissions, per_tick = [], []  # emissions since the last tick; emissions of each tick
    session.records_arrived.connect(lambda _records: emissions.append(1))

    def on_tick():  # connected after the session's own poll, so it runs after it
        per_tick.append(len(emissions))
        emissions.clear()

    session.poll_timer.timeout.connect(on_tick)
    panel.batch.setValue(16)
    panel.epochs.setValue(1)
    settings = panel.config
    monkeypatch.setattr(panel, "config", lambda: replace(settings(), report_interval=0.0))
    with qtbot.waitSignal(session.finished, timeout=120_000):
        qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    assert emissions == []  # nothing was emitted outside a tick
    assert per_tick and max(per_tick) <= 1
    started = next(r for r in delivered if isinstance(r, RunStarted))
    assert started.total_steps == 313
    assert sum(isinstance(r, StepMetrics) for r in delivered) == 313  # every step's record arrived
    assert sum(per_tick) < 313


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


def test_skipped_images_show_a_warning_in_the_panel(window, panel, qtbot):
    assert not panel.warning.isVisibleTo(panel)
    message = (
        "skipped 2 image file(s) that cannot be read (damaged, empty or not images): cat/1.png, "
        "dog/<7>.jpg. Fix: delete them or save them again as PNG or JPEG; training goes on without them"
    )
    panel._on_records([DataWarning(message)])
    assert panel.warning.isVisibleTo(panel)
    assert message in panel.warning.text() and "dog/<7>.jpg" in panel.warning.text()
    session = window.training.session
    with qtbot.waitSignal(session.finished, timeout=60_000):
        panel.start()  # a new run starts without the old run's warning
        assert not panel.warning.isVisibleTo(panel)
        qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)


def test_closing_while_a_dataset_loads_does_not_wait_for_the_load(window, panel, qtbot, monkeypatch):
    """Regression: closing while a dataset loaded froze the window for as long as the load took.
    The window closes at once; the load finishes on its daemon thread, touching no Qt object,
    and the run never starts training."""
    import time

    import builder.training.engine as engine

    loading, release = threading.Event(), threading.Event()
    real_load = engine.load_dataset

    def slow_load(*args, **kwargs):  # a big download or a slow disk
        loading.set()
        release.wait(20)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(engine, "load_dataset", slow_load)
    monkeypatch.setattr(window, "ask_stop_training", lambda: QMessageBox.StandardButton.Yes)
    qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(loading.is_set, timeout=10_000)
    session = window.training.session
    (worker,) = [t for t in threading.enumerate() if t.name == "convcanvas-training"]
    started = time.monotonic()
    assert window.close()
    assert time.monotonic() - started < 2.0  # stop waits about a second, not for the load
    assert not window.isVisible()
    release.set()
    qtbot.waitUntil(lambda: not worker.is_alive(), timeout=20_000)
    assert session.trainer is not None and session.trainer.model is None  # it never trained


def test_train_right_after_a_run_ends_keeps_the_runs_last_records(window, panel, qtbot):
    """Regression: pressing Train after a run ended but before the next 30 Hz poll dropped the
    finished run's last records (its final epoch and its RunFinished)."""
    session = window.training.session
    delivered, finished = records_of(session), []
    session.finished.connect(finished.append)
    panel.epochs.setValue(1)
    qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    (worker,) = [t for t in threading.enumerate() if t.name == "convcanvas-training"]
    worker.join(120)  # the GUI thread waits without running its event loop: no poll happens
    assert not worker.is_alive() and finished == []
    panel.optimizer.setCurrentText("sgd")  # any change of the settings re-enables Train at once
    assert panel.train_button.isEnabled()
    qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    assert [f.status for f in finished] == ["completed"]  # the first run's end arrived first
    qtbot.waitUntil(lambda: len(finished) == 2, timeout=120_000)
    assert [f.status for f in finished] == ["completed", "completed"]
    kinds = [type(r) for r in delivered]
    assert kinds.count(RunStarted) == 2 and kinds.count(EpochMetrics) == 2 and kinds.count(RunFinished) == 2
    second_start = max(i for i, kind in enumerate(kinds) if kind is RunStarted)
    assert kinds.index(EpochMetrics) < kinds.index(RunFinished) < second_start  # the first run's, first
    assert window.training.views.curves.runs == 2
