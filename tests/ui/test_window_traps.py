"""The window's traps of issue 11, driven with real keys and clicks: block search, undo keys
in panels, linked size boxes, one vocabulary, steady toolbar, Fit, gallery preview, Rename,
minimap, a 1024x700 window and the palette's context menu."""

import itertools

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QInputDialog, QLineEdit, QMessageBox

from builder import CATALOG, export_python, load_template
from ui.panels.network_sketch import sketch, sketch_layout
from ui.panels.template_gallery import PICTURE, TemplateGallery, legible_preview
from ui.window.undo_keys import edits_own_text

CTRL = Qt.KeyboardModifier.ControlModifier
LEFT = Qt.MouseButton.LeftButton


def choose_menu(qtbot, window, menu_title: str, action_text: str) -> None:
    """Open a menu of the menu bar and click one of its commands, with the mouse."""
    bar = window.menuBar()
    top = next(a for a in bar.actions() if a.text().replace("&", "") == menu_title)
    qtbot.mouseClick(bar, LEFT, pos=bar.actionGeometry(top).center())
    menu = top.menu()
    qtbot.waitUntil(menu.isVisible)
    action = next(a for a in menu.actions() if a.text().replace("&", "").rstrip("…") == action_text)
    qtbot.mouseClick(menu, LEFT, pos=menu.actionGeometry(action).center())
    qtbot.waitUntil(lambda: not menu.isVisible())


def select(window, node_id: str) -> None:
    window.select_node(node_id)
    QApplication.processEvents()


# -- the block search -------------------------------------------------------------------------


def test_search_ranks_names_first_and_enter_adds_the_best_match(window, qtbot):
    palette, ctrl = window.palette, window.controller
    select(window, "flatten1")
    palette.search.setFocus()
    qtbot.keyClicks(palette.search, "linear")
    assert palette.visible_blocks()[0] == "Linear"  # GELU's description says "linear" too
    assert "GELU" in palette.visible_blocks()
    assert palette.tree.currentItem() is palette.items["Linear"]  # what Enter will add
    qtbot.keyClick(palette.search, Qt.Key.Key_Return)
    added = ctrl.graph.outputs_of("flatten1")
    assert [ctrl.graph.nodes[n].type for n in added] == ["Linear"]


def test_a_name_prefix_beats_a_word_in_a_description(window, qtbot):
    palette = window.palette
    palette.search.setFocus()
    qtbot.keyClicks(palette.search, "bat")
    assert palette.visible_blocks()[0] == "BatchNorm2d"


# -- undo keys --------------------------------------------------------------------------------


def test_ctrl_z_in_the_search_box_undoes_the_graph_not_the_search(window, qtbot):
    palette, ctrl = window.palette, window.controller
    new = ctrl.append_after("flatten1", "Dropout")
    assert ctrl.undo_stack.count() == 1
    palette.search.setFocus()
    qtbot.keyClicks(palette.search, "relu")
    qtbot.keyClick(palette.search, Qt.Key.Key_Z, CTRL)
    assert new not in ctrl.graph.nodes  # the graph's edit is undone
    assert palette.search.text() == "relu"  # the search text stays
    qtbot.keyClick(palette.search, Qt.Key.Key_Z, CTRL | Qt.KeyboardModifier.ShiftModifier)
    assert new in ctrl.graph.nodes


def test_ctrl_z_in_an_inspector_box_undoes_the_edit_it_made(window, qtbot):
    ctrl = window.controller
    select(window, "fc1")
    spin = window.inspector.editors["out_features"].spin
    before = ctrl.graph.nodes["fc1"].settings["out_features"]
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, "99")
    assert ctrl.graph.nodes["fc1"].settings["out_features"] == 99
    qtbot.keyClick(spin, Qt.Key.Key_Z, CTRL)
    assert ctrl.graph.nodes["fc1"].settings["out_features"] == before
    assert spin.value() == before


def test_free_text_being_edited_keeps_its_own_undo():
    assert edits_own_text(QLineEdit())
    search = QLineEdit()
    search.setProperty("graphUndo", True)
    assert not edits_own_text(search)
    read_only = QLineEdit()
    read_only.setReadOnly(True)
    assert not edits_own_text(read_only)


# -- linked size boxes ------------------------------------------------------------------------


def test_kernel_is_one_box_when_square_and_two_once_unlinked(window, qtbot):
    ctrl = window.controller
    select(window, "conv2")
    editor = window.inspector.editors["kernel_size"]
    assert editor.linked and editor.w.isHidden() and not editor.h.isHidden()
    editor.h.setFocus()
    editor.h.selectAll()
    qtbot.keyClicks(editor.h, "15")
    assert ctrl.graph.nodes["conv2"].settings["kernel_size"] == 15  # 15x15, not 15x5
    qtbot.mouseClick(editor.link, LEFT)  # unlink: two boxes
    assert not editor.linked and not editor.w.isHidden()
    editor.w.setFocus()
    editor.w.selectAll()
    qtbot.keyClicks(editor.w, "3")
    assert ctrl.graph.nodes["conv2"].settings["kernel_size"] == (15, 3)
    qtbot.mouseClick(editor.link, LEFT)  # link again: square, the height wins
    assert ctrl.graph.nodes["conv2"].settings["kernel_size"] == 15
    assert editor.w.isHidden()


def test_a_rectangular_size_opens_unlinked(window):
    ctrl = window.controller
    ctrl.set_settings("conv2", {"stride": (2, 1)})
    select(window, "conv2")
    editor = window.inspector.editors["stride"]
    assert not editor.linked and not editor.w.isHidden()
    assert (editor.h.value(), editor.w.value()) == (2, 1)


# -- one vocabulary ---------------------------------------------------------------------------


def test_inspector_history_and_help_use_the_catalog_titles(window, qtbot):
    ctrl = window.controller
    select(window, "conv1")
    title = CATALOG["Conv2d"].setting("out_channels").title
    form = window.inspector.form
    labels = [form.itemAt(r, form.ItemRole.LabelRole).widget().text() for r in range(form.rowCount())]
    assert title in labels
    assert "out_channels" in window.inspector.editors["out_channels"].toolTip()  # the code's word
    spin = window.inspector.editors["out_channels"].spin
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, "8")
    assert ctrl.undo_stack.text(0) == f"Set conv1 {title}"
    assert window.history.model().index(1, 0).data() == f"Set conv1 {title}"
    select(window, "fc1")
    units = CATALOG["Linear"].setting("out_features").title
    spin = window.inspector.editors["out_features"].spin
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, "64")
    assert ctrl.undo_stack.text(1) == f"Set fc1 {units}"


# -- the toolbar ------------------------------------------------------------------------------


def test_undo_text_does_not_move_the_toolbar_buttons(window, qtbot):
    tools, actions = window.menu_actions.tools, window.menu_actions
    undo_button = tools.widgetForAction(actions.undo_tool)
    delete_button = tools.widgetForAction(actions.delete_action)
    width, delete_x = undo_button.width(), delete_button.x()
    window.controller.insert_on_edge("conv1", "tanh1", "BatchNorm2d")  # "Undo Insert BatchNorm2d ..."
    QApplication.processEvents()
    assert actions.undo_action.text().startswith("&Undo Insert")
    assert undo_button.width() == width and delete_button.x() == delete_x
    assert "Insert BatchNorm2d" in actions.undo_tool.toolTip()
    qtbot.mouseClick(undo_button, LEFT)  # the toolbar's Undo still undoes
    assert "bn1" not in window.controller.graph.nodes
    assert not actions.undo_tool.isEnabled()


# -- Fit ------------------------------------------------------------------------------------


def test_fit_centres_the_network_after_the_scene_has_grown(window, qtbot):
    ctrl, view = window.controller, window.view
    far = {"fc2": (ctrl.graph.nodes["fc2"].pos, (6000.0, 3000.0))}
    ctrl.move_nodes(far)
    QApplication.processEvents()
    ctrl.undo_stack.undo()  # back home: the scene had grown to 6000, 3000
    QApplication.processEvents()
    fit = next(a for a in window.menu_actions.tools.actions() if a.text() == "Fit")
    qtbot.mouseClick(window.menu_actions.tools.widgetForAction(fit), LEFT)

    def centred() -> bool:
        centre = view.mapFromScene(window.scene.itemsBoundingRect().center())
        middle = view.viewport().rect().center()
        return abs(centre.x() - middle.x()) <= 2 and abs(centre.y() - middle.y()) <= 2

    qtbot.waitUntil(centred)


# -- the template gallery ---------------------------------------------------------------------


def test_the_gallery_shows_all_of_resnet18_legibly(qtbot):
    gallery = TemplateGallery()
    qtbot.addWidget(gallery)
    gallery.show()
    row = next(i for i in range(gallery.list.count()) if gallery.list.item(i).text() == "ResNet-18")
    item = gallery.list.item(row)
    qtbot.mouseClick(gallery.list.viewport(), LEFT, pos=gallery.list.visualItemRect(item).center())
    assert gallery.chosen_graph().name == "ResNet-18"
    pixmap = gallery.picture.pixmap()
    assert (pixmap.width(), pixmap.height()) == PICTURE
    graph = load_template("resnet18")
    rects, points = sketch_layout(graph, *PICTURE)
    assert set(rects) == set(graph.nodes)  # every block is there
    assert points >= 6.5 and min(r.height() for r in rects.values()) >= 12
    assert min(r.width() for r in rects.values()) >= 90  # room for "layer1_0_conv1  3x3, 64"
    assert all(r.left() >= 0 and r.right() <= PICTURE[0] and r.bottom() <= PICTURE[1] for r in rects.values())
    assert pixmap.toImage() == sketch(graph, *PICTURE).toImage()  # the sketch, not a sliver
    assert legible_preview(graph).size() == pixmap.size()


# -- Rename -----------------------------------------------------------------------------------


def test_rename_names_the_title_the_export_and_the_file(window, qtbot, monkeypatch):
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *_a, **_k: ("  My CIFAR net ", True)))
    window.controller.set_frozen("conv1", True)  # an edit first: the title's "modified" is set already
    choose_menu(qtbot, window, "Network", "Rename")
    assert window.controller.graph.name == "My CIFAR net"
    assert window.windowTitle().startswith("My CIFAR net (unsaved)")
    assert "class MyCIFARNet(nn.Module)" in export_python(window.controller.graph)
    suggested = []
    monkeypatch.setattr(
        QFileDialog,
        "getSaveFileName",
        staticmethod(lambda _p, _t, path, *_a: suggested.append(path) or ("", "")),
    )
    window.files.save_as()
    assert suggested[0].endswith("my_cifar_net.json")
    assert window.history.model().index(2, 0).data() == "Rename network to My CIFAR net"
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_Z, CTRL)  # undoable
    assert window.controller.graph.name == "LeNet-5" and "LeNet-5" in window.windowTitle()


# -- the minimap ------------------------------------------------------------------------------


def test_minimap_shows_a_tall_network_and_moves_the_canvas(window, qtbot):
    window.files.load_graph(load_template("resnet18"), None)
    view, minimap = window.view, window.view.minimap
    qtbot.waitUntil(minimap.isVisible)
    assert view.viewport().geometry().contains(minimap.geometry())  # in the canvas's corner
    before = view.verticalScrollBar().value()
    target = QPoint(minimap.viewport().width() // 2, minimap.viewport().height() - 10)  # the end
    qtbot.mouseClick(minimap.viewport(), LEFT, pos=target)
    assert view.verticalScrollBar().value() > before + 200
    shown = minimap.visible_rect()
    assert (
        shown.contains(minimap.mapToScene(target))
        or abs(shown.center().y() - minimap.mapToScene(target).y()) < 50
    )
    view.fit_all()  # the whole network in view: no overview needed
    qtbot.waitUntil(lambda: not minimap.isVisible())


# -- a small window ---------------------------------------------------------------------------


def test_at_1024x700_the_canvas_keeps_most_of_the_window(window, qtbot):
    window.resize(1024, 700)
    qtbot.waitUntil(lambda: window.size().width() == 1024 and window.compact.compact)
    QApplication.processEvents()
    canvas = window.view.viewport()
    area = canvas.width() * canvas.height()
    assert area >= 0.55 * 1024 * 700, (canvas.size(), window.size())
    docks = window.docks
    assert not docks["Blocks"].isHidden() and not docks["Inspector"].isHidden()
    assert window.tabifiedDockWidgets(docks["Blocks"])  # the panels share one column
    select(window, "conv1")
    docks["Inspector"].raise_()
    QApplication.processEvents()
    assert window.inspector.visibleRegion().boundingRect().height() > 200  # usable, not a sliver
    window.resize(1500, 920)  # back to the usual layout
    qtbot.waitUntil(lambda: not window.compact.compact)
    assert not window.tabifiedDockWidgets(docks["Blocks"])


def test_a_window_shrunk_and_grown_again_gets_its_panels_back_as_they_were(window, qtbot):
    window.resize(1500, 920)
    qtbot.waitUntil(lambda: not window.compact.compact)
    QApplication.processEvents()
    docks = window.docks
    widths = {title: docks[title].width() for title in ("Blocks", "Inspector", "Problems", "Summary")}
    tabs = window.tabPosition(Qt.DockWidgetArea.RightDockWidgetArea)
    for size in ((1024, 768), (800, 600)):  # as a user drags the window's corner
        window.resize(*size)
        qtbot.waitUntil(lambda: window.compact.compact)
        QApplication.processEvents()
    window.resize(1500, 920)
    qtbot.waitUntil(lambda: not window.compact.compact)
    QApplication.processEvents()
    for title, width in widths.items():
        assert abs(docks[title].width() - width) <= 0.1 * width, (title, docks[title].width(), width)
    assert window.tabPosition(Qt.DockWidgetArea.RightDockWidgetArea) == tabs


# -- the palette's context menu ---------------------------------------------------------------


_clicks = itertools.count()


def right_click_block(qtbot, palette, block_type: str):
    """Right-click a block in the palette. The click goes to the window, as from the window
    system: only there does Qt turn a right click into a context-menu request. QTest's clicks
    come milliseconds apart, so two at one spot would read as a double click: each goes to
    another spot along the block's row."""
    tree = palette.tree
    item = palette.items[block_type]
    tree.scrollToItem(item)
    window = tree.window()
    row = tree.visualItemRect(item)
    spot = QPoint(row.left() + 10 + 12 * (next(_clicks) % 10), row.center().y())
    qtbot.mouseClick(
        window.windowHandle(), Qt.MouseButton.RightButton, pos=tree.viewport().mapTo(window, spot)
    )
    qtbot.waitUntil(lambda: palette.menu is not None and palette.menu.isVisible())
    return palette.menu


def click_menu_item(qtbot, menu, text: str) -> None:
    action = next(a for a in menu.actions() if a.text().replace("&", "").startswith(text))
    qtbot.mouseClick(menu, LEFT, pos=menu.actionGeometry(action).center())


@pytest.mark.parametrize("command", ["Add to Canvas", "Append After Selection"])
def test_palette_context_menu_adds_a_block(window, qtbot, command):
    ctrl = window.controller
    select(window, "flatten1")
    before = set(ctrl.graph.nodes)
    menu = right_click_block(qtbot, window.palette, "Dropout")
    click_menu_item(qtbot, menu, command)
    (new,) = set(ctrl.graph.nodes) - before
    assert ctrl.graph.nodes[new].type == "Dropout"
    appended = ctrl.graph.inputs_of(new) == ["flatten1"]
    assert appended == (command == "Append After Selection")
    assert window.scene.selected_node_ids() == [new]


def test_palette_context_menu_shows_help(window, qtbot, monkeypatch):
    shown = []
    monkeypatch.setattr(
        QMessageBox, "information", staticmethod(lambda _p, title, text: shown.append((title, text)))
    )
    menu = right_click_block(qtbot, window.palette, "Conv2d")
    click_menu_item(qtbot, menu, "Help")
    ((title, text),) = shown
    assert title == "Conv2d block"
    for setting in CATALOG["Conv2d"].settings:
        assert f"<b>{setting.title}</b>" in text
