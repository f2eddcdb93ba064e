"""Autosave to a recovery file, and the offer to restore it after a crash.

Every window writes its own file, `recovery-<process id>-<n>.json`, and holds a lock file
beside it (`.lock`, a QLockFile, which the system frees when the process dies) while that file
exists. Another window offers a recovery file only when it can take that lock, that is when the
window that wrote it ended without cleaning up: it crashed. A window removes its own file, and
never another's, when its work is saved, undone back to the saved state, replaced by another
document or closed cleanly. A recovery file older than the saved document it belongs to, or
equal to it, is not offered: the saved file already has that work.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QLockFile, QObject, QTimer
from PySide6.QtWidgets import QMessageBox

from builder import Graph, GraphFormatError, dumps_graph, load_graph, loads_graph, write_atomic

if TYPE_CHECKING:
    from .main_window import MainWindow

AUTOSAVE_MS = 60_000
PATTERN = "recovery*.json"  # also the single `recovery.json` of earlier versions
_windows = itertools.count(1)  # the windows of this process, for their file names


def state_dir() -> Path:
    """Where recovery files live (CONVCANVAS_STATE_DIR overrides, for tests)."""
    override = os.environ.get("CONVCANVAS_STATE_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_state_dir("convcanvas", appauthor=False))


def lock_for(recovery_file: Path) -> QLockFile:
    """The lock its window holds while `recovery_file` is in use; free once that process died."""
    lock = QLockFile(str(recovery_file.with_suffix(".lock")))
    lock.setStaleLockTime(0)  # stale only when its process is gone, however old the file
    return lock


class Recovery(QObject):
    """Writes this window's unsaved work to its recovery file every minute (when it changed)."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.controller = window.controller
        self.path = state_dir() / f"recovery-{os.getpid()}-{next(_windows)}.json"
        self._lock = lock_for(self.path)
        self._saved_index = -1  # the history index last written, so an idle minute writes nothing
        self.timer = QTimer(self)
        self.timer.setInterval(AUTOSAVE_MS)
        self.timer.timeout.connect(self.autosave)
        self.timer.start()
        # uses only its argument and plain Python state: the stack also emits from its destructor
        self.controller.undo_stack.cleanChanged.connect(self._on_clean_changed)
        self.controller.graph_reset.connect(self.discard)  # the user saved or discarded the old one

    def _on_clean_changed(self, clean: bool) -> None:
        if clean:  # saved, or undone back to the saved state: nothing left to recover
            self.discard()

    def autosave(self) -> bool:
        """Write unsaved work to this window's recovery file (only when it changed since last time)."""
        stack = self.controller.undo_stack
        if stack.isClean() or stack.index() == self._saved_index:
            return False
        document = self.window.files.path
        data = {
            "path": str(document) if document else None,
            "graph": json.loads(dumps_graph(self.controller.graph)),
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if not self._lock.isLocked() and not self._lock.tryLock(0):
                return False  # another process holds a lock of this name: write nothing of ours over it
            write_atomic(self.path, json.dumps(data))
        except OSError:
            return False  # autosave must never interrupt work
        self._saved_index = stack.index()
        return True

    def discard(self) -> None:
        """Remove this window's recovery file (the file first, then the lock that guards it)."""
        self._saved_index = -1
        try:
            self.path.unlink(missing_ok=True)
        except OSError:
            return  # the lock stays, so no other window takes a file that is still there
        if self._lock.isLocked():
            self._lock.unlock()

    def finish(self) -> None:
        """The window closes cleanly: stop autosaving and leave nothing of its own to recover."""
        self.timer.stop()
        self.discard()

    # -- after a crash --------------------------------------------------------------------

    def offer(self) -> bool:
        """Offer the recovery files of windows that crashed, newest first; True if one was
        restored. Files of windows still running are left alone."""
        try:
            found = sorted(state_dir().glob(PATTERN), key=_modified, reverse=True)
        except OSError:
            return False
        for path in found:
            if path == self.path:
                continue
            lock = lock_for(path)
            if not lock.tryLock(0):
                continue  # its window is running (or the folder is read-only): not ours to offer
            try:
                if self._offer_file(path):
                    return True
            finally:
                lock.unlock()
        return False

    def _offer_file(self, path: Path) -> bool:
        try:
            data = json.loads(path.read_text())
            graph = loads_graph(json.dumps(data["graph"]), "recovery file")
            original = Path(data["path"]) if data.get("path") else None
        except (OSError, ValueError, KeyError, TypeError, GraphFormatError):
            _remove(path)  # unreadable: nothing to offer, and nothing to keep
            return False
        if original is not None and _already_saved(graph, original, path):
            _remove(path)
            return False
        if self.ask_restore(str(original) if original else None) != QMessageBox.StandardButton.Yes:
            _remove(path)
            return False
        self.window.files.load_graph(graph, original)
        self.controller.undo_stack.resetClean()  # restored work is unsaved until saved
        self.window.update_title()
        self.autosave()  # this window's own recovery file holds it now ...
        _remove(path)  # ... so the crashed window's can go
        return True

    def ask_restore(self, original: str | None):
        where = f" to {Path(original).name}" if original else ""
        return QMessageBox.question(
            self.window,
            "Restore unsaved work",
            f"ConvCanvas did not close normally. Restore the unsaved changes{where}?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        )


def _already_saved(graph: Graph, document: Path, recovery_file: Path) -> bool:
    """Whether `document` holds this work or was saved after `recovery_file` was written."""
    try:
        if document.stat().st_mtime >= recovery_file.stat().st_mtime:
            return True
        return load_graph(document) == graph
    except (OSError, GraphFormatError):
        return False  # the document is gone or damaged: the recovered work is all there is


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _remove(path: Path) -> None:
    # in a read-only folder the file stays and is offered again next time, which loses nothing
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)
