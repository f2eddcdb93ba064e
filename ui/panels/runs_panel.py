"""The Runs dock: every training run of the project, their curves side by side, and what
changed between two of them.

Select one run: its weights become the canvas's (feature maps, prediction and export use
them). Select several: their test-accuracy curves are overlaid. Select two: the difference
in architecture, settings and results is shown below the list.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from builder import ConvCanvasError, Graph, RunSummary, graph_diff, read_run, run_graph

from ..training import plot_style  # noqa: F401  (pyqtgraph's look, before any plot is made)

COLUMNS = ("Run", "Started", "Dataset", "Settings", "Best", "Final", "Time", "Status")
PALETTE = ("#1e88e5", "#e53935", "#43a047", "#fb8c00", "#8e24aa", "#00897b", "#6d4c41", "#3949ab")


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return (
        f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        if seconds >= 3600
        else (f"{seconds // 60}:{seconds % 60:02d}")
    )


def settings_text(run: RunSummary) -> str:
    c = run.config
    return f"{c.optimizer} lr {c.lr:g}, batch {c.batch_size}, {c.epochs} ep"


class RunsPanel(QWidget):
    """Lists the runs that `folders()` names; `run_chosen` carries the one selected run's folder
    (None when the selection is not one readable run)."""

    run_chosen = Signal(object)

    def __init__(self, folders: Callable[[], list[Path]], parent=None):
        super().__init__(parent)
        self.folders = folders
        self.runs: list[RunSummary | None] = []
        self.paths: list[Path] = []
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.empty = QLabel("No runs yet: press Train, and each run is listed here with its results.")
        self.empty.setWordWrap(True)
        self.plot = pg.PlotWidget(title="Test accuracy per epoch")
        self.plot.setLabel("bottom", "epoch")
        self.plot.showGrid(x=True, y=True, alpha=0.3)
        self.legend = QLabel()  # outside the plot, so it never covers a curve
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)
        self.diff = QTextBrowser()
        self.diff.setOpenLinks(False)
        curves = QWidget()
        curves_layout = QVBoxLayout(curves)
        curves_layout.setContentsMargins(0, 0, 0, 0)
        curves_layout.addWidget(self.plot, 1)
        curves_layout.addWidget(self.legend)
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(curves)
        lower.addWidget(self.diff)
        lower.setSizes([400, 400])
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(lower)
        layout = QVBoxLayout(self)
        layout.addWidget(self.empty)
        layout.addWidget(split, 1)
        self.table.itemSelectionChanged.connect(self._on_selection)
        self.refresh()

    # -- the list ------------------------------------------------------------------------

    def refresh(self, keep: Path | None = None) -> None:
        """Read the runs again (a run in progress changes); select `keep` if it is listed."""
        current = self._selected_paths()
        selected = keep or (current[0] if current else None)
        self.paths = self.folders()
        self.runs = []
        self.table.blockSignals(True)
        self.table.setRowCount(len(self.paths))
        for row, path in enumerate(self.paths):
            try:
                run: RunSummary | None = read_run(path)
            except ConvCanvasError:
                run = None
            self.runs.append(run)
            self._fill_row(row, path, run)
        self.table.blockSignals(False)
        self.empty.setVisible(not self.paths)
        if selected and selected in self.paths:
            self.table.selectRow(self.paths.index(selected))
        else:
            self._on_selection()

    def _fill_row(self, row: int, path: Path, run: RunSummary | None) -> None:
        if run is None:
            cells = [path.name, "", "", "the folder is missing or not a run", "", "", "", "missing"]
        else:
            cells = [
                run.name,
                run.started.replace("T", " ")[:16],
                run.config.dataset,
                settings_text(run),
                _percent(run.best_accuracy),
                _percent(run.final_accuracy),
                _duration(run.duration),
                run.status,
            ]
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setToolTip(str(path) if column == 0 else (run.message if run and column == 7 else text))
            self.table.setItem(row, column, item)

    def _selected_rows(self) -> list[int]:
        return sorted({i.row() for i in self.table.selectedIndexes()})

    def _selected_paths(self) -> list[Path]:
        return [self.paths[r] for r in self._selected_rows() if r < len(self.paths)]

    def select_runs(self, *paths: Path) -> None:
        """Select these runs (also how tests drive the panel)."""
        self.table.clearSelection()
        mode = self.table.selectionMode()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        for path in paths:
            self.table.selectRow(self.paths.index(path))
        self.table.setSelectionMode(mode)

    # -- what the selection shows --------------------------------------------------------

    def _on_selection(self) -> None:
        rows = [r for r in self._selected_rows() if self.runs[r] is not None]
        self._draw_curves(rows)
        if len(rows) == 2:
            self.diff.setHtml(self.comparison_html(self.runs[rows[0]], self.runs[rows[1]]))
        elif len(rows) == 1:
            self.diff.setHtml(_run_html(self.runs[rows[0]]))
        else:
            self.diff.setHtml("<p>Select a run to use its weights; select two to compare them.</p>")
        chosen = self.paths[rows[0]] if len(rows) == 1 else None
        self.run_chosen.emit(chosen)

    def _draw_curves(self, rows: list[int]) -> None:
        self.plot.clear()
        names = []
        for i, row in enumerate(rows):
            run = self.runs[row]
            assert run is not None
            colour = PALETTE[i % len(PALETTE)]
            epochs = [r["epoch"] for r in run.history]  # read_run keeps only complete records
            accuracy = [r["test_accuracy"] for r in run.history]
            self.plot.plot(epochs, accuracy, pen=pg.mkPen(colour, width=2), symbol="o", symbolSize=5)
            names.append(f'<span style="color:{colour}">■</span> {html.escape(run.name)}')
        self.legend.setText("&nbsp;&nbsp;".join(names))

    def comparison_html(self, first: RunSummary, second: RunSummary) -> str:
        """Architecture difference, settings that differ and results of two runs, as HTML."""
        e = html.escape
        parts = [f"<h3>{e(first.name)} (first) → {e(second.name)} (second)</h3>"]
        try:
            before, after = run_graph(first.path), run_graph(second.path)
        except ConvCanvasError as error:
            parts.append(f"<p>{e(str(error))}</p>")
        else:
            parts.append(_architecture_html(before, after))
        a, b = asdict(first.config), asdict(second.config)
        changed = [k for k in a if a[k] != b.get(k)]
        rows = "".join(
            f"<tr><td>{e(k)}</td><td>{e(str(a[k]))}</td><td>{e(str(b.get(k)))}</td></tr>" for k in changed
        )
        parts.append(
            "<h4>Settings</h4>"
            + (
                f"<table><tr><th></th><th>first</th><th>second</th></tr>{rows}</table>"
                if changed
                else "<p>the same</p>"
            )
        )
        parts.append(
            f"<h4>Results</h4>{_TABLE}<tr><th></th><th>first</th><th>second</th></tr>"
            f"<tr><td>best accuracy</td><td>{_percent(first.best_accuracy)}</td>"
            f"<td>{_percent(second.best_accuracy)}</td></tr>"
            f"<tr><td>final accuracy</td><td>{_percent(first.final_accuracy)}</td>"
            f"<td>{_percent(second.final_accuracy)}</td></tr>"
            f"<tr><td>epochs</td><td>{first.epochs_done}</td><td>{second.epochs_done}</td></tr>"
            f"<tr><td>time</td><td>{_duration(first.duration)}</td><td>{_duration(second.duration)}</td></tr>"
            "</table>"
        )
        return "".join(parts)


_TABLE = (
    '<table cellspacing="0" cellpadding="4" border="1" style="border-collapse: collapse; border-color: #ccc">'
)


def _architecture_html(before: Graph, after: Graph) -> str:
    diff = graph_diff(before, after)
    change = diff.params_after - diff.params_before
    head = (
        f"<h4>Architecture</h4><p>parameters {diff.params_before:,} → {diff.params_after:,} ({change:+,})</p>"
    )
    if diff.same:
        return head + "<p>the same network</p>"
    return head + "<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in diff.lines()) + "</ul>"


def _run_html(run: RunSummary) -> str:
    e = html.escape
    c = run.config
    return (
        f"<h3>{e(run.name)}</h3><p>{e(run.status)}: {e(run.message)}</p>"
        f"<p>{e(c.dataset)}, {e(settings_text(run))}, seed {e(str(c.seed))}</p>"
        f"<p>best {_percent(run.best_accuracy)}, final {_percent(run.final_accuracy)} after "
        f"{run.epochs_done} epoch(s) in {_duration(run.duration)}</p>"
        + ("" if run.has_weights else "<p>No weights were saved: it stopped before an epoch ended.</p>")
    )
