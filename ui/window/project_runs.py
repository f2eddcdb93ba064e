"""The project's training runs: where a new run writes, which runs the project records, and
which run's weights the canvas uses.

Runs of a saved project go to ``<project>_runs/<date-time>`` beside it and are recorded
relative to the project's folder, so a project folder can move; runs of a network that was
never saved go to the per-user data folder and are recorded by their full path.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from builder import default_runs_home, new_run_folder

from .model_import import StartWeights

if TYPE_CHECKING:
    from .main_window import MainWindow


class ProjectRuns(QObject):
    changed = Signal()  # a run was recorded, or the project (and so its list) changed

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.unsaved_run = False  # a run recorded since the project was last saved
        self.selected: Path | None = None  # the run whose weights the canvas uses

    @property
    def graph(self):
        return self.window.controller.graph

    def base(self) -> Path | None:
        path = self.window.files.path
        return path.parent if path is not None else None

    def folders(self) -> list[Path]:
        """The recorded runs' folders, oldest first (missing ones included: the panel says so)."""
        base = self.base()
        return [Path(r) if Path(r).is_absolute() or base is None else base / r for r in self.graph.runs]

    def new_folder(self) -> Path:
        return new_run_folder(self.window.files.path, self.graph.name, default_runs_home())

    def record(self, folder: Path) -> None:
        """Add a run that has just started to the project; the project now needs saving."""
        entry = _entry(folder, self.base())
        if entry not in self.graph.runs:
            self.graph.runs.append(entry)
        self.unsaved_run = True
        self.window.files.needs_saving = True
        self.window.update_title()
        self.changed.emit()

    def rebase(self, new_path: Path) -> None:
        """Before saving under `new_path`: keep every recorded run findable from there."""
        folders = self.folders()
        self.graph.runs = [_entry(f, new_path.parent) for f in folders]

    def saved(self) -> None:
        self.unsaved_run = False

    def reset(self) -> None:
        """Another project was opened: its runs, none selected."""
        self.unsaved_run = False
        self.selected = None
        self.changed.emit()

    def use_weights_of(self, folder: Path | None) -> None:
        """Make the run in `folder` the source of the canvas's weights (None: none selected)."""
        self.selected = folder
        if folder is None:
            return
        weights = folder / "weights.safetensors"
        if not weights.is_file():
            weights = folder / "checkpoints" / "last.pt"  # stopped or crashed: its last epoch
        if not weights.is_file():  # it ended before its first epoch: nothing was learned
            self.window.start_weights = None
            return
        self.window.start_weights = StartWeights(f"run {folder.name}", path=weights, run=folder)


def _entry(folder: Path, base: Path | None) -> str:
    """How the project file records `folder`: relative to the project's folder when inside it."""
    folder = folder.resolve()
    if base is not None and folder.is_relative_to(base.resolve()):
        return folder.relative_to(base.resolve()).as_posix()
    return str(folder)
