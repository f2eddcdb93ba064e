"""Drive the real editor widgets: build, connect, edit, break, fix, undo, save, recover."""

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent, QDragMoveEvent, QDropEvent, QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from builder import Graph, dumps_graph, load_graph, load_template, save_graph
from ui.canvas.graph_scene import BLOCK_MIME


def view_point(win, scene_point: QPointF) -> QPoint:
    return win.view.mapFromScene(scene_point)


def send_mouse(
    widget, kind, pos: QPoint, buttons=Qt.MouseButton.LeftButton, button=Qt.MouseButton.LeftButton
):
    event = QMouseEvent(
        kind, QPointF(pos), QPointF(widget.mapToGlobal(pos)), button, buttons, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(widget, event)


def drag_wire(win, source: str, target: str) -> None:
    """Press on the source's output port, move, release on the target's input port."""
    viewport = win.view.viewport()
    start = view_point(win, win.scene.nodes[source].output_port.scenePos())
    end = view_point(win, win.scene.nodes[target].input_port.scenePos())
    send_mouse(viewport, QEvent.Type.MouseButtonPress, start)
    send_mouse(viewport, QEvent.Type.MouseMove, (start + end) / 2)
    send_mouse(viewport, QEvent.Type.MouseMove, end)
    send_mouse(viewport, QEvent.Type.MouseButtonRelease, end, buttons=Qt.MouseButton.NoButton)


def drop_from_palette(win, block_type: str | bytes, scene_point: QPointF) -> None:
    mime = QMimeData()
    mime.setData(BLOCK_MIME, block_type if isinstance(block_type, bytes) else block_type.encode())
    viewport = win.view.viewport()
    pos = QPointF(view_point(win, scene_point))
    actions = Qt.DropAction.CopyAction
    for cls in (QDragEnterEvent, QDragMoveEvent):
        QApplication.sendEvent(
            viewport,
            cls(pos.toPoint(), actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier),
        )
    QApplication.sendEvent(
        viewport, QDropEvent(pos, actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    )


def press(window, key, modifiers=Qt.KeyboardModifier.ControlModifier) -> None:
    """A key press on the canvas, as a user makes it: shortcuts such as Ctrl+V fire from it."""
    window.view.setFocus()
    QTest.keyClick(window.view, key, modifiers)


def type_into_spin(qtbot, spin, text: str) -> None:
    """Replace a spin box's number by typing, one key at a time."""
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, text)


def test_window_shows_lenet_with_live_shapes(window):
    assert "LeNet-5" in window.windowTitle()
    assert len(window.scene.nodes) == 13 and len(window.scene.edges) == 12
    assert window.scene.nodes["conv1"].shape_line == "→ 6×28×28 · 156 params"
    assert window.scene.edges[("conv1", "tanh1")].label == "6×28×28"
    assert "61,706 parameters" in window.status.text()
    assert window.summary.model().rowCount() == 13


def test_an_edit_updates_the_summary_rows_and_problems_in_place(window):
    """A settings edit keeps the table's rows (no reset: changed rows and the share column are
    updated in place) and leaves an unchanged problems list as it was."""
    model, problems = window.summary.model(), window.problems
    resets, changed = [], []
    model.modelReset.connect(lambda: resets.append(True))
    model.dataChanged.connect(lambda a, b, _roles=(): changed.append((a.row(), b.row())))
    listed = problems.topLevelItem(0)
    window.controller.set_settings("conv1", {"out_channels": 8})
    result = window.controller.result
    assert not resets and changed
    assert model.rows == [result.nodes[n] for n in result.order]
    row = [info.id for info in model.rows].index("conv1")
    assert model.index(row, 2).data() == "8 × 28 × 28"
    total = result.total_params
    assert model.index(row, 6).data() == f"{100 * result.nodes['conv1'].learnable / total:.1f}%"
    assert problems.topLevelItem(0) is listed  # the same (empty) list: not rebuilt
    window.controller.undo_stack.undo()
    assert model.index(row, 2).data() == "6 × 28 × 28" and not resets


def test_drop_blocks_and_connect_them_with_the_mouse(window):
    ctrl = window.controller
    window.view.resetTransform()
    fc2 = window.scene.nodes["fc2"].sceneBoundingRect()
    drop_from_palette(window, "ReLU", fc2.center() + QPointF(0, 200))
    assert "relu1" in ctrl.graph.nodes  # the first ReLU of this network
    window.view.centerOn(window.scene.nodes["relu1"])
    QApplication.processEvents()
    drag_wire(window, "fc2", "relu1")
    assert ctrl.graph.inputs_of("relu1") == ["fc2"]
    assert window.scene.nodes["relu1"].shape_line == "→ 10"
    assert ("fc2", "relu1") in window.scene.edges


def test_drop_onto_a_wire_inserts_the_block(window):
    ctrl = window.controller
    edge = window.scene.edges[("conv1", "tanh1")]
    window.view.centerOn(edge.path().pointAtPercent(0.5))
    QApplication.processEvents()
    drop_from_palette(window, "BatchNorm2d", edge.path().pointAtPercent(0.5))
    assert ctrl.graph.inputs_of("bn1") == ["conv1"] and ctrl.graph.inputs_of("tanh1") == ["bn1"]
    assert window.scene.nodes["bn1"].shape_line == "→ 6×28×28 · 12 params"
    assert ctrl.undo_stack.count() == 1  # one undoable step


def drag_over(win, block_type: str | bytes, scene_point: QPointF) -> None:
    """A block from the palette dragged over the canvas, not dropped yet."""
    mime = QMimeData()
    mime.setData(BLOCK_MIME, block_type if isinstance(block_type, bytes) else block_type.encode())
    pos = view_point(win, scene_point)
    for cls in (QDragEnterEvent, QDragMoveEvent):
        QApplication.sendEvent(
            win.view.viewport(),
            cls(
                pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
            ),
        )


def test_a_dragged_block_shows_where_it_lands_and_what_it_is_wired_to(window):
    scene = window.scene
    window.view.resetTransform()
    edge = scene.edges[("conv1", "tanh1")]
    middle = edge.path().pointAtPercent(0.5)
    window.view.centerOn(middle)
    QApplication.processEvents()
    drag_over(window, "BatchNorm2d", middle)  # over a wire: it will be inserted there
    hint = scene.drop_hint
    assert hint.isVisible() and hint.kind == "insert" and hint.target == ("conv1", "tanh1")
    assert hint.wire == edge.path() and hint.card.contains(middle)

    fc2 = scene.nodes["fc2"].sceneBoundingRect()
    below = fc2.center() + QPointF(0, fc2.height() + 40)
    window.view.centerOn(below)
    QApplication.processEvents()
    drag_over(window, "ReLU", below)  # by fc2's free output: wired from it
    assert hint.kind == "after" and hint.target == "fc2"
    assert hint.link.p1() == scene.nodes["fc2"].output_port.scenePos()

    drag_over(window, "Input", below)  # an Input takes no input: only placed
    assert hint.kind == "place" and hint.target is None and hint.card.contains(below)
    QApplication.sendEvent(window.view.viewport(), QDragLeaveEvent())
    assert not hint.isVisible() and window.controller.undo_stack.count() == 0  # nothing added


def test_a_drag_that_names_no_block_is_ignored(window):
    """Another program can drag data of our type: whatever it holds, nothing breaks or is added."""
    for junk in ("NoSuchBlock", "<b>Conv2d</b>", "\udcff"):
        middle = window.scene.edges[("conv1", "tanh1")].path().pointAtPercent(0.5)
        drag_over(window, junk.encode(errors="surrogateescape"), middle)
        assert not window.scene.drop_hint.isVisible()
        drop_from_palette(window, junk.encode(errors="surrogateescape"), middle)
    assert window.controller.undo_stack.count() == 0


def test_ports_that_cannot_accept_are_dimmed_while_wiring(window):
    scene = window.scene
    scene.start_wiring("flatten1")
    assert scene.nodes["conv2"].input_port.state == "reject"  # already has its input
    assert scene.nodes["input"].input_port is None
    window.controller.remove(["fc1"])
    scene.finish_wiring(QPointF(-9999, -9999))
    scene.start_wiring("flatten1")
    assert scene.nodes["tanh4"].input_port.state == "accept"
    scene.finish_wiring(scene.nodes["tanh4"].input_port.scenePos())
    assert window.controller.graph.inputs_of("tanh4") == ["flatten1"]


def test_double_click_in_palette_appends_after_selection(window):
    window.select_node("conv1")
    window.palette.block_activated.emit("BatchNorm2d")
    graph = window.controller.graph
    assert graph.inputs_of("bn1") == ["conv1"] and graph.inputs_of("tanh1") == ["bn1"]
    assert window.scene.selected_node_ids() == ["bn1"]


def test_palette_search_filters(window):
    window.palette.search.setText("pool")
    visible = window.palette.visible_blocks()
    assert "MaxPool2d" in visible and "ReLU" not in visible


def test_inspector_edit_updates_shapes_and_undo_restores(window):
    ctrl = window.controller
    before = dumps_graph(ctrl.graph)
    window.select_node("conv1")
    editor = window.inspector.editors["out_channels"]
    editor.spin.setValue(8)
    assert ctrl.graph.nodes["conv1"].settings["out_channels"] == 8
    assert window.scene.nodes["conv1"].shape_line.startswith("→ 8×28×28")
    assert window.scene.edges[("conv1", "tanh1")].label == "8×28×28"
    assert "params: 5*5*1*8 + 8 = 208" in window.inspector.arithmetic.text()
    assert window.summary.selectionModel().selectedRows()[0].row() == 1
    ctrl.undo_stack.undo()
    assert dumps_graph(ctrl.graph) == before
    ctrl.undo_stack.redo()
    assert ctrl.graph.nodes["conv1"].settings["out_channels"] == 8


def test_invalid_stack_is_flagged_and_quick_fixed(window, qtbot):
    ctrl = window.controller
    window.select_node("conv3")
    QApplication.processEvents()  # layouts show new rows from the event loop
    window.inspector.editors["kernel_size"].h.setValue(7)
    window.inspector.editors["kernel_size"].w.setValue(7)
    item = window.scene.nodes["conv3"]
    assert item.severity == "error" and "larger than its padded input" in item.toolTip()
    assert window.scene.nodes["fc2"].status == "unknown"
    label = window.inspector.field_errors["kernel_size"]
    assert label.isVisibleTo(window.inspector) and "kernel 7x7" in label.text()
    problems = window.problems
    assert problems.topLevelItem(0).text(1) == "conv3"
    window.scene.clearSelection()
    problems.itemClicked.emit(problems.topLevelItem(0), 1)
    assert window.scene.selected_node_ids() == ["conv3"]
    QApplication.processEvents()
    (button,) = problems.fix_buttons()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ctrl.result.valid)
    assert ctrl.graph.nodes["conv3"].settings["padding"] == "same"
    assert window.scene.nodes["conv3"].severity == ""


def test_linear_without_flatten_gets_a_one_click_flatten(window, qtbot):
    ctrl = window.controller
    ctrl.remove(["flatten1"])
    ctrl.connect("tanh3", "fc1")
    assert [e.code for e in ctrl.result.errors] == ["needs_flatten"]
    QApplication.processEvents()
    (button,) = window.problems.fix_buttons()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ctrl.result.valid)
    assert ctrl.graph.nodes[ctrl.graph.inputs_of("fc1")[0]].type == "Flatten"


def test_delete_cut_paste_duplicate_and_undo_back(window):
    ctrl = window.controller
    original = dumps_graph(ctrl.graph)
    window.scene.nodes["conv2"].setSelected(True)
    window.scene.nodes["tanh2"].setSelected(True)
    window.copy()
    window.menu_actions.delete_action.trigger()
    assert "conv2" not in ctrl.graph.nodes and not ctrl.result.valid
    window.paste()
    pasted = window.scene.selected_node_ids()
    assert len(pasted) == 2 and any(ctrl.graph.inputs_of(p) for p in pasted)  # the inner wire came along
    window.duplicate()
    assert len(ctrl.graph.nodes) == 11 + 2 + 2
    while ctrl.undo_stack.canUndo():
        ctrl.undo_stack.undo()
    assert dumps_graph(ctrl.graph) == original
    while ctrl.undo_stack.canRedo():
        ctrl.undo_stack.redo()
    assert len(ctrl.graph.nodes) == 15


def test_moving_blocks_is_undoable(window):
    item = window.scene.nodes["conv1"]
    old = window.controller.graph.nodes["conv1"].pos
    item.setPos(item.pos() + QPointF(50, 10))
    window.scene.commit_moves()
    assert window.controller.graph.nodes["conv1"].pos == (old[0] + 50, old[1] + 10)
    window.controller.undo_stack.undo()
    assert window.controller.graph.nodes["conv1"].pos == old and item.pos() == QPointF(*old)


def test_input_preset_and_auto_layout(window):
    ctrl = window.controller
    ctrl.set_input_shape((3, 32, 32))
    assert window.scene.nodes["conv1"].shape_line.startswith("→ 6×32×32")
    assert "3×32×32" in window.status.text()
    ctrl.auto_layout("LR")
    xs = [n.pos[0] for n in ctrl.graph.nodes.values()]
    assert len(set(xs)) == len(xs)  # a chain laid out left to right
    ctrl.undo_stack.undo()
    assert len({n.pos[0] for n in ctrl.graph.nodes.values()}) == 1


def test_save_and_reopen_gives_an_equal_graph(window, tmp_path):
    ctrl = window.controller
    ctrl.set_settings("conv1", {"out_channels": 12})
    path = tmp_path / "net.json"
    assert window.files.write(path)
    assert not window.isWindowModified() and "net.json" in window.windowTitle()
    edited = dumps_graph(ctrl.graph)
    ctrl.set_settings("conv1", {"out_channels": 3})
    assert window.isWindowModified()
    assert window.files.open_file(path)
    assert dumps_graph(window.controller.graph) == edited and load_graph(path) == window.controller.graph
    assert str(path.resolve()) in window.files.recent_files()


def test_unreadable_file_says_why_and_keeps_the_network(window, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(window, "show_error", lambda title, text: shown.append(text))
    before = dumps_graph(window.controller.graph)
    broken = tmp_path / "broken.json"
    broken.write_text(
        '{"format": "convcanvas-graph", "version": 1, "nodes": [{"id": "a", "type": "Conv9d"}]}'
    )
    assert not window.files.open_file(broken)
    assert "unknown block type 'Conv9d'" in shown[0]
    assert dumps_graph(window.controller.graph) == before


def test_closing_with_unsaved_changes_asks_first(window, monkeypatch):
    window.controller.set_settings("conv1", {"out_channels": 9})
    monkeypatch.setattr(window.files, "ask_save_changes", lambda: QMessageBox.StandardButton.Cancel)
    assert not window.close() and window.isVisible()
    monkeypatch.setattr(window.files, "ask_save_changes", lambda: QMessageBox.StandardButton.Discard)
    assert window.close()


def test_layout_and_recent_files_persist(window, qtbot, tmp_path):
    from ui.window.main_window import MainWindow

    path = tmp_path / "n.json"
    save_graph(window.controller.graph, path)
    window.files.open_file(path)
    window.docks["History"].hide()
    window.resize(1100, 700)
    window.close()
    again = MainWindow()
    qtbot.addWidget(again)
    assert str(path.resolve()) in again.files.recent_files()
    assert again.docks["History"].isHidden()
    assert json.loads(path.read_text())["format"] == "convcanvas-graph"


def test_template_gallery_previews_and_opens_a_template(window, qtbot, monkeypatch):
    from ui.panels.template_gallery import TemplateGallery

    gallery = TemplateGallery(window)
    qtbot.addWidget(gallery)
    names = [gallery.list.item(i).text() for i in range(gallery.list.count())]
    assert names[0] == "Blank canvas" and "ResNet-18" in names and "LeNet-5" in names
    assert [n.type for n in gallery.chosen_graph().nodes.values()] == ["Input"]
    gallery.list.setCurrentRow(names.index("ResNet-18"))
    assert not gallery.picture.pixmap().isNull()
    assert "11,689,512 parameters" in gallery.text.text()
    monkeypatch.setattr(
        TemplateGallery, "exec", lambda self: (self.list.setCurrentRow(names.index("ResNet-18")), 1)[1]
    )
    window.files.new_file()
    assert window.controller.graph.name == "ResNet-18" and window.files.path is None
    assert "ResNet-18 (unsaved)" in window.windowTitle()


def test_export_from_the_menu_writes_code_script_and_onnx(window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    for fmt, name in [("py", "net.py"), ("train-py", "net_train.py"), ("onnx", "net.onnx")]:
        target = tmp_path / name
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_a, t=target, **_k: (str(t), ""))
        window.files.export(fmt)
        assert target.exists() and target.stat().st_size > 0, fmt
    assert "class LeNet5(nn.Module)" in (tmp_path / "net.py").read_text()
    assert 'OPTIMIZER = "adam"' in (tmp_path / "net_train.py").read_text()  # the panel's settings
    shown = []
    monkeypatch.setattr(window, "show_error", lambda title, text: shown.append(text))
    window.controller.remove(["flatten1"])
    window.files.export("py")
    assert "Fix the network's errors first" in shown[0]


# -- pasting: checked in full before anything changes --------------------------------------

SELF_LOOP = {
    "format": "convcanvas-graph",
    "version": 1,
    "nodes": [{"id": "r", "type": "ReLU", "pos": [0, 0]}],
    "edges": [{"from": "r", "to": "r"}],
}
CYCLE = {
    "format": "convcanvas-graph",
    "version": 1,
    "nodes": [{"id": "a", "type": "ReLU"}, {"id": "b", "type": "Add"}, {"id": "c", "type": "ReLU"}],
    "edges": [{"from": "a", "to": "b"}, {"from": "b", "to": "c"}, {"from": "c", "to": "b"}],
}
# an integer with 5,000 digits: json.loads raises ValueError (not JSONDecodeError)
HUGE_NUMBER = (
    '{"format": "convcanvas-graph", "version": 1, "nodes": [{"id": "c", "type": "Conv2d", '
    '"params": {"out_channels": 1' + "0" * 5000 + "}}]}"
)
TWO_INTO_ONE = {
    "format": "convcanvas-graph",
    "version": 1,
    "nodes": [{"id": "a", "type": "ReLU"}, {"id": "b", "type": "ReLU"}, {"id": "c", "type": "ReLU"}],
    "edges": [{"from": "a", "to": "c"}, {"from": "b", "to": "c"}],
}


@pytest.mark.parametrize(
    ("clipboard", "reason"),
    [
        (json.dumps(SELF_LOOP), "connects r to itself"),
        (json.dumps(CYCLE), "make a cycle"),
        (HUGE_NUMBER, "not valid JSON"),
        (json.dumps(TWO_INTO_ONE), "takes at most 1 input"),
        ('{"format": "convcanvas-graph", "version": 1, "nodes": [{"id": "w", "type": "Conv9d"}]}', "Conv9d"),
        ("just some text from elsewhere", "no ConvCanvas blocks"),
    ],
    ids=["self-loop", "cycle", "huge-number", "two-inputs-into-relu", "unknown-type", "plain-text"],
)
def test_a_paste_that_cannot_work_says_why_changes_nothing_and_undo_still_works(
    window, qtbot, clipboard, reason
):
    """Regression: a clipboard with a self-loop raised inside QUndoCommand.redo within the paste
    macro, and Ctrl+Z then crashed the process (exit 139) and lost the unsaved work."""
    ctrl = window.controller
    window.select_node("conv1")
    type_into_spin(qtbot, window.inspector.editors["out_channels"].spin, "8")  # work to undo later
    assert ctrl.graph.nodes["conv1"].settings["out_channels"] == 8
    before, steps = dumps_graph(ctrl.graph), ctrl.undo_stack.count()
    QApplication.clipboard().setText(clipboard)
    press(window, Qt.Key.Key_V)
    message = window.statusBar().currentMessage()
    assert message.startswith("Nothing pasted") and reason in message
    assert dumps_graph(ctrl.graph) == before and ctrl.undo_stack.count() == steps
    assert len(window.scene.nodes) == len(ctrl.graph.nodes)
    press(window, Qt.Key.Key_Z)
    assert ctrl.graph.nodes["conv1"].settings["out_channels"] == 6
    assert window.scene.nodes["conv1"].shape_line.startswith("→ 6×28×28")


def test_copy_and_paste_with_the_keyboard_is_one_undo_step(window):
    ctrl = window.controller
    original = dumps_graph(ctrl.graph)
    window.scene.nodes["conv2"].setSelected(True)
    window.scene.nodes["tanh2"].setSelected(True)
    press(window, Qt.Key.Key_C)
    press(window, Qt.Key.Key_V)
    pasted = window.scene.selected_node_ids()
    assert sorted(pasted) == ["conv4", "tanh5"] and ctrl.graph.inputs_of("tanh5") == ["conv4"]
    assert ctrl.undo_stack.count() == 1
    press(window, Qt.Key.Key_Z)
    assert dumps_graph(ctrl.graph) == original and set(window.scene.nodes) == set(ctrl.graph.nodes)


def test_edits_of_blocks_or_wires_that_are_gone_push_no_command(window):
    """Every undo command's redo and undo can only meet what they expect: the controller pushes
    none for a wire or a block that is not there (a raise inside redo breaks the history)."""
    ctrl = window.controller
    ctrl.disconnect("conv1", "fc2")  # no such wire
    ctrl.connect("conv1", "nowhere")
    ctrl.connect("conv1", "conv1")
    ctrl.connect("input", "conv1")  # already there
    ctrl.set_frozen("nowhere", True)
    ctrl.remove(["nowhere"], [("nowhere", "conv1")])
    ctrl.move_nodes({"nowhere": ((0, 0), (5, 5))})
    assert ctrl.undo_stack.count() == 0
    with pytest.raises(ValueError):
        ctrl.insert_on_edge("conv1", "fc2", "ReLU")  # refused before the macro begins
    assert ctrl.undo_stack.count() == 0


# -- undo steps ------------------------------------------------------------------------------


def test_quick_edits_merge_only_on_the_same_block(window, qtbot):
    """Typing 1, 2 into one field is one undo step; a quick edit of another block is another."""
    ctrl = window.controller
    window.select_node("conv1")
    type_into_spin(qtbot, window.inspector.editors["out_channels"].spin, "12")
    assert ctrl.graph.nodes["conv1"].settings["out_channels"] == 12
    assert ctrl.undo_stack.count() == 1  # "1" then "12": one step
    window.select_node("conv2")
    type_into_spin(qtbot, window.inspector.editors["out_channels"].spin, "20")
    assert ctrl.graph.nodes["conv2"].settings["out_channels"] == 20
    assert ctrl.undo_stack.count() == 2
    press(window, Qt.Key.Key_Z)
    assert ctrl.graph.nodes["conv2"].settings["out_channels"] == 16
    assert ctrl.graph.nodes["conv1"].settings["out_channels"] == 12
    press(window, Qt.Key.Key_Z)
    assert ctrl.graph.nodes["conv1"].settings["out_channels"] == 6


def branching_graph() -> Graph:
    """input -> relu1 -> add1 -> relu2, and input -> add1: a wire relu2 -> add1 would close a loop."""
    graph = Graph(name="Branches")
    graph.add_node("Input", {"shape": (1, 28, 28)}, (0.0, 0.0), "input")
    graph.add_node("ReLU", pos=(0.0, 130.0), node_id="relu1")
    graph.add_node("Add", pos=(0.0, 260.0), node_id="add1")
    graph.add_node("ReLU", pos=(0.0, 390.0), node_id="relu2")
    for source, target in [("input", "relu1"), ("relu1", "add1"), ("input", "add1"), ("add1", "relu2")]:
        graph.connect(source, target)
    return graph


def test_a_wire_that_would_close_a_cycle_is_refused_with_the_reason(qtbot, show_active):
    from ui.window.main_window import MainWindow

    win = MainWindow(branching_graph(), load_torch=False)
    qtbot.addWidget(win)
    show_active(win)
    win.view.resetTransform()
    win.view.centerOn(win.scene.nodes["add1"].sceneBoundingRect().bottomLeft())
    QApplication.processEvents()
    before = dumps_graph(win.controller.graph)
    drag_wire(win, "relu2", "add1")
    assert dumps_graph(win.controller.graph) == before and win.controller.undo_stack.count() == 0
    message = win.statusBar().currentMessage()
    assert "cannot connect relu2 to add1" in message and "cycle" in message
    drag_wire(win, "relu1", "relu2")  # the same gesture works where it may: relu2 takes one input
    assert "already has its input" in win.statusBar().currentMessage()


# -- replacing the document after an edit -----------------------------------------------------


def test_new_open_and_recovery_after_an_edit_raise_nothing(window, qtbot, tmp_path, monkeypatch):
    """Regression: every New, Open or recovery after an edit raised KeyError in a slot, because
    clearing the history re-inferred and the canvas refreshed blocks of the old graph."""
    from PySide6.QtWidgets import QFileDialog

    from ui.panels.template_gallery import TemplateGallery
    from ui.window.recovery import state_dir

    ctrl, actions = window.controller, window.menu_actions

    def edit():
        window.controller.add_node("ReLU", (900.0, 900.0))
        assert not ctrl.undo_stack.isClean()

    def choose_resnet(gallery) -> int:
        names = [gallery.list.item(i).text() for i in range(gallery.list.count())]
        gallery.list.setCurrentRow(names.index("ResNet-18"))
        return 1

    edit()
    monkeypatch.setattr(TemplateGallery, "exec", choose_resnet)
    actions.new_action.trigger()
    assert ctrl.graph.name == "ResNet-18" and set(window.scene.nodes) == set(ctrl.graph.nodes)
    edit()
    small = tmp_path / "small.json"
    save_graph(branching_graph(), small)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *_a, **_k: (str(small), ""))
    actions.open_action.trigger()
    assert set(window.scene.nodes) == {"input", "relu1", "add1", "relu2"}
    edit()
    state_dir().mkdir(parents=True)
    lenet = json.loads(dumps_graph(load_template("lenet5")))
    (state_dir() / "recovery.json").write_text(json.dumps({"path": None, "graph": lenet}))
    monkeypatch.setattr(window.recovery, "ask_restore", lambda _path: QMessageBox.StandardButton.Yes)
    assert window.recovery.offer()
    assert set(window.scene.nodes) == set(ctrl.graph.nodes) and "conv1" in window.scene.nodes
    assert window.scene.nodes["conv1"].shape_line == "→ 6×28×28 · 156 params"


# -- file names offered by Save As and Export ------------------------------------------------


def test_save_as_and_export_suggest_a_plain_name_in_the_last_folder(window, tmp_path, monkeypatch):
    """A network's name comes from a file: `../../../../etc/cron.d/evil` must not be offered as
    a path. The suggestion is a plain name in the folder last used."""
    from PySide6.QtWidgets import QFileDialog

    folder = tmp_path / "work"
    folder.mkdir()
    opened = folder / "first.json"
    save_graph(load_template("lenet5"), opened)
    assert window.files.open_file(opened)  # the last folder used
    evil = load_template("lenet5")
    evil.name = "../../../../etc/cron.d/evil"
    window.files.load_graph(evil, None)  # an unsaved network with that name
    offered = []
    monkeypatch.setattr(
        QFileDialog,
        "getSaveFileName",
        lambda _parent, _title, path, *_a, **_k: (offered.append(path), ("", ""))[1],
    )
    window.menu_actions.save_as_action.trigger()
    window.menu_actions.export_actions["py"].trigger()
    window.menu_actions.export_actions["train-py"].trigger()
    assert [Path(p).name for p in offered] == [
        "etc_cron.d_evil.json",
        "etc_cron.d_evil.py",
        "etc_cron.d_evil_train.py",
    ]
    assert all(Path(p).parent == folder.resolve() for p in offered)
