"""The welcome tour on first launch (issue 11, item 7), and the Help menu that brings it back
with the keyboard shortcuts and About. Each test has its own QSettings (see conftest)."""

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication

from builder import load_template
from ui.window.tour import SEEN_KEY

LEFT = Qt.MouseButton.LeftButton


def choose_help(qtbot, window, text: str) -> None:
    bar = window.menuBar()
    top = next(a for a in bar.actions() if a.text() == "&Help")
    qtbot.mouseClick(bar, LEFT, pos=bar.actionGeometry(top).center())
    menu = top.menu()
    qtbot.waitUntil(menu.isVisible)
    action = next(a for a in menu.actions() if a.text().replace("&", "") == text)
    qtbot.mouseClick(menu, LEFT, pos=menu.actionGeometry(action).center())
    qtbot.waitUntil(lambda: not menu.isVisible())


def test_first_launch_shows_the_tour_until_it_is_dismissed(window, qtbot, show_active):
    from ui.window.main_window import MainWindow

    tour = window.menu_actions.help.tour
    assert tour.isVisible() and tour.parentWidget() is window.view
    text = tour.body.text()
    for word in ("Add", "Wire", "Fix", "Train", "F5"):
        assert word in text
    assert window.view.viewport().geometry().contains(tour.geometry())  # on the canvas
    qtbot.mouseClick(tour.got_it, LEFT)
    assert not tour.isVisible()
    assert QSettings().value(SEEN_KEY, type=bool)
    again = MainWindow(load_template("lenet5"), load_torch=False)
    qtbot.addWidget(again)
    show_active(again)
    assert not again.menu_actions.help.tour.isVisible()  # seen: not shown again


def test_help_brings_the_tour_back_and_escape_closes_it(window, qtbot):
    tour = window.menu_actions.help.tour
    qtbot.mouseClick(tour.close_button, LEFT)
    assert not tour.isVisible()
    choose_help(qtbot, window, "Welcome Tour")
    assert tour.isVisible() and tour.got_it.hasFocus()
    qtbot.keyClick(tour.got_it, Qt.Key.Key_Escape)
    assert not tour.isVisible()


def test_tour_fits_the_canvas_at_1024x700_beside_the_minimap(window, qtbot):
    window.resize(1024, 700)
    qtbot.waitUntil(lambda: window.compact.compact)
    window.files.load_graph(load_template("resnet18"), None)  # tall: the minimap shows
    minimap, tour = window.view.minimap, window.menu_actions.help.tour
    qtbot.waitUntil(minimap.isVisible)
    choose_help(qtbot, window, "Welcome Tour")
    QApplication.processEvents()
    assert window.view.viewport().geometry().contains(tour.geometry())
    assert not tour.geometry().intersects(minimap.geometry())
    assert tour.body.height() >= tour.body.heightForWidth(tour.body.width())  # no clipped text


def test_keyboard_shortcuts_and_about(window, qtbot):
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_F1)
    dialog = window.menu_actions.help.shortcuts_dialog
    qtbot.waitUntil(lambda: dialog is not None and dialog.isVisible())
    table = dialog.table
    rows = {(table.item(r, 1).text(), table.item(r, 2).text()) for r in range(table.rowCount())}
    for command, keys in (
        ("Train", "F5"),
        ("Pause", "F6"),
        ("Stop", "Shift+F5"),
        ("Fit to Window", "Ctrl+0"),
    ):
        assert (command, keys) in rows
    assert any(command.startswith("Undo") and "Ctrl+Z" in keys for command, keys in rows)
    dialog.close()
    choose_help(qtbot, window, "About ConvCanvas")
    box = window.menu_actions.help.about_box
    qtbot.waitUntil(lambda: box is not None and box.isVisible())
    assert "ConvCanvas" in box.text()
    box.close()
