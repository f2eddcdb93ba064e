"""Autosave to a recovery file, and the offer to restore it after a crash."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QMessageBox

from builder import GraphFormatError, dumps_graph, loads_graph, write_atomic

if TYPE_CHECKING:
    from .main_window import MainWindow

AUTOSAVE_MS = 60_000


def state_dir() -> Path:
    """Where the recovery file lives (CONVCANVAS_STATE_DIR overrides, for tests)."""
    override = os.environ.get("CONVCANVAS_STATE_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_state_dir("convcanvas", appauthor=False))


def recovery_path() -> Path:
    return state_dir() / "recovery.json"


class Recovery(QObject):
    """Writes unsaved work to the recovery file every minute; a clean exit removes the file."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.controller = window.controller
        self._saved_index = -1  # the history index last written, so an idle minute writes nothing
        self.timer = QTimer(self)
        self.timer.setInterval(AUTOSAVE_MS)
        self.timer.timeout.connect(self.autosave)
        self.timer.start()
        self.controller.graph_reset.connect(self._on_graph_reset)

    def _on_graph_reset(self) -> None:
        self._saved_index = -1

    def autosave(self) -> bool:
        """Write unsaved work to the recovery file (only when it changed since last time)."""
        stack = self.controller.undo_stack
        if stack.isClean() or stack.index() == self._saved_index:
            return False
        files = self.window.files
        data = {
            "path": str(files.path) if files.path else None,
            "graph": json.loads(dumps_graph(self.controller.graph)),
        }
        try:
            write_atomic(recovery_path(), json.dumps(data))
        except OSError:
            return False  # autosave must never interrupt work
        self._saved_index = stack.index()
        return True

    def offer(self) -> bool:
        """After a crash, offer the recovery file; True if the network was restored."""
        path = recovery_path()
        if not path.exists():
            return False
        try:
            data = json.loads(path.read_text())
            graph = loads_graph(json.dumps(data["graph"]), "recovery file")
        except (OSError, ValueError, KeyError, TypeError, GraphFormatError):
            path.unlink(missing_ok=True)  # unreadable: nothing to offer, and nothing to keep
            return False
        if self.ask_restore(data.get("path")) != QMessageBox.StandardButton.Yes:
            path.unlink(missing_ok=True)
            return False
        files = self.window.files
        files.load_graph(graph, Path(data["path"]) if data.get("path") else None)
        self.controller.undo_stack.resetClean()  # restored work is unsaved until saved
        self.window.update_title()
        return True

    def ask_restore(self, original: str | None):
        where = f" to {Path(original).name}" if original else ""
        return QMessageBox.question(
            self.window,
            "Restore unsaved work",
            f"ConvCanvas did not close normally. Restore the unsaved changes{where}?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        )

    def finish(self) -> None:
        """The window closes cleanly: stop autosaving and leave nothing to recover."""
        self.timer.stop()
        recovery_path().unlink(missing_ok=True)
