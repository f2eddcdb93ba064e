"""A status-bar field whose text changes on every edit without moving anything else."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

STEP = 40  # px: the field grows in steps, so that a digit more does not move the others


class SteadyLabel(QLabel):
    """A label of fixed size that grows, never shrinks, to fit its text.

    A label whose size follows its text asks the main window to lay out again on every
    change: on a big window that is a millisecond and a repaint of every dock's tabs after
    each edit, and the fields beside it jump as the text's width changes. Fixed in both
    directions, Qt skips the layout (QWidget::updateGeometry does nothing for a fixed size).
    """

    def __init__(self, text: str = ""):
        super().__init__()
        self.setFixedSize(0, self.sizeHint().height())
        self.setText(text)

    def setText(self, text: str) -> None:
        margins = self.contentsMargins()
        needed = (
            self.fontMetrics().horizontalAdvance(text) + 2 * self.margin() + margins.left() + margins.right()
        )
        if needed > self.width():
            self.setFixedWidth(-(-needed // STEP) * STEP)  # before the text: one layout, not two
        super().setText(text)
