"""Keys on the canvas: the arrow keys nudge the selected blocks (Shift: a larger step; a burst
of nudges is one undo step), Ctrl+Shift+Delete deletes a block and joins its neighbours."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt

if TYPE_CHECKING:
    from PySide6.QtGui import QKeyEvent

    from .graph_scene import GraphScene

STEP, LARGE_STEP = 10.0, 50.0
ARROWS = {
    Qt.Key.Key_Left: (-1, 0),
    Qt.Key.Key_Right: (1, 0),
    Qt.Key.Key_Up: (0, -1),
    Qt.Key.Key_Down: (0, 1),
}
DELETE_KEYS = (Qt.Key.Key_Delete, Qt.Key.Key_Backspace)
RECONNECT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def handle_key(scene: GraphScene, event: QKeyEvent) -> bool:
    """Act on a key pressed on the canvas; False for a key that is not the canvas's."""
    selected = scene.selected_node_ids()
    modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
    if (
        event.key() in ARROWS
        and selected
        and modifiers in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ShiftModifier)
    ):
        step = LARGE_STEP if modifiers == Qt.KeyboardModifier.ShiftModifier else STEP
        dx, dy = ARROWS[Qt.Key(event.key())]
        scene.controller.nudge(selected, dx * step, dy * step)
        return True
    if event.key() in DELETE_KEYS and modifiers == RECONNECT and len(selected) == 1:
        delete_and_reconnect(scene, selected[0])
        return True
    return False


def delete_and_reconnect(scene: GraphScene, node_id: str) -> None:
    """Delete a block and wire its input to its outputs; where shapes do not allow that, say why
    and change nothing."""
    if not scene.controller.remove_and_reconnect(node_id):
        scene.notice.emit(
            f"{node_id} was not deleted: its input and outputs cannot simply be joined "
            "(it has no single input, or the blocks after it would not fit); use Delete instead"
        )
