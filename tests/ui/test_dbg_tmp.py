import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
@pytest.mark.parametrize("n", [1, 2, 3])
def test_dbg(window, qtbot, n):
    palette = window.palette
    tree = palette.tree
    item = palette.items["Dropout"]; tree.scrollToItem(item)
    tree.setFocus(); tree.setCurrentItem(item)
    qtbot.keyClick(window.windowHandle(), Qt.Key.Key_Menu)
    print("menu", palette.menu is not None and palette.menu.isVisible(), tree.currentItem().text(0))
    m = palette.menu
    if m:
        a = m.actions()[0]
        qtbot.mouseClick(m, Qt.MouseButton.LeftButton, pos=m.actionGeometry(a).center())
