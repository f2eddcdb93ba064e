"""Crash recovery: each window autosaves to its own file, only a crashed window's file is offered,
and never a state older than the saved document.

A crash is a real one: a child process opens the network, edits it, autosaves and kills itself
with SIGKILL, so it leaves its recovery file and its lock behind as a crash would.
"""

import json
import os
import signal
import subprocess
import sys

import pytest
from PySide6.QtWidgets import QMessageBox

from builder import dumps_graph, load_graph, load_template, save_graph

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL to crash a child")

CRASH = """
import os, signal, sys
from pathlib import Path
from PySide6.QtWidgets import QApplication
from builder import load_graph
from ui.window.main_window import MainWindow

path, then = Path(sys.argv[1]), sys.argv[2]
app = QApplication([])
window = MainWindow(load_graph(path), path, load_torch=False)
window.controller.set_settings("conv1", {"out_channels": 9})
assert window.recovery.autosave()
if then == "save":
    assert window.files.write(path)
print(window.recovery.path, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def crash_after_editing(tmp_path, document, then="edit"):
    """Run an app that edits `document` (conv1 gets 9 channels), autosaves, maybe saves, and is
    killed; return the recovery file it wrote."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path / "config")}
    done = subprocess.run(
        [sys.executable, "-c", CRASH, str(document), then],
        env=env,  # CONVCANVAS_STATE_DIR: this test's state folder
        capture_output=True,
        text=True,
        timeout=120,
        cwd=os.path.join(os.path.dirname(__file__), "..", ".."),
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    return done.stdout.strip()


@pytest.fixture
def document(tmp_path):
    path = tmp_path / "net.json"
    save_graph(load_template("lenet5"), path)
    return path


def new_window(qtbot, monkeypatch, answer=QMessageBox.StandardButton.Yes):
    """A window as the app starts one, answering the restore question with `answer`."""
    from ui.window.main_window import MainWindow

    window = MainWindow(load_torch=False)
    qtbot.addWidget(window)
    asked = []
    monkeypatch.setattr(window.recovery, "ask_restore", lambda path: (asked.append(path), answer)[1])
    monkeypatch.setattr(window.files, "ask_save_changes", lambda: QMessageBox.StandardButton.Discard)
    return window, asked


def test_a_crashed_windows_work_is_offered_restored_and_removed_on_a_clean_exit(
    qtbot, monkeypatch, tmp_path, document
):
    from pathlib import Path

    left = Path(crash_after_editing(tmp_path, document))
    assert left.exists()
    window, asked = new_window(qtbot, monkeypatch)
    assert window.recovery.offer()
    assert asked == [str(document)]
    assert window.controller.graph.nodes["conv1"].settings["out_channels"] == 9
    assert window.files.path == document and window.isWindowModified()
    assert not left.exists()  # the crashed window's file is replaced by this window's own
    assert window.recovery.path.exists()
    window.close()
    assert not window.recovery.path.exists()  # a clean exit removes it
    assert list((tmp_path / "state").glob("recovery*.json")) == []


def test_answering_no_removes_only_the_crashed_file(qtbot, monkeypatch, tmp_path, document):
    from pathlib import Path

    left = Path(crash_after_editing(tmp_path, document))
    window, asked = new_window(qtbot, monkeypatch, QMessageBox.StandardButton.No)
    assert not window.recovery.offer() and asked
    assert not left.exists() and not window.isWindowModified()


def test_after_a_save_a_later_crash_offers_nothing_older(qtbot, monkeypatch, tmp_path, document):
    """Regression: after Save, a crash offered the older autosave as unsaved changes and marked
    the saved document modified."""
    crash_after_editing(tmp_path, document, then="save")
    assert load_graph(document).nodes["conv1"].settings["out_channels"] == 9
    window, asked = new_window(qtbot, monkeypatch)
    assert not window.recovery.offer() and asked == []
    assert not window.isWindowModified()


def test_a_document_saved_after_the_autosave_is_not_reverted(qtbot, monkeypatch, tmp_path, document):
    from pathlib import Path

    left = Path(crash_after_editing(tmp_path, document))
    newer = load_template("lenet5")
    newer.nodes["conv1"].settings["out_channels"] = 4
    save_graph(newer, document)  # saved since, by another window or program
    os.utime(document, (left.stat().st_mtime + 5, left.stat().st_mtime + 5))
    window, asked = new_window(qtbot, monkeypatch)
    assert not window.recovery.offer() and asked == []
    assert not left.exists()
    assert load_graph(document).nodes["conv1"].settings["out_channels"] == 4


def test_a_running_windows_file_is_neither_offered_nor_removed_by_another(qtbot, monkeypatch):
    """Regression: one shared recovery file for all instances; a second instance deleted the
    first one's on a clean exit or by answering No."""
    first, _ = new_window(qtbot, monkeypatch)
    first.controller.set_settings("conv1", {"out_channels": 9})
    assert first.recovery.autosave()
    second, asked = new_window(qtbot, monkeypatch)
    assert first.recovery.path != second.recovery.path
    assert not second.recovery.offer() and asked == []  # its window is alive
    assert first.recovery.path.exists()
    second.controller.set_settings("conv2", {"out_channels": 20})
    assert second.recovery.autosave()
    second.close()
    assert not second.recovery.path.exists() and first.recovery.path.exists()
    saved = json.loads(first.recovery.path.read_text())["graph"]
    assert saved == json.loads(dumps_graph(first.controller.graph))


def test_saving_or_undoing_to_the_saved_state_removes_the_recovery_file(window, qtbot, tmp_path):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    recovery = window.recovery
    window.controller.set_settings("conv1", {"out_channels": 9})
    assert recovery.autosave() and recovery.path.exists()
    assert not recovery.autosave()  # nothing new since the last autosave
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # back to as opened
    assert window.controller.undo_stack.isClean() and not recovery.path.exists()
    window.controller.set_settings("conv1", {"out_channels": 9})
    assert recovery.autosave() and recovery.path.exists()
    assert window.files.write(tmp_path / "saved.json")
    assert not recovery.path.exists()
