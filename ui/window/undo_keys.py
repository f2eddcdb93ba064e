"""Ctrl+Z and Ctrl+Shift+Z undo and redo the graph from anywhere in the window.

A line edit or spin box claims the undo keys for its own text, so without this Ctrl+Z in the
block search undoes the search text and Ctrl+Z in the inspector's spin box undoes a digit (the
edit it made to the graph stays). Here the graph's history wins, except in a text field whose
text is the thing being edited (free text the user types, such as a name in a dialog).

A field opts in to the graph's history with the `graphUndo` property (the block search: its
text is a filter, not an edit); spin boxes always do, since each of their edits is a graph edit.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QLineEdit,
    QMainWindow,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

GRAPH_UNDO = "graphUndo"
_REDO_KEYS = (QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y"))


def edits_own_text(widget: QWidget) -> bool:
    """Whether `widget` is a text field being edited, whose own undo Ctrl+Z should reach."""
    chain = widget
    while chain is not None:
        if isinstance(chain, QAbstractSpinBox) or chain.property(GRAPH_UNDO):
            return False
        chain = chain.parentWidget()
    if isinstance(widget, QLineEdit | QTextEdit | QPlainTextEdit):
        return not widget.isReadOnly()
    return False


def is_undo_key(event) -> bool:
    if event.matches(QKeySequence.StandardKey.Undo) or event.matches(QKeySequence.StandardKey.Redo):
        return True
    pressed = QKeySequence(event.keyCombination())
    return any(pressed.matches(k) == QKeySequence.SequenceMatch.ExactMatch for k in _REDO_KEYS)


class GraphUndoKeys(QObject):
    """Lets the window's Undo and Redo shortcuts fire over widgets that would take the keys."""

    def __init__(self, window: QMainWindow):
        super().__init__(window)
        self.window = window
        QApplication.instance().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.ShortcutOverride or not isinstance(watched, QWidget):
            return False
        if not is_undo_key(event) or not self._in_window(watched) or edits_own_text(watched):
            return False
        # not accepted: the shortcut map goes on to the window's Undo/Redo action
        event.ignore()
        return True

    def _in_window(self, widget: QWidget) -> bool:
        """Inside this window, floating docks included (`isAncestorOf` stops at a window)."""
        while widget is not None:
            if widget is self.window:
                return True
            widget = widget.parentWidget()
        return False
