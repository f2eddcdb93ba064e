"""Drive the real editor widgets: build, connect, edit, break, fix, undo, save, recover."""

import json

from PySide6.QtCore import QEvent, QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QMouseEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from builder import dumps_graph, load_graph, save_graph
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


def drop_from_palette(win, block_type: str, scene_point: QPointF) -> None:
    mime = QMimeData()
    mime.setData(BLOCK_MIME, block_type.encode())
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


def test_window_shows_lenet_with_live_shapes(window):
    assert "LeNet-5" in window.windowTitle()
    assert len(window.scene.nodes) == 13 and len(window.scene.edges) == 12
    assert window.scene.nodes["conv1"].shape_line == "→ 6×28×28 · 156 params"
    assert window.scene.edges[("conv1", "tanh1")].label == "6×28×28"
    assert "61,706 parameters" in window.status.text()
    assert window.summary.model().rowCount() == 13


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


def test_autosave_and_recovery_after_a_crash(window, qtbot, monkeypatch, tmp_path):
    from ui.window.main_window import MainWindow
    from ui.window.recovery import recovery_path

    window.controller.set_settings("conv1", {"out_channels": 9})
    assert window.recovery.autosave() and recovery_path().exists()
    assert not window.recovery.autosave()  # nothing new since the last autosave
    saved = dumps_graph(window.controller.graph)
    # the process "crashes": a new window starts while the recovery file is still there
    second = MainWindow()
    qtbot.addWidget(second)
    monkeypatch.setattr(second.recovery, "ask_restore", lambda _path: QMessageBox.StandardButton.Yes)
    monkeypatch.setattr(second.files, "ask_save_changes", lambda: QMessageBox.StandardButton.Discard)
    assert second.recovery.offer()
    assert dumps_graph(second.controller.graph) == saved
    assert second.isWindowModified()
    second.close()
    assert not recovery_path().exists()  # a clean exit removes it


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
