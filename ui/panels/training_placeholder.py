"""What the Training dock shows until PyTorch has loaded: why Train is not available yet."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

WAITING = "Training and export need PyTorch, which is loading in the background (a few seconds)."
WHY_DISABLED = "Train is available once PyTorch has loaded."


class TrainingPlaceholder(QWidget):
    """A note and a disabled Train button; the training panel replaces it once torch loads."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.message = QLabel(WAITING, wordWrap=True)
        self.message.setStyleSheet("color: #555;")
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.train_button = QPushButton("Train")
        self.train_button.setEnabled(False)
        self.train_button.setToolTip(WHY_DISABLED)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addWidget(self.train_button)
        layout.addStretch(1)

    def show_failure(self, why: str) -> None:
        """Torch could not be loaded: say so, and that editing still works."""
        text = f"PyTorch could not be loaded ({why}). Editing and saving work; training and export do not."
        self.message.setText(text)
        self.message.setStyleSheet("color: #c62828;")
        self.train_button.setToolTip(text)
