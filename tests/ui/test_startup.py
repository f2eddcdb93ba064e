"""The window comes first: torch loads in the background after the first paint, and Train and
Export wait for it. Importing torch takes seconds; these tests fail when something imported
at start-up pulls it in again."""

import os
import subprocess
import sys

from builder import load_template

# runs in a fresh interpreter: this test process has long imported torch
FIRST_PAINT = """
import sys
from PySide6.QtWidgets import QApplication
from ui.window.main_window import MainWindow

app = QApplication([])
window = MainWindow()

def on_first_paint():
    print("torch imported" if "torch" in sys.modules else "no torch", flush=True)
    app.quit()

window.first_painted.connect(on_first_paint)
window.show()
app.exec()
"""

WITHOUT_TORCH = """
import sys
sys.modules["torch"] = None  # as if torch were not installed: importing it raises ImportError
from PySide6.QtWidgets import QApplication
from ui.window.main_window import MainWindow

app = QApplication([])
window = MainWindow()

def on_failed(why):
    training = window.training
    print(training.train_button.isEnabled(), window.menu_actions.export_menu.isEnabled())
    print(training.placeholder.message.text())
    print(training.note.text())
    app.quit()

window.training.loader.failed.connect(on_failed)
window.show()
app.exec()
"""


def fresh_env(tmp_path, **extra) -> dict:
    return {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "CONVCANVAS_STATE_DIR": str(tmp_path / "state"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),  # the app's QSettings
        **extra,
    }


def test_the_window_is_painted_before_torch_is_imported(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", FIRST_PAINT],
        env=fresh_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["no", "torch"]


def test_without_torch_editing_works_and_training_says_why(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_TORCH],
        env=fresh_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    enabled, message, note = done.stdout.splitlines()
    assert enabled == "False False"  # neither Train nor Export
    assert "PyTorch could not be loaded" in message and "ModuleNotFoundError" in message
    assert "training and export are unavailable" in note


def test_the_startup_probe_reports_the_first_window_and_quits(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "ui.launcher", "resources/templates/lenet5.json"],
        env=fresh_env(tmp_path, CONVCANVAS_STARTUP_PROBE="1"),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=os.path.join(os.path.dirname(__file__), "..", ".."),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "first-window"


def test_train_and_export_are_enabled_once_torch_has_loaded(qtbot):
    from ui.window.main_window import MainWindow

    window = MainWindow(load_template("lenet5"))
    qtbot.addWidget(window)
    training = window.training
    # before the first paint nothing has started loading: Train and Export say they wait
    assert not training.train_button.isEnabled()
    assert "PyTorch" in training.train_button.toolTip()
    assert not training.note.isHidden() and "Loading PyTorch" in training.note.text()
    assert not window.menu_actions.export_menu.isEnabled()
    with qtbot.waitSignal(training.ready, timeout=60_000):
        window.show()
    assert training.train_button.isEnabled() and training.train_button is training.panel.train_button
    assert training.note.isHidden()
    assert window.menu_actions.export_menu.isEnabled()
    assert window.docks["Training plots"].widget() is training.views
