"""Training is easy to find (issue 12, item 4): Train / Pause / Stop in the toolbar and the Run
menu with F5, F6 and Shift+F5, the plots raised when a run starts, the run's status always in
view, learning-rate changes confirmed, legends beside the curves, all at 1024x700."""

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QApplication, QTabBar

from builder import EpochMetrics, LrChanged, Paused, StepMetrics

pytestmark = pytest.mark.slow

SHIFT = Qt.KeyboardModifier.ShiftModifier
LEFT = Qt.MouseButton.LeftButton


def shown_in_window(widget) -> bool:
    """Visible and not clipped: wholly inside its window's area."""
    window = widget.window()
    box = QRect(widget.mapTo(window, widget.rect().topLeft()), widget.size())
    return widget.isVisible() and window.rect().contains(box) and not widget.visibleRegion().isEmpty()


def click_dock_tab(qtbot, window, title: str) -> None:
    """Click the tab of a dock that shares its place with others."""
    for bar in window.findChildren(QTabBar):
        for i in range(bar.count()):
            if bar.isVisible() and bar.tabText(i) == title:
                qtbot.mouseClick(bar, LEFT, pos=bar.tabRect(i).center())
                return
    raise AssertionError(f"no tab {title!r}")


def records_of(window, kind) -> list:
    seen = []
    window.training.session.records_arrived.connect(
        lambda rs: seen.extend(r for r in rs if isinstance(r, kind))
    )
    return seen


def test_toolbar_and_run_menu_mirror_the_panel(window, qtbot):
    run, panel = window.menu_actions.run, window.training.panel
    assert [a.shortcut().toString() for a in run.actions] == ["F5", "F6", "Shift+F5"]
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Run")
    assert all(a in menu.actions() for a in run.actions)
    assert (
        run.train_action.isEnabled() and not run.pause_action.isEnabled() and not run.stop_action.isEnabled()
    )
    window.controller.set_settings("input", {"shape": (3, 32, 32)})  # not MNIST's shape: Train says why
    assert not panel.train_button.isEnabled()
    assert not run.train_action.isEnabled()
    assert panel.train_button.toolTip() and panel.train_button.toolTip() in run.train_action.toolTip()
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_F5)
    assert not window.training.running  # F5 does what the disabled button would: nothing
    window.controller.undo_stack.undo()
    assert run.train_action.isEnabled() and run.train_action.toolTip() == "Train (F5)"


def test_train_pause_lr_and_stop_from_the_keyboard_at_1024x700(window, qtbot):
    window.resize(1024, 700)
    qtbot.waitUntil(lambda: window.compact.compact)
    run, panel, docks = window.menu_actions.run, window.training.panel, window.docks
    train_button = window.menu_actions.tools.widgetForAction(run.train_action)
    assert shown_in_window(train_button)  # not pushed off the toolbar's end
    assert docks["Training plots"].isHidden()  # the canvas has the room until a run starts
    panel.epochs.setValue(3)
    steps, paused, lr_changes = (
        records_of(window, StepMetrics),
        records_of(window, Paused),
        records_of(window, LrChanged),
    )
    epochs = records_of(window, EpochMetrics)

    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_F5)  # Train
    qtbot.waitUntil(lambda: window.training.running)
    plots = docks["Training plots"]
    assert not plots.isHidden() and not plots.visibleRegion().isEmpty()  # raised and on screen
    assert window.training.views.currentWidget() is window.training.views.curves
    assert run.pause_action.isEnabled() and run.stop_action.isEnabled() and not run.train_action.isEnabled()
    qtbot.waitUntil(lambda: len(steps) > 0, timeout=60_000)
    status = run.status
    qtbot.waitUntil(lambda: "step" in status.text())
    assert shown_in_window(status) and "epoch 1/3" in status.text() and "loss" in status.text()

    qtbot.keyClick(window.view, Qt.Key.Key_F6)  # Pause
    qtbot.waitUntil(lambda: bool(paused), timeout=30_000)
    qtbot.waitUntil(lambda: "paused" in status.text())
    assert panel.pause_button.text() == "Resume" and run.pause_action.text() == "&Resume"

    click_dock_tab(qtbot, window, "Training")
    assert shown_in_window(panel.apply_lr)  # the controls are at the top of the panel
    panel.new_lr.setValue(0.005)
    qtbot.mouseClick(panel.apply_lr, LEFT)
    assert "0.005" in panel.lr_note.text()  # asked for: said at once
    qtbot.keyClick(window.view, Qt.Key.Key_F6)  # Resume: the run takes the new rate
    qtbot.waitUntil(lambda: bool(lr_changes), timeout=30_000)
    qtbot.waitUntil(lambda: "learning rate set to 0.005 at step" in panel.lr_note.text())
    assert shown_in_window(panel.lr_note)
    legend = [label.text for _sample, label in window.training.views.curves.loss_legend.items]
    assert any("lr set to 0.005" in text for text in legend)
    assert "paused" not in status.text() and "lr set to 0.005" in status.text()

    with qtbot.waitSignal(window.training.session.finished, timeout=60_000):
        qtbot.keyClick(window.view, Qt.Key.Key_F5, SHIFT)  # Stop
    qtbot.waitUntil(lambda: not window.training.running)
    assert run.train_action.isEnabled() and not run.stop_action.isEnabled()
    assert status.text().startswith("Run ")
    assert not epochs or epochs[-1].epoch < 3  # stopped before the end


def test_legends_sit_outside_the_plot_area(window, qtbot):
    from builder import TrainConfig

    curves = window.training.views.curves
    window.training.views.start_run(TrainConfig())
    curves.add(
        [
            StepMetrics(step=i, epoch=0, loss=2.0 - i / 100, lr=0.001, samples_per_sec=1.0)
            for i in range(1, 50)
        ]
    )
    curves.add([LrChanged(step=20, lr=0.01)])
    window.docks["Training plots"].show()
    window.docks["Training plots"].raise_()
    QApplication.processEvents()
    for plot, legend in ((curves.loss_plot, curves.loss_legend), (curves.acc_plot, curves.acc_legend)):
        area = plot.getPlotItem().getViewBox().sceneBoundingRect()
        assert legend.items, "the legend lists the curves"
        assert not legend.sceneBoundingRect().intersects(area)
    window.training.views.snapshot_timer.stop()
