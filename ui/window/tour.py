"""The welcome on the canvas: how to add, wire, fix and train, in four lines.

It shows on the first launch and stays away once dismissed (remembered in QSettings); the
Help menu brings it back. It is a child of the canvas view, pinned to its top-left corner, so
it never hides a dock or a dialog.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSettings, Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

SEEN_KEY = "tour/seen"
MARGIN = 12

STEPS = (
    (
        "Add",
        "drag a block from <i>Blocks</i> onto the canvas, or type its name in the search box "
        "and press Enter to append it after the selected block.",
    ),
    (
        "Wire",
        "drag from a block's bottom port to another block's top port; drop a block on a "
        "wire to insert it there.",
    ),
    (
        "Fix",
        "a red block says what is wrong and how to fix it; <i>Problems</i> offers one-click "
        "fixes, and Ctrl+Z undoes any edit.",
    ),
    (
        "Train",
        "press <b>F5</b> (Run &gt; Train) to train on the bundled MNIST subset; the curves "
        "appear under <i>Training plots</i>. F6 pauses, Shift+F5 stops.",
    ),
)


def tour_seen() -> bool:
    return QSettings().value(SEEN_KEY, False, type=bool)


class Tour(QFrame):
    """A dismissible card over the canvas's top-left corner."""

    dismissed = Signal()

    def __init__(self, canvas: QWidget):
        super().__init__(canvas)
        self.setObjectName("WelcomeTour")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(
            "#WelcomeTour { background: #ffffff; border: 1px solid #90a4ae; border-radius: 6px; }"
        )
        title = QLabel("<b>Welcome to ConvCanvas</b>")
        self.close_button = QPushButton("×")
        self.close_button.setFlat(True)
        self.close_button.setFixedSize(22, 22)
        self.close_button.setToolTip("Close (Esc); Help > Welcome Tour shows it again")
        head = QHBoxLayout()
        head.addWidget(title, 1)
        head.addWidget(self.close_button)
        rows = "".join(
            f"<tr><td style='padding:2px 8px 2px 0'><b>{n}. {word}</b></td>"
            f"<td style='padding:2px 0'>{text}</td></tr>"
            for n, (word, text) in enumerate(STEPS, 1)
        )
        self.body = QLabel(f"<table>{rows}</table>", wordWrap=True)
        self.body.setTextFormat(Qt.TextFormat.RichText)
        self.got_it = QPushButton("Got it")
        self.got_it.setDefault(True)
        foot = QHBoxLayout()
        foot.addWidget(
            QLabel("<span style='color:#555'>Help &gt; Keyboard Shortcuts lists the keys.</span>"), 1
        )
        foot.addWidget(self.got_it)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 10)
        layout.addLayout(head)
        layout.addWidget(self.body)
        layout.addLayout(foot)
        self.close_button.clicked.connect(self.dismiss)
        self.got_it.clicked.connect(self.dismiss)
        self.hide()
        canvas.installEventFilter(self)

    def show_tour(self) -> None:
        self._place()
        self.show()
        self.raise_()
        self.got_it.setFocus()

    def dismiss(self) -> None:
        QSettings().setValue(SEEN_KEY, True)
        self.hide()
        self.dismissed.emit()

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.dismiss()
            return
        super().keyPressEvent(event)

    def _place(self) -> None:
        canvas = self.parentWidget()
        width = max(260, min(440, canvas.width() - 2 * MARGIN - 180))  # room for the minimap
        self.setFixedWidth(width)
        self.adjustSize()
        self.move(MARGIN, MARGIN)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and self.isVisible():
            self._place()
        return False
