"""Train, Pause and Stop in the toolbar and the Run menu, and the run's status line.

The actions press the Training panel's own buttons, so a run started from the toolbar is the
same as one started from the panel, and they mirror those buttons' enabled state, text and
tooltip (why Train is disabled). Until torch has loaded they mirror the placeholder's button.
The status line in the status bar reads the session's records: epoch, step, loss, accuracy,
ETA and "paused" stay in view whatever the docks show.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMenu, QPushButton, QStyle, QToolBar

if TYPE_CHECKING:
    from .main_window import MainWindow

TRAIN_KEY, STOP_KEY, PAUSE_KEY = "F5", "Shift+F5", "F6"


class RunControls(QObject):
    """The Run menu's and toolbar's Train / Pause / Stop, mirroring the Training panel."""

    def __init__(self, window: MainWindow, menu: QMenu, tools: QToolBar):
        super().__init__(window)
        self.window = window
        icons, SP = window.style(), QStyle.StandardPixmap
        self.train_action = self._action("&Train", TRAIN_KEY, icons.standardIcon(SP.SP_MediaPlay))
        self.pause_action = self._action("&Pause", PAUSE_KEY, icons.standardIcon(SP.SP_MediaPause))
        self.stop_action = self._action("&Stop", STOP_KEY, icons.standardIcon(SP.SP_MediaStop))
        self.train_action.triggered.connect(lambda: self._press("train_button"))
        self.pause_action.triggered.connect(lambda: self._press("pause_button"))
        self.stop_action.triggered.connect(lambda: self._press("stop_button"))
        for action in self.actions:
            menu.addAction(action)
        menu.addSeparator()
        self.plots_action = menu.addAction("Show Training &Plots", self.show_plots)
        tools.addSeparator()
        for action in self.actions:
            tools.addAction(action)
        self.status = QLabel()  # the run's line in the status bar; empty until a run starts
        self.status.setObjectName("RunStatus")
        self._buttons: list[QPushButton] = []
        self.follow(window.training.placeholder.train_button, None, None)
        window.training.ready.connect(self._on_training_ready)

    @property
    def actions(self) -> tuple[QAction, QAction, QAction]:
        return (self.train_action, self.pause_action, self.stop_action)

    def _action(self, text: str, key: str, icon) -> QAction:
        action = QAction(icon, text, self.window)
        action.setShortcut(QKeySequence(key))
        action.setEnabled(False)
        return action

    def _press(self, name: str) -> None:
        panel = self.window.training.panel
        button = getattr(panel, name) if panel is not None else None
        if button is not None and button.isEnabled():
            button.click()

    # -- mirroring the panel --------------------------------------------------------------

    def follow(self, train: QPushButton, pause: QPushButton | None, stop: QPushButton | None) -> None:
        # the placeholder's button, followed until torch loads, is deleted with the placeholder
        self._buttons = [b for b in (train, pause, stop) if b is not None]
        self._pairs = [
            (a, b) for a, b in zip(self.actions, (train, pause, stop), strict=True) if b is not None
        ]
        for button in self._buttons:
            button.installEventFilter(self)
        self.mirror()

    def mirror(self) -> None:
        """Copy each button's enabled state, text and tooltip to its action."""
        keys = dict(zip(self.actions, (TRAIN_KEY, PAUSE_KEY, STOP_KEY), strict=True))
        for action, button in self._pairs:
            action.setEnabled(button.isEnabled())
            action.setText("&" + button.text())
            why = button.toolTip()
            action.setToolTip(f"{button.text()} ({keys[action]})" + (f"\n{why}" if why else ""))
            action.setStatusTip(why)

    def eventFilter(self, watched, event) -> bool:
        if event.type() in (QEvent.Type.EnabledChange, QEvent.Type.ToolTipChange):
            self.mirror()
        return False

    def _on_training_ready(self) -> None:
        panel, session = self.window.training.panel, self.window.training.session
        self.follow(panel.train_button, panel.pause_button, panel.stop_button)
        panel.pause_button.clicked.connect(self.mirror)  # "Pause" became "Resume" or back
        panel.run_finished.connect(lambda _r: self.mirror())
        from .run_status import RunStatusLine  # reads builder's records: only once torch is in

        self.line = RunStatusLine(self.status, session)
        panel.run_started.connect(self.line.start)

    def show_plots(self) -> None:
        dock = self.window.docks["Training plots"]
        dock.show()
        dock.raise_()
