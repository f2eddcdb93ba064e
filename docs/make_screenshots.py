"""Make the README's screenshots of the Runs panel: two short runs of LeNet-5 (the second with
a wider conv1 and another learning rate), the list, and the comparison of the two.

    QT_QPA_PLATFORM=offscreen python docs/make_screenshots.py     # about a minute on 2 cores
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtWidgets import QApplication

HERE = Path(__file__).parent


def wait_until(app: QApplication, condition, timeout_s: float = 300) -> None:
    loop, timer = QEventLoop(), QTimer()
    timer.timeout.connect(lambda: loop.quit() if condition() else None)
    timer.start(50)
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    loop.exec()
    timer.stop()
    if not condition():
        raise SystemExit("timed out")


def train(app: QApplication, window) -> None:
    panel = window.training.panel
    panel.epochs.setValue(3)
    panel.train_button.click()
    wait_until(app, lambda: window.training.session.running)
    wait_until(app, lambda: not window.training.session.running)
    app.processEvents()


def main() -> None:
    app = QApplication(sys.argv)
    app.setOrganizationName("ConvCanvasScreenshots")
    from builder import load_template
    from ui.window.main_window import MainWindow

    window = MainWindow(load_template("lenet5"))
    window.resize(1400, 900)
    window.show()
    window.menu_actions.help.tour.dismiss()  # the welcome shows on a first launch; not wanted here
    wait_until(app, lambda: window.training.is_ready)
    with tempfile.TemporaryDirectory() as folder:
        window.files.write(Path(folder) / "lenet5.json")
        window.training.panel.lr.setValue(0.001)
        train(app, window)
        window.controller.set_settings("conv1", {"out_channels": 12})
        window.training.panel.lr.setValue(0.003)
        train(app, window)
        dock = window.docks["Runs"]
        dock.raise_()
        window.resizeDocks([dock], [430], Qt.Orientation.Vertical)
        panel = window.training.runs_panel
        panel.select_runs(*panel.paths)
        app.processEvents()
        window.grab().save(str(HERE / "runs-window.png"))
        dock.widget().resize(1300, 520)
        dock.widget().grab().save(str(HERE / "runs-diff.png"))
    print("saved docs/runs-window.png and docs/runs-diff.png")
    window.files.needs_saving = False
    window.controller.undo_stack.setClean()
    window.close()


if __name__ == "__main__":
    main()
