from PySide6.QtCore import Qt, QPoint
from PySide6.QtWidgets import QApplication
def test_dbg(window, qtbot):
    palette = window.palette
    tree = palette.tree
    item = palette.items["Dropout"]; tree.scrollToItem(item)
    r = tree.visualItemRect(item)
    got = []
    tree.customContextMenuRequested.connect(lambda p: got.append(p))
    pos = tree.viewport().mapTo(window, r.center())
    qtbot.mouseClick(window.windowHandle(), Qt.MouseButton.RightButton, pos=pos)
    QApplication.processEvents()
    print("got", got, palette.menu, palette.menu and palette.menu.isVisible())
