"""Editing on the canvas with the mouse and keyboard: blocks never land on each other, drops
wire themselves, the output is marked, mistakes stay on the canvas with their fix, context
menus, nudging with the arrow keys, and no badge left behind."""

import pytest
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QContextMenuEvent, QImage, QPainter
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QInputDialog, QMessageBox
from test_editor import drag_wire, drop_from_palette

from builder import Graph, dumps_graph, load_template
from ui.canvas import style


@pytest.fixture
def win(qtbot, show_active, monkeypatch):
    """LeNet-5 in the real window (no torch: editing needs none), active for shortcuts."""
    from ui.window.main_window import MainWindow

    window = MainWindow(load_template("lenet5"), load_torch=False)
    monkeypatch.setattr(window.files, "ask_save_changes", lambda: QMessageBox.StandardButton.Discard)
    qtbot.addWidget(window)
    show_active(window)
    window.view.resetTransform()
    return window


def point_of(win, scene_point: QPointF) -> QPoint:
    win.view.centerOn(scene_point)
    QApplication.processEvents()
    return win.view.mapFromScene(scene_point)


def click_block(qtbot, win, node_id: str, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """A left click on the middle of a block's card."""
    item = win.scene.nodes[node_id]
    pos = point_of(win, item.mapToScene(QPointF(style.NODE_WIDTH / 2, 30)))
    qtbot.mouseClick(win.view.viewport(), Qt.MouseButton.LeftButton, modifier, pos)


def key(win, key, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    """A key pressed on the canvas; the window is active first (a closed menu may have left it
    inactive), since shortcuts such as Ctrl+Z reach only the active window."""
    if not win.isActiveWindow():
        win.activateWindow()
        for _ in range(500):  # until it is active (at most 5 s)
            if win.isActiveWindow():
                break
            QTest.qWait(10)
        assert win.isActiveWindow()
    win.view.setFocus()
    QTest.keyClick(win.view, key, modifiers)


CTRL, SHIFT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier


def overlapping(win) -> list[tuple[str, str]]:
    """Pairs of cards that cover each other."""
    rects = {
        n: QRectF(*node.pos, style.NODE_WIDTH, style.NODE_HEIGHT)
        for n, node in win.controller.graph.nodes.items()
    }
    ids = list(rects)
    return [(a, b) for i, a in enumerate(ids) for b in ids[i + 1 :] if rects[a].intersects(rects[b])]


def context_menu(qtbot, win, scene_point: QPointF):
    """Right-click at a scene point: the menu the canvas shows there."""
    viewport = win.view.viewport()
    pos = point_of(win, scene_point)
    QApplication.sendEvent(
        viewport, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, viewport.mapToGlobal(pos))
    )
    menu = win.canvas_menus.menu
    qtbot.waitUntil(menu.isVisible)
    return menu


def choose(qtbot, menu, *path: str) -> None:
    """Click through a menu and its submenus by the actions' texts."""
    for i, text in enumerate(path):
        action = next(a for a in menu.actions() if a.text() == text)
        assert action.isEnabled(), text
        qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center())
        if i < len(path) - 1:
            menu = action.menu()
            qtbot.waitUntil(menu.isVisible)


def wire_middle(win, source: str, target: str) -> QPointF:
    return win.scene.edges[(source, target)].path().pointAtPercent(0.5)


# -- (a) never overlap; the selection follows ---------------------------------------------------


def test_appending_in_the_middle_of_a_chain_makes_room_and_keeps_the_selection(qtbot, win):
    ctrl = win.controller
    below = {n: ctrl.graph.nodes[n].pos for n in ("tanh1", "fc2")}
    click_block(qtbot, win, "conv1")
    assert win.scene.selected_node_ids() == ["conv1"]
    win.palette.block_activated.emit("BatchNorm2d")
    assert ctrl.graph.inputs_of("bn1") == ["conv1"] and ctrl.graph.inputs_of("tanh1") == ["bn1"]
    assert not overlapping(win)
    assert ctrl.graph.nodes["bn1"].pos == (0.0, 130.0 * 2)  # one row after conv1
    assert ctrl.graph.nodes["tanh1"].pos == (below["tanh1"][0], below["tanh1"][1] + 130.0)  # moved on
    assert win.scene.selected_node_ids() == ["bn1"]
    assert ctrl.undo_stack.count() == 1
    key(win, Qt.Key.Key_Z, CTRL)
    assert "bn1" not in ctrl.graph.nodes and ctrl.graph.nodes["fc2"].pos == below["fc2"]
    assert win.scene.selected_node_ids() == ["conv1"]  # the block it was appended after
    key(win, Qt.Key.Key_Z, CTRL | SHIFT)
    assert win.scene.selected_node_ids() == ["bn1"] and not overlapping(win)


def test_insert_on_a_wire_paste_and_duplicate_land_on_no_block(qtbot, win):
    ctrl = win.controller
    drop_from_palette(win, "BatchNorm2d", wire_middle(win, "conv2", "tanh2"))
    assert ctrl.graph.inputs_of("bn1") == ["conv2"] and not overlapping(win)
    click_block(qtbot, win, "conv3")
    click_block(qtbot, win, "tanh3", CTRL)
    assert sorted(win.scene.selected_node_ids()) == ["conv3", "tanh3"]
    key(win, Qt.Key.Key_C, CTRL)
    key(win, Qt.Key.Key_V, CTRL)
    pasted = sorted(win.scene.selected_node_ids())
    assert pasted == ["conv4", "tanh5"] and not overlapping(win)
    key(win, Qt.Key.Key_D, CTRL)
    assert len(ctrl.graph.nodes) == 14 + 4 and not overlapping(win)
    assert len(win.scene.selected_node_ids()) == 2


def test_undo_of_an_edit_selects_what_it_changed(qtbot, win):
    ctrl = win.controller
    ctrl.set_settings("conv2", {"out_channels": 8}, mergeable=False)
    click_block(qtbot, win, "fc1")
    key(win, Qt.Key.Key_Z, CTRL)
    assert ctrl.graph.nodes["conv2"].settings["out_channels"] == 16
    assert win.scene.selected_node_ids() == ["conv2"]  # not cleared: the block the undo changed


# -- (b) drops wire themselves ------------------------------------------------------------------


def test_a_block_dropped_by_a_free_output_is_wired_from_it(qtbot, win):
    ctrl = win.controller
    fc2 = win.scene.nodes["fc2"].sceneBoundingRect()
    drop_from_palette(win, "Softmax", QPointF(fc2.center().x() + 30, fc2.bottom() + 90))
    assert ctrl.graph.inputs_of("softmax1") == ["fc2"]
    assert ctrl.graph.nodes["softmax1"].pos == (0.0, ctrl.graph.nodes["fc2"].pos[1] + 130.0)
    assert ctrl.result.output == "softmax1"  # the output mark moved along
    far = QPointF(fc2.right() + 900, fc2.top())
    drop_from_palette(win, "ReLU", far)  # nothing near: not wired, and on no card
    assert ctrl.graph.inputs_of("relu1") == [] and not overlapping(win)


def test_a_block_dropped_on_a_wire_it_does_not_fit_is_not_inserted(qtbot, win):
    ctrl = win.controller
    drop_from_palette(win, "Linear", wire_middle(win, "conv1", "tanh1"))  # Linear needs a vector
    assert ctrl.graph.inputs_of("tanh1") == ["conv1"] and "fc3" in ctrl.graph.nodes
    assert not overlapping(win)


# -- (c) the output is marked on the canvas -------------------------------------------------------


def unmarked_with_a_side_branch() -> Graph:
    graph = load_template("lenet5")
    graph.output = None
    graph.add_node("ReLU", pos=(400.0, 260.0), node_id="side")
    graph.connect("conv1", "side")
    return graph


def test_the_output_wears_a_mark_and_an_ambiguous_one_is_fixed_on_the_canvas(qtbot, show_active):
    from ui.window.main_window import MainWindow

    win = MainWindow(unmarked_with_a_side_branch(), load_torch=False)
    qtbot.addWidget(win)
    show_active(win)
    ctrl = win.controller
    assert [e.code for e in ctrl.result.errors] == ["ambiguous_output"]
    marks = {n: item.output_mark.state for n, item in win.scene.nodes.items() if item.output_mark.state}
    assert marks == {"fc2": "candidate", "side": "candidate"}
    (button,) = win.problems.fix_buttons()
    assert button.toolTip() == "Mark fc2 as the network's output"
    mark = win.scene.nodes["side"].output_mark
    pos = point_of(win, mark.mapToScene(mark.boundingRect().center()))
    qtbot.mouseClick(win.view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert ctrl.graph.output == "side" and ctrl.result.valid
    assert mark.state == "output" and mark.isVisible()
    assert win.scene.nodes["fc2"].output_mark.state == ""
    menu = context_menu(qtbot, win, win.scene.nodes["fc2"].sceneBoundingRect().center())
    choose(qtbot, menu, "Mark as Output")
    assert ctrl.graph.output == "fc2" and win.scene.nodes["fc2"].output_mark.state == "output"
    key(win, Qt.Key.Key_Z, CTRL)
    assert ctrl.graph.output == "side"


# -- (d) mistakes stay on the canvas ----------------------------------------------------------------


def test_a_wire_whose_shapes_do_not_fit_is_made_red_with_its_fix_on_it(qtbot, win):
    ctrl = win.controller
    click_block(qtbot, win, "flatten1")
    key(win, Qt.Key.Key_Delete)
    assert "flatten1" not in ctrl.graph.nodes
    assert not win.canvas_menus.offer_bar.isVisible()  # Linear cannot take 120x1x1: no offer
    point_of(win, win.scene.nodes["fc1"].sceneBoundingRect().center())
    drag_wire(win, "tanh3", "fc1")
    assert ctrl.graph.inputs_of("fc1") == ["tanh3"]  # made, not refused
    edge = win.scene.edges[("tanh3", "fc1")]
    assert edge.problem.issue.code == "needs_flatten"
    assert edge.note is not None and edge.note.button == "Fix: insert Flatten"
    assert "Linear needs a flat vector" in edge.toolTip()
    problems = win.problems
    assert any(problems.topLevelItem(i).text(1) == "fc1" for i in range(problems.topLevelItemCount()))
    note = edge.note
    pos = point_of(win, note.mapToScene(note.button_rect().center()))
    qtbot.mouseClick(win.view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    qtbot.waitUntil(lambda: ctrl.result.valid)
    (flatten,) = ctrl.graph.inputs_of("fc1")
    assert ctrl.graph.nodes[flatten].type == "Flatten" and not overlapping(win)
    assert all(e.problem is None for e in win.scene.edges.values())


def test_ports_show_a_wire_that_will_not_fit_and_refuse_only_impossible_ones(win):
    scene = win.scene
    win.controller.remove(["flatten1"])
    scene.start_wiring("tanh3")
    assert scene.nodes["fc1"].input_port.state == "mismatch"
    assert "will not fit" in scene.nodes["fc1"].input_port.toolTip()
    assert scene.nodes["conv1"].input_port.state == "reject"  # a cycle
    scene.finish_wiring(QPointF(-9999, -9999))


def test_deleting_a_block_offers_to_reconnect_and_ctrl_shift_delete_does_it(qtbot, win):
    ctrl = win.controller
    click_block(qtbot, win, "tanh1")
    key(win, Qt.Key.Key_Delete)
    bar = win.canvas_menus.offer_bar
    assert bar.isVisible() and "Reconnect conv1 → avgpool1" in bar.label.text()
    qtbot.mouseClick(bar.button, Qt.MouseButton.LeftButton)
    assert ctrl.graph.inputs_of("avgpool1") == ["conv1"] and not bar.isVisible()
    click_block(qtbot, win, "tanh2")
    steps = ctrl.undo_stack.count()
    key(win, Qt.Key.Key_Delete, CTRL | SHIFT)
    assert "tanh2" not in ctrl.graph.nodes and ctrl.graph.inputs_of("avgpool2") == ["conv2"]
    assert ctrl.undo_stack.count() == steps + 1 and ctrl.result.valid
    click_block(qtbot, win, "flatten1")
    key(win, Qt.Key.Key_Delete, CTRL | SHIFT)  # fc1 would not fit: nothing happens, and why
    assert "flatten1" in ctrl.graph.nodes and "cannot simply be joined" in win.statusBar().currentMessage()


# -- (e) context menus, nudging, badges ------------------------------------------------------------


def test_context_menus_on_the_canvas_a_wire_and_a_block(qtbot, win, monkeypatch):
    ctrl = win.controller
    empty = win.scene.nodes["conv1"].sceneBoundingRect().center() + QPointF(600, 0)
    choose(qtbot, context_menu(qtbot, win, empty), "Add Block", "Activation", "ReLU")
    assert "relu1" in ctrl.graph.nodes and not overlapping(win)
    menu = context_menu(qtbot, win, wire_middle(win, "conv1", "tanh1"))
    choose(qtbot, menu, "Insert Block", "Normalization", "BatchNorm2d")
    assert ctrl.graph.inputs_of("bn1") == ["conv1"] and not overlapping(win)
    menu = context_menu(qtbot, win, wire_middle(win, "tanh4", "fc2"))
    choose(qtbot, menu, "Delete Wire")
    assert ctrl.graph.inputs_of("fc2") == []
    node = win.scene.nodes["conv2"].sceneBoundingRect().center()
    choose(qtbot, context_menu(qtbot, win, node), "Freeze")
    assert ctrl.graph.nodes["conv2"].frozen
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *_a, **_k: ("features", True)))
    choose(qtbot, context_menu(qtbot, win, node), "Rename…")
    assert "features" in ctrl.graph.nodes and "features" in win.scene.nodes
    assert ctrl.graph.inputs_of("tanh2") == ["features"]
    node = win.scene.nodes["features"].sceneBoundingRect().center()
    choose(qtbot, context_menu(qtbot, win, node), "Duplicate")
    assert "conv2" in ctrl.graph.nodes and not overlapping(win)  # the id "features" freed
    node = win.scene.nodes["tanh3"].sceneBoundingRect().center()
    choose(qtbot, context_menu(qtbot, win, node), "Delete and Reconnect")
    assert ctrl.graph.inputs_of("flatten1") == ["conv3"]
    key(win, Qt.Key.Key_Z, CTRL)
    assert ctrl.graph.inputs_of("tanh3") == ["conv3"]


def test_arrow_keys_nudge_the_selection_one_undo_step_per_burst(qtbot, win):
    ctrl = win.controller
    x, y = ctrl.graph.nodes["conv2"].pos
    click_block(qtbot, win, "conv2")
    steps = ctrl.undo_stack.count()
    for _ in range(3):
        key(win, Qt.Key.Key_Right)
    key(win, Qt.Key.Key_Down, SHIFT)
    assert ctrl.graph.nodes["conv2"].pos == (x + 30, y + 50)
    assert win.scene.nodes["conv2"].pos() == QPointF(x + 30, y + 50)
    assert ctrl.undo_stack.count() == steps + 1
    click_block(qtbot, win, "conv3")
    key(win, Qt.Key.Key_Left)  # other blocks: a step of their own
    assert ctrl.undo_stack.count() == steps + 2
    key(win, Qt.Key.Key_Z, CTRL)
    key(win, Qt.Key.Key_Z, CTRL)
    assert ctrl.graph.nodes["conv2"].pos == (x, y)


def test_a_card_paints_only_inside_its_bounds_so_removal_leaves_no_fragments(qtbot, win):
    ctrl = win.controller
    ctrl.set_settings("conv3", {"kernel_size": 7})
    item = win.scene.nodes["conv3"]
    assert item.severity == "error"
    bounds = item.boundingRect()
    margin = 40
    image = QImage(
        int(bounds.width()) + 2 * margin, int(bounds.height()) + 2 * margin, QImage.Format.Format_ARGB32
    )
    image.fill(QColor(0, 0, 0, 0))
    painter = QPainter(image)
    painter.translate(margin - bounds.left(), margin - bounds.top())
    item.paint(painter, None)
    painter.end()
    inside = QRectF(margin - 0.5, margin - 0.5, bounds.width() + 1, bounds.height() + 1)
    outside = [
        (x, y)
        for x in range(image.width())
        for y in range(image.height())
        if image.pixelColor(x, y).alpha() and not inside.contains(x + 0.5, y + 0.5)
    ]
    assert not outside, f"painted outside its bounding rect at {outside[:5]}"
    repainted = []
    monkeypatch_update = win.scene.update
    win.scene.update = lambda *rect: (repainted.append(rect), monkeypatch_update(*rect))
    try:
        old = item.sceneBoundingRect()
        ctrl.remove(["conv3"])
    finally:
        del win.scene.update
    assert any(r and r[0].contains(old) for r in repainted)
    assert dumps_graph(ctrl.graph)  # still a graph
