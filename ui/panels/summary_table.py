"""The layer table of course notes, following the graph: shapes, counts and share of params."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QStyledItemDelegate, QTableView

from builder import OK, Inference

from ..canvas import style

COLUMNS = ("Layer", "Type", "Output", "Params", "Activations", "MACs", "Share of params")
SHARE = 6
_ROOT = QModelIndex()
_ROLES = frozenset(
    {
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.UserRole,
        Qt.ItemDataRole.TextAlignmentRole,
        Qt.ItemDataRole.ForegroundRole,
        Qt.ItemDataRole.ToolTipRole,
    }
)


class SummaryModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list = []
        self.total = 0

    def set_result(self, result: Inference) -> None:
        rows = [result.nodes[n] for n in result.order]
        # a network with errors has no total: its blocks after the error count nothing, and a
        # share of a partial total would be wrong (0: no shares shown)
        total = max(1, result.total_params) if result.valid else 0
        if [info.id for info in rows] != [info.id for info in self.rows]:
            self.beginResetModel()
            self.rows, self.total = rows, total
            self.endResetModel()
            return
        # the same layers: only the rows that changed are redrawn (a reset would redraw the
        # whole table and lose the scroll position's anchor on a big network)
        changed = [i for i, (old, new) in enumerate(zip(self.rows, rows, strict=True)) if old != new]
        self.rows, total_changed, self.total = rows, total != self.total, total
        last = len(COLUMNS) - 1
        if total_changed:  # every row's share of the parameters changed
            self.dataChanged.emit(self.index(0, SHARE), self.index(len(rows) - 1, SHARE))
        for first, end in _runs(changed):
            self.dataChanged.emit(self.index(first, 0), self.index(end, last))

    def rowCount(self, parent=_ROOT) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=_ROOT) -> int:
        return len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if role not in _ROLES:  # the view asks for a dozen roles per cell it paints
            return None
        info = self.rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return info.id
            if col == 1:
                return info.type
            if col == 2:
                return (
                    " × ".join(map(str, info.shape))
                    if info.status == OK
                    else ("error" if info.error else "?")
                )
            if col == 3:
                return f"{info.learnable:,}"
            if col == 4:
                return f"{info.activations:,}"
            if col == 5:
                return f"{info.macs:,}"
            if col == SHARE:
                return f"{100 * info.learnable / self.total:.1f}%" if info.learnable and self.total else ""
        if role == Qt.ItemDataRole.UserRole and col == SHARE:
            return info.learnable / self.total if self.total else 0.0
        if role == Qt.ItemDataRole.TextAlignmentRole and col >= 3:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and info.status != OK:
            return QBrush(style.ERROR if info.error else style.MUTED)
        if role == Qt.ItemDataRole.ToolTipRole and info.error:
            return str(info.error)
        return None


def _runs(indices: list[int]) -> list[tuple[int, int]]:
    """Consecutive runs in sorted `indices`, as (first, last) pairs."""
    runs: list[tuple[int, int]] = []
    for i in indices:
        if runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


class ShareDelegate(QStyledItemDelegate):
    """Draws the share of parameters as a bar behind the percentage."""

    def paint(self, painter: QPainter, option, index) -> None:
        share = index.data(Qt.ItemDataRole.UserRole) or 0.0
        if share > 0:
            rect = QRectF(option.rect).adjusted(3, 4, -3, -4)
            rect.setWidth(max(2.0, rect.width() * share))
            painter.fillRect(rect, QColor("#90caf9"))
        super().paint(painter, option, index)


class SummaryTable(QTableView):
    def __init__(self, controller, parent=None):
        super().__init__(parent)
        self.model_ = SummaryModel(self)
        self.setModel(self.model_)
        self.setItemDelegateForColumn(SHARE, ShareDelegate(self))
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(22)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for col, width in enumerate((150, 110, 120, 95, 95, 110)):
            self.setColumnWidth(col, width)
        controller.inferred.connect(self._on_inferred)
        self._selected: str | None = None
        self._on_inferred(controller.result)

    def dataChanged(self, top_left: QModelIndex, bottom_right: QModelIndex, roles=()) -> None:
        # Qt repaints the whole table for a change that reaches past its visible rows (every
        # row's share, after an edit changed the total): only the visible part needs it
        first, last = self.rowAt(0), self.rowAt(self.viewport().height() - 1)
        if first >= 0 and top_left.isValid() and bottom_right.isValid():
            last = last if last >= 0 else self.model_.rowCount() - 1
            top, bottom = max(top_left.row(), first), min(bottom_right.row(), last)
            if top > bottom:
                return  # none of it is shown
            top_left = top_left.siblingAtRow(top)
            bottom_right = bottom_right.siblingAtRow(bottom)
        super().dataChanged(top_left, bottom_right, roles)

    def _on_inferred(self, result: Inference) -> None:
        self.model_.set_result(result)
        self.highlight(self._selected)

    def highlight(self, node_id: str | None) -> None:
        self._selected = node_id
        rows = [i for i, info in enumerate(self.model_.rows) if info.id == node_id]
        if rows:
            self.selectRow(rows[0])
            self.scrollTo(self.model_.index(rows[0], 0))
        else:
            self.clearSelection()

    def node_at_row(self, row: int) -> str:
        return self.model_.rows[row].id
