import gc
import threading

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from builder import load_template


@pytest.fixture(autouse=True)
def isolated_settings(qapp, tmp_path, monkeypatch):
    """Each test gets its own QSettings and recovery folder: nothing leaks between tests."""
    qapp.setOrganizationName("ConvCanvasTests")
    qapp.setApplicationName("ConvCanvasTests")
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    monkeypatch.setenv("CONVCANVAS_STATE_DIR", str(tmp_path / "state"))
    yield


@pytest.fixture(autouse=True)
def collect_qt_garbage_on_this_thread(qapp):
    """Windows closed by a test are reference cycles; collect them here, on the GUI thread,
    before a later test's training thread can trigger a collection that destroys them."""
    yield
    qapp.processEvents()
    gc.collect()
    qapp.processEvents()


@pytest.fixture(autouse=True)
def no_thread_left_running():
    """A test that leaves a thread running fails: a dangling thread crashes apps on exit."""
    before = set(threading.enumerate())
    yield
    leftover = [t for t in threading.enumerate() if t not in before and t.is_alive() and not t.daemon]
    assert not leftover, f"threads left running: {leftover}"


@pytest.fixture
def window(qtbot, monkeypatch):
    """The main window with LeNet-5, shown, once torch has loaded and Train and Export work."""
    from ui.window.main_window import MainWindow

    win = MainWindow(load_template("lenet5"))
    # never block a test on a modal question: discard unless a test says otherwise
    monkeypatch.setattr(win.files, "ask_save_changes", lambda: QMessageBox.StandardButton.Discard)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    qtbot.waitUntil(lambda: win.training.is_ready, timeout=60_000)
    return win
