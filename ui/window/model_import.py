"""File > Import: run the chosen import on a worker thread and open the result in a new window
with its weights, which training starts from and exports carry."""

from __future__ import annotations

import threading
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QProgressDialog

from builder import ConvCanvasError

from ..panels.import_dialog import ImportDialog

if TYPE_CHECKING:
    from .main_window import MainWindow


@dataclass
class StartWeights:
    """Weights the network's blocks start from instead of fresh values (imported, or the file
    saved beside the network), and where they came from, for messages. A file is read when
    first needed (reading it loads torch, which the window defers past its first paint)."""

    source: str
    _state: dict[str, Any] | None = None
    path: Path | None = None
    run: Path | None = None  # the run folder they come from, whose graph.json they were trained on

    def state(self) -> dict[str, Any]:
        """The state dict; `WeightsError` (or OSError) if the file cannot be read."""
        if self._state is None:
            from builder import load_weights

            assert self.path is not None
            self._state = load_weights(self.path)
        return self._state

    @classmethod
    def beside(cls, document: Path) -> StartWeights | None:
        """The weights saved next to a network file (``net.json`` -> ``net.safetensors``)."""
        path = weights_path(document)
        return cls(path.name, path=path) if path.is_file() else None


def weights_path(document: Path) -> Path:
    return document.with_suffix(".safetensors")


class ModelImport(QObject):
    """Imports for one window; each imported network opens in a window of its own."""

    finished = Signal(object, str)  # ImportedModel or None, and the refusal's text

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.progress: QProgressDialog | None = None
        self.closed = False  # the window has closed: a late import result goes nowhere
        self.finished.connect(self._on_finished)
        window.destroyed.connect(self._on_window_gone)

    def _on_window_gone(self, *_args) -> None:
        self.closed = True

    def open_dialog(self) -> None:
        dialog = ImportDialog(self.window, self.window.files.last_dir())
        if dialog.exec():
            request = dialog.request()
            if request is not None:
                self.start(*request)

    def start(self, spec: str, input_shape: tuple[int, int, int] | None) -> None:
        """Import `spec` in the background; a busy dialog shows meanwhile (tracing a large
        model takes seconds)."""
        if self.progress is not None:  # one import at a time
            return
        self.progress = QProgressDialog(f"Importing {spec}…", "", 0, 0, self.window)
        self.progress.setCancelButton(None)  # a trace cannot be interrupted halfway
        self.progress.setWindowTitle("Import")
        self.progress.setWindowModality(Qt.WindowModality.WindowModal)
        self.progress.setMinimumDuration(300)
        threading.Thread(target=self._work, args=(spec, input_shape), daemon=True).start()

    def _work(self, spec: str, input_shape) -> None:
        from builder import import_model

        imported, problem = None, "the import stopped without a result"
        try:
            imported, problem = import_model(spec, input_shape), ""
        except ConvCanvasError as e:  # refusals say what cannot be represented, and why
            problem = str(e)
        except BaseException as e:  # the user's module may raise anything, even SystemExit
            detail = traceback.format_exception_only(type(e), e)[-1].strip()
            problem = f"the import stopped with an error: {detail}"
        finally:  # whatever happened, the busy dialog must close
            if not self.closed:
                self.finished.emit(imported, problem)

    def _on_finished(self, imported, problem: str) -> None:
        if self.progress is not None:
            self.progress.close()
            self.progress = None
        if self.closed:
            return
        if imported is None:
            self.window.show_error("Cannot import", problem)
            return
        from .main_window import open_window

        opened = open_window(imported.graph, StartWeights(imported.source, imported.weights))
        opened.files.needs_saving = True
        opened.update_title()
        opened.statusBar().showMessage(
            f"Imported {imported.source}: {len(imported.graph.nodes)} blocks, its weights kept for "
            "training and export",
            10_000,
        )
