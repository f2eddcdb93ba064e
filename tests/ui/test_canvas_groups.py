"""Groups in the real window, driven by mouse and keyboard: frames collapse to cards and
expand again, Group and Ungroup undo, the collapsed state is saved, the card shows the shapes
and parameters inference gives, and drawn frames never overlap cards that are not theirs."""

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QFontMetricsF
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QInputDialog, QMessageBox

from builder import group_summary, infer, list_templates, load_graph, load_template, port_offsets, within

GROUPED = [name for name, graph in list_templates() if any(n.group for n in graph.nodes.values())]
CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def win(qtbot, monkeypatch, show_active):
    from ui.window.main_window import MainWindow

    window = MainWindow(load_template("resnet18"), load_torch=False)
    monkeypatch.setattr(window.files, "ask_save_changes", lambda: QMessageBox.StandardButton.Discard)
    qtbot.addWidget(window)
    show_active(window)
    return window


def at(win, scene_point: QPointF) -> QPoint:
    """The viewport point of `scene_point`, scrolled into view first."""
    win.view.centerOn(scene_point)
    return win.view.mapFromScene(scene_point)


def click(win, scene_point: QPointF, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    QTest.mouseClick(win.view.viewport(), Qt.MouseButton.LeftButton, modifiers, at(win, scene_point))


def press(win, key, modifiers=CTRL) -> None:
    win.view.setFocus()
    QTest.keyClick(win.view, key, modifiers)


def frame_toggle(win, path: str) -> QPointF:
    return win.scene.groups.frames[path].toggle_rect().center()


def test_clicking_the_triangles_collapses_and_expands_a_group(win, qtbot):
    scene, graph = win.scene, win.controller.graph
    layers = scene.groups
    click(win, frame_toggle(win, "layer2"))
    qtbot.waitUntil(lambda: "layer2" in layers.cards)
    assert graph.collapsed == {"layer2"}
    assert not scene.nodes["layer2_0_conv1"].isVisible() and scene.nodes["layer3_0_conv1"].isVisible()
    assert "layer2" not in layers.frames and "layer2.0" not in layers.frames and "layer3" in layers.frames
    card = layers.cards["layer2"]
    in_port, out_port = port_offsets(scene.direction)
    into = scene.edges[("layer1_1_relu2", "layer2_0_conv1")]
    assert into.isVisible()
    end = into.path().pointAtPercent(1.0)
    assert (end - (card.pos() + QPointF(*in_port))).manhattanLength() < 0.5
    out = scene.edges[("layer2_1_relu2", "layer3_0_conv1")].path().pointAtPercent(0.0)
    assert (out - (card.pos() + QPointF(*out_port))).manhattanLength() < 0.5
    assert not scene.edges[("layer2_0_conv1", "layer2_0_bn1")].isVisible()

    click(win, card.mapToScene(card.toggle_rect().center()))
    qtbot.waitUntil(lambda: "layer2" in layers.frames)
    assert not layers.cards and graph.collapsed == set()
    assert scene.nodes["layer2_0_conv1"].isVisible()
    assert scene.edges[("layer2_0_conv1", "layer2_0_bn1")].isVisible()

    press(win, Qt.Key.Key_Z)  # undo the expansion: collapsed again
    qtbot.waitUntil(lambda: "layer2" in layers.cards)
    press(win, Qt.Key.Key_Z)  # and the collapse
    qtbot.waitUntil(lambda: not layers.cards)
    assert {n: node.pos for n, node in graph.nodes.items()} == {
        n: node.pos for n, node in load_template("resnet18").nodes.items()
    }


def test_double_clicking_a_frames_title_collapses_it(win, qtbot):
    layers = win.scene.groups
    strip = layers.frames["layer3.1"].title_rect()
    title = QPointF(strip.left() + 40, strip.center().y())  # on the name (a wire crosses the middle)
    QTest.mouseDClick(
        win.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at(win, title)
    )
    qtbot.waitUntil(lambda: "layer3.1" in layers.cards)
    assert "layer3" in layers.frames  # the group around it stays expanded, with the card inside
    frame = layers.frames["layer3"].rect
    assert frame.contains(layers.cards["layer3.1"].sceneBoundingRect().adjusted(3, 3, -9, -9))


def test_the_collapsed_card_shows_what_inference_gives(win, qtbot):
    graph = win.controller.graph
    for path in ("layer4", "layer1.0"):
        click(win, frame_toggle(win, path))
        qtbot.waitUntil(lambda path=path: path in win.scene.groups.cards)
    result = infer(graph)
    for path in ("layer4", "layer1.0"):
        summary = group_summary(graph, path, result)
        card = win.scene.groups.cards[path]
        (shape_in,), (shape_out,) = summary.input_shapes, summary.output_shapes
        assert card.lines[0] == f"in {'×'.join(map(str, shape_in))} → out {'×'.join(map(str, shape_out))}"
        assert card.lines[1] == f"{summary.params:,} params · {len(summary.blocks)} blocks"
    assert win.scene.groups.cards["layer4"].lines == (
        "in 256×14×14 → out 512×7×7",
        "8,393,728 params · 16 blocks",
    )
    # a card too narrow for the words keeps both shapes whole rather than cutting one off
    card = win.scene.groups.cards["layer4"]
    metrics = QFontMetricsF(win.scene.fonts["body"])
    wide = metrics.horizontalAdvance(card.lines[0])
    assert card.shapes_line(metrics, wide) == "in 256×14×14 → out 512×7×7"
    assert card.shapes_line(metrics, wide - 1) == "256×14×14 → 512×7×7"
    # an edit inside the collapsed group updates its card
    win.controller.set_settings("layer4_1_conv1", {"out_channels": 256})
    summary = group_summary(graph, "layer4", win.controller.result)
    assert win.scene.groups.cards["layer4"].lines[1].startswith(f"{summary.params:,} params")


def test_group_and_ungroup_with_the_keyboard_and_undo(win, qtbot, monkeypatch):
    scene, graph = win.scene, win.controller.graph
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *_a, **_k: ("stem", True)))
    for i, node_id in enumerate(("conv1", "bn1", "relu1")):
        click(
            win,
            scene.nodes[node_id].sceneBoundingRect().center(),
            CTRL if i else Qt.KeyboardModifier.NoModifier,
        )
    assert sorted(scene.selected_node_ids()) == ["bn1", "conv1", "relu1"]
    press(win, Qt.Key.Key_G)
    qtbot.waitUntil(lambda: "stem" in scene.groups.frames)
    assert [graph.nodes[n].group for n in ("conv1", "bn1", "relu1", "pool1")] == ["stem"] * 3 + [""]
    press(win, Qt.Key.Key_Z)
    qtbot.waitUntil(lambda: "stem" not in scene.groups.frames)
    assert graph.nodes["conv1"].group == ""
    press(win, Qt.Key.Key_Z, CTRL | Qt.KeyboardModifier.ShiftModifier)  # redo
    qtbot.waitUntil(lambda: "stem" in scene.groups.frames)
    click(win, scene.nodes["bn1"].sceneBoundingRect().center())
    press(win, Qt.Key.Key_G, CTRL | Qt.KeyboardModifier.ShiftModifier)  # ungroup
    qtbot.waitUntil(lambda: "stem" not in scene.groups.frames)
    assert graph.nodes["conv1"].group == ""


def test_a_selection_that_cannot_be_a_group_says_why_and_changes_nothing(win, qtbot, monkeypatch):
    scene = win.scene
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *_a, **_k: ("g", True)))
    click(win, scene.nodes["conv1"].sceneBoundingRect().center())
    click(win, scene.nodes["relu1"].sceneBoundingRect().center(), CTRL)
    steps = win.controller.undo_stack.count()
    press(win, Qt.Key.Key_G)
    assert "bn1 lies between the selected blocks" in win.statusBar().currentMessage()
    assert win.controller.undo_stack.count() == steps
    assert "g" not in scene.groups.frames


def test_collapsed_groups_are_saved_and_open_collapsed(win, qtbot, tmp_path):
    click(win, frame_toggle(win, "layer3"))
    qtbot.waitUntil(lambda: "layer3" in win.scene.groups.cards)
    path = tmp_path / "resnet.json"
    assert win.files.write(path)
    saved = load_graph(path)
    assert saved.collapsed == {"layer3"}
    assert {n: node.group for n, node in saved.nodes.items()} == {
        n: node.group for n, node in win.controller.graph.nodes.items()
    }
    assert win.files.open_file(path, ask=False)
    layers = win.scene.groups
    assert list(layers.cards) == ["layer3"] and "layer3" not in layers.frames
    assert not win.scene.nodes["layer3_1_relu2"].isVisible()
    summary = group_summary(win.controller.graph, "layer3", win.controller.result)
    assert layers.cards["layer3"].lines[1].startswith(f"{summary.params:,} params")


def test_dragging_a_frames_title_moves_its_blocks_in_one_step(win, qtbot):
    scene, graph = win.scene, win.controller.graph
    before = {n: node.pos for n, node in graph.nodes.items()}
    title = scene.groups.frames["layer1.1"].title_rect()
    start = at(win, QPointF(title.center().x() + 40, title.center().y()))
    viewport = win.view.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for step in range(1, 6):
        QTest.mouseMove(viewport, start + QPoint(60 * step, 0))
    QTest.mouseRelease(
        viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start + QPoint(300, 0)
    )
    moved = {n for n, node in graph.nodes.items() if node.pos != before[n]}
    inside = {n for n, node in graph.nodes.items() if within(node.group, "layer1.1")}
    assert moved == inside
    dx = {round(graph.nodes[n].pos[0] - before[n][0]) for n in moved}
    assert len(dx) == 1 and dx.pop() > 100
    frame = scene.groups.frames["layer1.1"].rect
    assert all(frame.contains(scene.nodes[n].sceneBoundingRect().adjusted(3, 3, -3, -3)) for n in inside)
    press(win, Qt.Key.Key_Z)
    assert {n: node.pos for n, node in graph.nodes.items()} == before


def drawn_overlaps(win) -> list[str]:
    """What the canvas draws: cards (blocks, collapsed groups) against frames and each other."""
    scene = win.scene
    graph = scene.controller.graph
    cards = {
        n: (i.mapRectToScene(0, 0, *i.boundingRect().size().toTuple()), graph.nodes[n].group)
        for n, i in scene.nodes.items()
        if i.isVisible()
    }
    for path, card in scene.groups.cards.items():
        cards[f"group:{path}"] = (card.sceneBoundingRect(), path.rpartition(".")[0])
    found = []
    frames = {p: f.rect for p, f in scene.groups.frames.items()}
    for path, rect in frames.items():
        for other, box in frames.items():
            if other != path and not within(other, path) and not within(path, other) and rect.intersects(box):
                found.append(f"frames {path} and {other} overlap")
        for name, (box, group) in cards.items():
            card = box.adjusted(4, 4, -10, -10)  # the drawn card, without its shadow and badges
            if within(group, path) != rect.contains(card) and (within(group, path) or rect.intersects(card)):
                found.append(f"{name} and frame {path}")
    return found


@pytest.mark.parametrize("name", GROUPED)
def test_drawn_frames_hold_their_cards_and_no_others(win, qtbot, name):
    graph = load_template(name)
    win.files.load_graph(graph, None)
    assert win.scene.groups.frames
    assert drawn_overlaps(win) == []
    outer = [p for p in win.scene.groups.frames if "." not in p]
    graph = load_template(name)
    graph.collapsed = set(outer[:1])
    from builder import apply_layout

    apply_layout(graph)
    win.files.load_graph(graph, None)
    assert list(win.scene.groups.cards) == outer[:1]
    assert drawn_overlaps(win) == []
