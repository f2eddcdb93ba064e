"""Small windows keep a usable canvas: below COMPACT_SIZE the docks fold into one column.

At 1024x700 the usual layout (palette left, inspector right, summary below) leaves the canvas
a quarter of the window. Compact, every panel is a tab of one right-hand column (tabs on its
side, so all of them fit), the training plots come up below the canvas only when a run starts,
and the canvas keeps most of the window. Growing the window back restores the layout it had.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QEvent, QObject, QSize, Qt, QTimer
from PySide6.QtWidgets import QTabWidget

if TYPE_CHECKING:
    from .main_window import MainWindow

COMPACT_SIZE = QSize(1200, 780)  # a window smaller in either direction is compact
COLUMN_WIDTH = 290
COLUMN = ("Blocks", "Inspector", "Training", "History", "Summary", "Problems", "Runs")
RIGHT = Qt.DockWidgetArea.RightDockWidgetArea
BOTTOM = Qt.DockWidgetArea.BottomDockWidgetArea


def is_compact_size(size: QSize) -> bool:
    return size.width() < COMPACT_SIZE.width() or size.height() < COMPACT_SIZE.height()


class CompactLayout(QObject):
    """Switches the window's docks between the usual layout and the compact column."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.compact = False
        self._wide_state: QByteArray | None = None
        self._wide_tabs = window.tabPosition(RIGHT)
        self._pending = False
        window.installEventFilter(self)
        for dock in window.docks.values():  # a dock moved while wide is part of the layout to restore
            dock.dockLocationChanged.connect(self._remember_wide)
        self.update()

    def state_to_save(self) -> QByteArray:
        """The dock layout to remember (at closing): the usual one, even while the window is
        compact, with the docks shown or hidden as they are now."""
        if not self.compact:
            return self.window.saveState()
        self._unfold()
        state = self.window.saveState()
        self._fold()
        return state

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.Resize and not self._pending:
            self._pending = True  # rearrange after the resize, not inside it
            QTimer.singleShot(0, self.update)
        return False

    def update(self) -> None:
        self._pending = False
        compact = is_compact_size(self.window.size())
        if compact == self.compact:
            self._remember_wide()
            return
        if compact:
            if self._wide_state is None:
                self._wide_state = self.window.saveState()
            self._fold()
        else:
            self._unfold()
        self.compact = compact

    def _remember_wide(self, *_args) -> None:
        """Keep the usual layout as it is while the window is wide. It is taken before the
        window becomes compact, not when it does: by then the shrinking has squeezed the
        docks, and growing the window back would restore them squeezed."""
        if not self.compact and not is_compact_size(self.window.size()):
            self._wide_state = self.window.saveState()

    def _fold(self) -> None:
        window, docks = self.window, self.window.docks
        window.setCorner(Qt.Corner.BottomRightCorner, RIGHT)
        window.setCorner(Qt.Corner.TopRightCorner, RIGHT)
        window.setTabPosition(RIGHT, QTabWidget.TabPosition.West)
        first = docks[COLUMN[0]]
        for title in COLUMN:
            dock = docks[title]
            dock.setFloating(False)
            window.addDockWidget(RIGHT, dock)
            if dock is not first:
                window.tabifyDockWidget(first, dock)
        plots = docks["Training plots"]
        window.addDockWidget(BOTTOM, plots)
        if not window.training.running:
            plots.hide()  # it comes up when a run starts
        first.raise_()
        window.resizeDocks([first], [COLUMN_WIDTH], Qt.Orientation.Horizontal)
        window.resizeDocks([plots], [220], Qt.Orientation.Vertical)

    def _unfold(self) -> None:
        window = self.window
        window.setCorner(Qt.Corner.BottomRightCorner, BOTTOM)
        window.setCorner(Qt.Corner.TopRightCorner, Qt.DockWidgetArea.TopDockWidgetArea)
        window.setTabPosition(RIGHT, self._wide_tabs)
        shown = {title: not window.docks[title].isHidden() for title in COLUMN}
        if self._wide_state is not None:
            window.restoreState(self._wide_state)
        for title, visible in shown.items():  # what was shown or hidden meanwhile stays so
            window.docks[title].setVisible(visible)
