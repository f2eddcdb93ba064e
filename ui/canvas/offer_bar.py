"""A bar over the bottom of the canvas that offers a follow-up to an edit ("Deleted tanh1.
Reconnect conv1 → avgpool1?"). It stays until it is used, closed, or the next edit."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QAbstractScrollArea, QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton


class OfferBar(QFrame):
    def __init__(self, view: QAbstractScrollArea, undo_stack: QUndoStack):
        super().__init__(view)
        self.view = view
        self.setObjectName("OfferBar")
        self.setStyleSheet(
            "#OfferBar { background: #fffde7; border: 1px solid #f9a825; border-radius: 6px; }"
        )
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 4, 4)
        self.label = QLabel()
        self.button = QPushButton()
        self.close_button = QToolButton()
        self.close_button.setText("×")
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip("Dismiss")
        layout.addWidget(self.label)
        layout.addWidget(self.button)
        layout.addWidget(self.close_button)
        self.button.clicked.connect(self._on_button_clicked)
        self.close_button.clicked.connect(self.hide)
        self._action: Callable[[], None] | None = None
        undo_stack.indexChanged.connect(lambda _index: self.hide())  # the next edit, undo or redo
        view.viewport().installEventFilter(self)
        self.hide()

    def offer(self, text: str, button: str, action: Callable[[], None]) -> None:
        self.label.setText(text)
        self.button.setText(button)
        self._action = action
        self.adjustSize()
        self._place()
        self.show()
        self.raise_()

    def _on_button_clicked(self) -> None:
        action, self._action = self._action, None
        self.hide()
        if action is not None:
            action()

    def _place(self) -> None:
        area = self.view.viewport().geometry()
        self.move(area.center().x() - self.width() // 2, area.bottom() - self.height() - 12)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and self.isVisible():
            self._place()
        return False
