"""The drawn wires in the real window: every wire runs port to port and passes under no card
but its own two, top to bottom and left to right, and while a block is dragged."""

import pytest
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QPainterPathStroker
from PySide6.QtWidgets import QMessageBox

from builder import Graph, apply_layout, load_template
from ui.canvas import style

CARD = (style.NODE_WIDTH, style.NODE_HEIGHT)


def branched(n: int) -> Graph:
    """Residual blocks and three-way concatenations, `n` blocks in all."""
    graph = Graph(name="branched")
    prev = graph.add_node("Input", {"shape": (16, 32, 32)}).id

    def add(block_type, sources, **settings):
        node = graph.add_node(block_type, settings)
        for s in sources:
            graph.connect(s, node.id)
        return node.id

    while len(graph.nodes) < n - 9:
        a = add("Conv2d", [prev], out_channels=16, kernel_size=3, padding=1)
        a = add("ReLU", [a])
        prev = add("Add", [a, prev])
        b1 = add("Conv2d", [prev], out_channels=8, kernel_size=1)
        b2 = add("Conv2d", [prev], out_channels=8, kernel_size=3, padding=1)
        b3 = add("MaxPool2d", [prev], kernel_size=3, stride=1, padding=1)
        cat = add("Concat", [b1, b2, b3])
        prev = add("Conv2d", [cat], out_channels=16, kernel_size=1)
    while len(graph.nodes) < n:
        prev = add("ReLU", [prev])
    return graph


def wires_under_cards(scene) -> list[str]:
    """Each wire whose drawn path passes under a card other than its ends."""
    stroker = QPainterPathStroker()
    stroker.setWidth(1.0)
    found = []
    for (source, target), edge in scene.edges.items():
        outline = stroker.createStroke(edge.path())
        for node_id, item in scene.nodes.items():
            card = item.mapRectToScene(QRectF(0, 0, *CARD)).adjusted(1, 1, -1, -1)
            if node_id not in (source, target) and outline.intersects(card):
                found.append(f"{source}->{target} passes under {node_id}")
    return found


def wires_off_their_ports(scene) -> list[str]:
    found = []
    for (source, target), edge in scene.edges.items():
        path = edge.path()
        start, end = path.pointAtPercent(0.0), path.pointAtPercent(1.0)
        out_port = scene.nodes[source].output_port.scenePos()
        in_port = scene.nodes[target].input_port.scenePos()
        if (start - out_port).manhattanLength() > 0.5 or (end - in_port).manhattanLength() > 0.5:
            found.append(f"{source}->{target} runs {start}..{end}, ports {out_port}..{in_port}")
    return found


@pytest.fixture
def resnet_window(qtbot, monkeypatch):
    from ui.window.main_window import MainWindow

    win = MainWindow(load_template("resnet18"), load_torch=False)
    monkeypatch.setattr(win.files, "ask_save_changes", lambda: QMessageBox.StandardButton.Discard)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def test_resnet18_wires_avoid_the_cards_top_to_bottom_and_left_to_right(resnet_window):
    scene = resnet_window.scene
    assert scene.direction == "TB"
    port = scene.nodes["add1"].input_port
    assert (port.pos().x(), port.pos().y()) == (CARD[0] / 2, 0)
    assert wires_off_their_ports(scene) == [] and wires_under_cards(scene) == []
    # the identity shortcut around layer1_0 is drawn beside the column, not behind it
    skip = scene.edges[("pool1", "add1")].path().boundingRect()
    column = scene.nodes["layer1_0_conv1"].sceneBoundingRect()
    assert skip.right() > column.right()

    resnet_window.arrange("LR")
    assert scene.direction == "LR"
    port = scene.nodes["add1"].input_port
    assert (port.pos().x(), port.pos().y()) == (0, CARD[1] / 2)
    assert wires_off_their_ports(scene) == [] and wires_under_cards(scene) == []

    resnet_window.controller.undo_stack.undo()  # back to top to bottom, ports too
    assert scene.direction == "TB" and scene.nodes["add1"].input_port.pos().y() == 0
    assert wires_off_their_ports(scene) == [] and wires_under_cards(scene) == []


def test_dragged_block_takes_its_wires_along_and_others_go_round_it(resnet_window):
    scene = resnet_window.scene
    lane = scene.edges[("pool1", "add1")].path().boundingRect()
    item = scene.nodes["layer2_0_downsample_conv"]
    # drop the shortcut's conv onto the lane of layer1's first identity shortcut
    target = QPointF(lane.right() - CARD[0] / 2, lane.center().y() - CARD[1] / 2)
    item.setPos(target)
    assert wires_off_their_ports(scene) == [] and wires_under_cards(scene) == []
    scene.commit_moves()
    assert resnet_window.controller.graph.nodes[item.node_id].pos == (target.x(), target.y())
    assert wires_off_their_ports(scene) == [] and wires_under_cards(scene) == []
    resnet_window.controller.undo_stack.undo()
    assert wires_off_their_ports(scene) == [] and wires_under_cards(scene) == []


@pytest.mark.slow
def test_dragging_a_block_in_a_500_block_graph_routes_only_the_wires_near_it(qtbot, monkeypatch):
    """Each step of a drag re-routes the dragged block's wires and those near where it is and
    was, not the whole network (how long a step takes: benchmarks/bench_editor.py --drag)."""
    from ui.window.main_window import MainWindow

    graph = branched(500)
    apply_layout(graph)
    win = MainWindow(graph, load_torch=False)
    monkeypatch.setattr(win.files, "ask_save_changes", lambda: QMessageBox.StandardButton.Discard)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    routed = []
    route = win.scene._route
    monkeypatch.setattr(win.scene, "_route", lambda edge: routed.append(edge.key) or route(edge))
    item = win.scene.nodes[list(graph.nodes)[250]]
    per_step = []
    for i in range(30):
        routed.clear()
        item.setPos(item.pos() + QPointF(7.0 if i % 2 else -5.0, 3.0))
        per_step.append(len(set(routed)))
    assert len(win.scene.edges) > 600 and 0 < max(per_step) <= 40, per_step
    assert wires_off_their_ports(win.scene) == []


@pytest.mark.parametrize("how", ["command", "drag"])
def test_a_wire_that_went_round_a_block_straightens_when_the_block_moves_away(qtbot, monkeypatch, how):
    from ui.window.main_window import MainWindow

    graph = Graph(name="skip")
    graph.add_node("Input", {"shape": (1, 8, 8)})
    graph.add_node("ReLU", node_id="relu")
    graph.add_node("Add", node_id="add")
    for source, target in (("input", "relu"), ("relu", "add"), ("input", "add")):
        graph.connect(source, target)
    apply_layout(graph)
    win = MainWindow(graph, load_torch=False)
    monkeypatch.setattr(win.files, "ask_save_changes", lambda: QMessageBox.StandardButton.Discard)
    qtbot.addWidget(win)
    skip = win.scene.edges[("input", "add")]
    assert len(skip.route) > 2  # it goes round the ReLU between its ends
    x, y = graph.nodes["relu"].pos
    if how == "command":
        win.controller.move_nodes({"relu": ((x, y), (x + 400.0, y))})
    else:
        item = win.scene.nodes["relu"]
        for step in range(1, 9):  # dragged out of the way, a little at a time
            item.setPos(QPointF(x + 50.0 * step, y))
    assert len(skip.route) == 2  # nothing in the way now: straight down
    assert wires_off_their_ports(win.scene) == [] and wires_under_cards(win.scene) == []
