"""The window's document: new, open, save, save as, export and recent files."""

from __future__ import annotations

import re
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings
from PySide6.QtGui import Qt
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox

from builder import (
    ConvCanvasError,
    Graph,
    GraphFormatError,
    load_graph,
    save_graph,
    write_atomic,
)

from ..panels.template_gallery import TemplateGallery
from .model_import import StartWeights, weights_path

if TYPE_CHECKING:
    from .main_window import MainWindow

MAX_RECENT = 8
EXPORT_SUFFIXES = {"py": ".py", "train-py": "_train.py", "onnx": ".onnx", "weights": ".safetensors"}
CARRIES_WEIGHTS = {"onnx", "weights", "train-py"}
_UNSAFE = re.compile(r"[^\w.-]+")  # anything but letters, digits, _ . and -: folders, spaces, control
_DEVICE_NAMES = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def safe_stem(name: str, fallback: str = "network") -> str:
    """A plain file name (without suffix) made from a network's name, for a save dialog to
    suggest: no folder parts, no leading dot, no "..", no Windows device name, at most 64
    characters. A name is text from a file, so `../../etc/cron.d/evil` must not become a path."""
    stem = _UNSAFE.sub("_", name.strip().lower())
    stem = re.sub(r"\.{2,}", ".", stem).strip("._-")[:64].rstrip("._-")
    if not stem:
        return fallback
    if stem.split(".")[0] in _DEVICE_NAMES:
        return f"{stem}_{fallback}"
    return stem


class DocumentFiles(QObject):
    """Where the network comes from and goes to; `path` is None until it is saved."""

    def __init__(self, window: MainWindow, path: Path | None = None):
        super().__init__(window)
        self.window = window
        self.controller = window.controller
        self.path = path
        self.recent_menu: QMenu | None = None  # set by the menus; listed by `refresh_recent_menu`
        # a document made outside the history (an import) is unsaved though its history is clean
        self.needs_saving = False

    # -- opening -------------------------------------------------------------------------

    def maybe_save(self) -> bool:
        """Ask about unsaved changes; False means the user cancelled."""
        if self.controller.undo_stack.isClean() and not self.needs_saving:
            return True
        answer = self.ask_save_changes()
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def ask_save_changes(self):
        run = (
            "\n\nIt has a training run that the saved file does not list yet."
            if self.window.runs.unsaved_run
            else ""
        )
        # named, since Quit asks window after window; the name is text from a file: plain text
        name = self.path.name if self.path else f"{self.window.controller.graph.name} (never saved)"
        return QMessageBox.question(
            self.window,
            "Unsaved changes",
            Qt.convertFromPlainText(f"Save the changes to {name}?{run}", Qt.WhiteSpaceMode.WhiteSpaceNormal),
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
        )

    def new_file(self) -> None:
        if not self.maybe_save():
            return
        gallery = TemplateGallery(self.window)
        if gallery.exec():
            self.load_graph(gallery.chosen_graph(), None)

    def open_dialog(self) -> None:
        if not self.maybe_save():
            return
        path, _ = QFileDialog.getOpenFileName(
            self.window, "Open network", str(self.last_dir()), "ConvCanvas networks (*.json);;All files (*)"
        )
        if path:
            self.open_file(path, ask=False)

    def open_file(self, path, ask: bool = True) -> bool:
        """Open a graph file; on failure say why and keep the current network."""
        if ask and not self.maybe_save():
            return False
        try:
            graph = load_graph(path)
        except GraphFormatError as e:
            self.window.show_error("Cannot open the file", str(e))
            return False
        self.load_graph(graph, Path(path))
        self.add_recent(Path(path))
        return True

    def load_graph(self, graph: Graph, path: Path | None) -> None:
        self.path = path
        self.needs_saving = False
        self.window.start_weights = StartWeights.beside(path) if path is not None else None
        self.controller.load(graph)
        self.window.runs.reset()
        self.window.training.restore_settings()
        self.window.training.show_start_weights()
        self.window.update_title()
        self.window.view.show_start()

    # -- saving --------------------------------------------------------------------------

    def save(self) -> bool:
        if self.path is None:
            return self.save_as()
        return self.write(self.path)

    def save_as(self) -> bool:
        suggested = self.path or self.last_dir() / f"{safe_stem(self.controller.graph.name)}.json"
        path, _ = QFileDialog.getSaveFileName(
            self.window, "Save network", str(suggested), "ConvCanvas networks (*.json)"
        )
        if not path:
            return False
        if not path.endswith(".json"):
            path += ".json"
        return self.write(Path(path))

    def write(self, path: Path) -> bool:
        """Save to `path`; it becomes the document's path and the history's clean point."""
        graph, training = self.controller.graph, self.window.training
        if training.panel is not None:  # else the settings it was opened with stay as they were
            graph.training = {k: v for k, v in asdict(training.panel.config()).items() if v is not None}
        runs_before = list(graph.runs)
        if path != self.path:
            self.window.runs.rebase(path)
        try:
            save_graph(graph, path)
            self._save_weights_beside(path)
        except OSError as e:
            graph.runs = runs_before  # still relative to the file it belongs to
            self.window.show_error(
                "Cannot save", f"{path} could not be written: {e.strerror}. Choose another folder."
            )
            return False
        except ConvCanvasError as e:  # the weights to save beside it could not be read
            graph.runs = runs_before
            self.window.show_error("Cannot save the weights", f"{path} was saved without its weights: {e}")
            return False
        self.path = path
        self.needs_saving = False
        self.window.runs.saved()
        self.controller.undo_stack.setClean()
        self.add_recent(path)
        self.window.update_title()
        self.window.statusBar().showMessage(f"Saved {path}", 4000)
        return True

    def _save_weights_beside(self, path: Path) -> None:
        """Imported weights are part of the document: they are saved next to it, and opening
        the file finds them there."""
        weights = self.window.start_weights
        # a run's weights stay in its folder (the project lists the run); imported ones have none
        if weights is None or weights.run is not None or weights.path == weights_path(path):
            return
        from builder import save_state_dict

        save_state_dict(weights.state(), weights_path(path), self.controller.graph)
        self.window.start_weights = StartWeights(weights_path(path).name, weights.state(), weights_path(path))

    def export(self, fmt: str) -> None:
        """Export as PyTorch code ("py"), a training script ("train-py"), ONNX ("onnx") or
        weights ("weights"). ONNX and weights carry the window's weights (imported, or saved
        beside the network); blocks those weights do not fit start fresh, and the status says so."""
        training = self.window.training
        if not training.is_ready:  # the menu is disabled meanwhile; say why if called anyway
            self.window.statusBar().showMessage("Export waits for PyTorch to load", 4000)
            return
        result = self.controller.result  # re-inferred after every edit
        if not result.valid:
            self.window.show_error(
                "Cannot export",
                "Fix the network's errors first (see Problems):\n\n"
                + "\n".join(str(e) for e in result.errors[:5]),
            )
            return
        stem = self.path.stem if self.path else safe_stem(self.controller.graph.name)
        default = self.last_dir() / f"{stem}{EXPORT_SUFFIXES[fmt]}"
        weights = self.window.start_weights if fmt in CARRIES_WEIGHTS else None
        path, _ = QFileDialog.getSaveFileName(self.window, export_title(fmt, weights), str(default))
        if not path:
            return
        self.remember_dir(Path(path))
        refusal = self._weights_refusal(weights)
        if refusal:
            self.window.show_error("Cannot export these weights", refusal)
            return
        try:
            _write_export(fmt, path, self.controller.graph, result, training.panel.config(), weights)
        except (OSError, ConvCanvasError) as e:
            self.window.show_error("Export failed", str(e))
            return
        note = ""
        if fmt in CARRIES_WEIGHTS and fmt != "train-py":
            note = f" with the weights of {weights.source}" if weights else " with untrained (fresh) weights"
        elif fmt == "train-py" and weights is not None:
            note = f", and the weights of {weights.source} beside it to fine-tune from (--weights)"
        self.window.statusBar().showMessage(f"Exported {path}{note}", 10_000)

    def _weights_refusal(self, weights: StartWeights | None) -> str:
        """Why `weights` cannot go with the network as it is now, or "" if they can: weights
        that fit only part of it would export a network that nobody trained."""
        if weights is None:
            return ""
        from builder import build_model, fitting_weights, graph_diff, run_graph

        graph = self.controller.graph
        try:
            if weights.run is not None:
                diff = graph_diff(run_graph(weights.run), graph)
                if not diff.same:
                    return (
                        f"The network changed since {weights.source} trained it:\n\n"
                        + "\n".join(diff.lines()[:8])
                        + "\n\nTrain it again, or undo the changes."
                    )
            model_state = build_model(graph, self.controller.result).state_dict()
            _, fresh = fitting_weights(model_state, weights.state())
        except (OSError, ConvCanvasError) as e:
            return f"The weights of {weights.source} cannot be read: {e}"
        if fresh:
            from builder import fresh_blocks_message

            return fresh_blocks_message(fresh, weights.source).capitalize() + ". Train the network first."
        return ""

    def last_dir(self) -> Path:
        """The document's folder, else the folder last opened from or saved to, else home."""
        if self.path is not None:
            return self.path.parent
        last = QSettings().value("lastDir", "")
        if isinstance(last, str) and last and Path(last).is_dir():
            return Path(last)
        return Path.home()

    def remember_dir(self, path: Path) -> None:
        QSettings().setValue("lastDir", str(path.resolve().parent))

    # -- recent files --------------------------------------------------------------------

    def recent_files(self) -> list[str]:
        value = QSettings().value("recentFiles", [])
        return [v for v in (value if isinstance(value, list) else [value]) if v]

    def add_recent(self, path: Path) -> None:
        self.remember_dir(path)
        files = [str(path.resolve())] + [f for f in self.recent_files() if f != str(path.resolve())]
        QSettings().setValue("recentFiles", files[:MAX_RECENT])
        self.refresh_recent_menu()

    def refresh_recent_menu(self) -> None:
        if self.recent_menu is None:
            return
        self.recent_menu.clear()
        files = self.recent_files()
        for f in files:
            action = self.recent_menu.addAction(Path(f).name)
            action.setStatusTip(f)
            action.triggered.connect(lambda _=False, p=f: self.open_file(p))
        self.recent_menu.setEnabled(bool(files))


_EXPORT_NAMES = {"py": "PyTorch code", "train-py": "training script", "onnx": "ONNX", "weights": "weights"}


def export_title(fmt: str, weights: StartWeights | None) -> str:
    """The export dialog's title: what is exported, and whose weights go with it."""
    what = f"Export {_EXPORT_NAMES[fmt]}"
    if fmt not in CARRIES_WEIGHTS:
        return what
    return f"{what} with the weights of {weights.source}" if weights else f"{what} (untrained weights)"


def _write_export(fmt: str, path: str, graph: Graph, result, config, weights: StartWeights | None) -> None:
    # the exporters load on first use: they import torch
    if fmt == "py":
        from builder import export_python

        write_atomic(path, export_python(graph, result))
        return
    if fmt == "train-py":
        from builder import read_run, write_training_script

        # a run's script trains as that run did, on its data; else the panel's settings
        if weights is not None and weights.run is not None:
            config = read_run(weights.run).config
        write_training_script(path, graph, config, result, weights.state() if weights else None)
        return
    from builder import build_model, export_onnx, fitting_weights, save_weights

    model = build_model(graph, result)
    if weights is not None:  # `_weights_refusal` checked that every block gets its weights
        model.load_state_dict(fitting_weights(model.state_dict(), weights.state())[0], strict=False)
    if fmt == "onnx":
        export_onnx(model, path, result.input_shape)
    else:
        save_weights(model, path, graph)
