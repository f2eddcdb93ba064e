import gc
import threading

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox

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


@pytest.fixture(scope="session", autouse=True)
def qt_exceptions_fail_tests(pytestconfig):
    """pytest-qt fails a test when a Qt virtual or slot raises (Qt itself would only print it);
    keep that on: a KeyError in a slot is a crash waiting in the app."""
    assert pytestconfig.pluginmanager.hasplugin("pytest-qt"), "pytest-qt must be active for tests/ui"
    assert not pytestconfig.getini("qt_no_exception_capture"), "qt_no_exception_capture must stay off"
    yield


@pytest.fixture(autouse=True)
def no_modal_dialog_blocks(monkeypatch):
    """Offscreen, a modal dialog waits forever: a test that fails with unsaved changes or a run
    going would hang the whole suite when its window is closed at teardown and asks about them.
    Answer at once instead: discard the changes, stop the run, cancel a file dialog. Tests that
    check a question replace the window's `ask_*` method, which never reaches these."""
    Button = QMessageBox.StandardButton

    def question(_parent, _title, _text, buttons=Button.Yes | Button.No, *_args):
        return next((b for b in (Button.Discard, Button.Yes) if buttons & b), Button.Cancel)

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    for name in ("warning", "information", "critical"):
        monkeypatch.setattr(QMessageBox, name, staticmethod(lambda *_args, **_kwargs: Button.Ok))
    for name in ("getOpenFileName", "getSaveFileName"):
        monkeypatch.setattr(QFileDialog, name, staticmethod(lambda *_args, **_kwargs: ("", "")))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *_args, **_kwargs: ""))
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *_args, **_kwargs: ("", False)))


@pytest.fixture(autouse=True)
def thread_exceptions_fail_tests():
    """An exception that ends a thread (a worker, a loader) fails the test that caused it."""
    raised = []
    previous = threading.excepthook
    threading.excepthook = lambda args: raised.append(
        f"{args.thread}: {args.exc_type.__name__}: {args.exc_value}"
    )
    yield
    threading.excepthook = previous
    assert not raised, f"exceptions in threads: {raised}"


@pytest.fixture(autouse=True)
def no_thread_left_running():
    """A test that leaves a thread running fails: a dangling thread crashes apps on exit. The
    training worker is a daemon (closing need not wait for a dataset load) but counts too."""
    before = set(threading.enumerate())
    yield
    leftover = [
        t
        for t in threading.enumerate()
        if t not in before and t.is_alive() and (not t.daemon or t.name.startswith("convcanvas-"))
    ]
    assert not leftover, f"threads left running: {leftover}"


@pytest.fixture
def window(qtbot, monkeypatch):
    """The main window with LeNet-5, shown, once torch has loaded and Train and Export work."""
    from ui.window.main_window import MainWindow

    win = MainWindow(load_template("lenet5"))
    # never block a test on a modal question: discard unless a test says otherwise
    monkeypatch.setattr(win.files, "ask_save_changes", lambda: QMessageBox.StandardButton.Discard)
    qtbot.addWidget(win)
    _show_active(qtbot, win)
    qtbot.waitUntil(lambda: win.training.is_ready, timeout=60_000)
    return win


def _show_active(qtbot, window) -> None:
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()


@pytest.fixture
def show_active(qtbot):
    """Show a window and wait until it is the active window: keyboard shortcuts (Ctrl+V, Ctrl+Z)
    reach only the active window. (`waitActive` and `waitExposed` wait only as `with` blocks.)"""
    return lambda window: _show_active(qtbot, window)
