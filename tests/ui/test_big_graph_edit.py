"""An edit on a big network redraws only what changed, and every panel still ends up right."""

import pytest

from builder import OK, Graph, apply_layout, memory_estimate
from ui.canvas import style
from ui.window.main_window import MainWindow
from ui.window.memory_status import size_text


def big_graph(blocks: int = 160) -> Graph:
    """Residual blocks and concatenations (whose wire labels carry the input order)."""
    graph = Graph(name="big")
    prev = graph.add_node("Input", {"shape": (8, 16, 16)}).id

    def add(block_type, sources, **params):
        node = graph.add_node(block_type, params)
        for s in sources:
            graph.connect(s, node.id)
        return node.id

    while len(graph.nodes) < blocks:
        a = add("Conv2d", [prev], out_channels=8, kernel_size=3, padding=1)
        a = add("ReLU", [a])
        a = add("Conv2d", [a], out_channels=8, kernel_size=3, padding=1)
        prev = add("Add", [a, prev])
        b1 = add("Conv2d", [prev], out_channels=4, kernel_size=1)
        b2 = add("MaxPool2d", [prev], kernel_size=3, stride=1, padding=1)
        cat = add("Concat", [b1, b2])
        prev = add("Conv2d", [cat], out_channels=8, kernel_size=1)
    apply_layout(graph)
    return graph


@pytest.fixture
def window(qtbot):
    win = MainWindow(big_graph(), load_torch=False)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.controller.undo_stack.setClean()


def check_canvas(win: MainWindow) -> None:
    """Every card and wire label shows the latest inference."""
    result, graph = win.controller.result, win.controller.graph
    for node_id, item in win.scene.nodes.items():
        info = result.nodes[node_id]
        assert item.status == info.status, node_id
        if info.status == OK:
            assert item.shape_line.startswith(f"→ {style.shape_text(info.shape)}"), node_id
    inputs, _ = graph.adjacency()
    for (source, target), edge in win.scene.edges.items():
        info = result.nodes[source]
        label = style.shape_text(info.shape) if info.status == OK else "?"
        if graph.nodes[target].type == "Concat":
            label = f"{inputs[target].index(source) + 1}: {label}"
        assert edge.label == label, (source, target)


def panels_right(win: MainWindow) -> bool:
    """Whether the summary, the problems list and the memory estimate follow the latest result."""
    result = win.controller.result
    summary = win.summary.model_.rows == [result.nodes[n] for n in result.order]
    problems = win.problems
    shown = [problems.topLevelItem(i).text(1) for i in range(problems.topLevelItemCount())]
    issues = [issue.node for issue in [*result.errors, *result.warnings]]
    listed = shown == issues if issues else shown == [""]
    if result.valid:
        config = win.memory.config()
        estimate = memory_estimate(
            win.controller.graph, config.batch_size, config.optimizer, momentum=config.momentum, result=result
        )
        memory = win.memory.label.text().startswith(f"training ≈ {size_text(estimate.total)}")
    else:
        memory = win.memory.label.text() == ""
    return summary and listed and memory


def test_an_edit_on_a_big_network_updates_the_cards_it_changes_and_the_panels(window, qtbot):
    ctrl, scene = window.controller, window.scene
    inferences = []
    ctrl.inferred.connect(inferences.append)
    window.select_node("conv1")
    spin = window.inspector.editors["out_channels"].spin
    refreshed = []

    def counting(item, original):
        def refresh(result):
            refreshed.append(item.node_id)
            original(result)

        return refresh

    for item in scene.nodes.values():
        item.refresh = counting(item, item.refresh)

    spin.setValue(12)  # the first conv of many: its card and the next conv's change
    assert len(inferences) == 1  # one re-inference per edit
    assert scene.nodes["conv1"].shape_line.startswith("→ 12×16×16")
    assert scene.edges[("conv1", "relu1")].label == "12×16×16"
    assert set(refreshed) == {"conv1", "relu1", "conv2"}  # and not the other cards
    check_canvas(window)
    qtbot.waitUntil(lambda: panels_right(window))

    refreshed.clear()
    spin.setValue(16)  # merged into the same undo step: still one re-inference
    assert len(inferences) == 2 and ctrl.undo_stack.count() == 1
    check_canvas(window)
    qtbot.waitUntil(lambda: panels_right(window))

    ctrl.set_settings("conv2", {"out_channels": 5})  # the residual Add no longer fits
    assert not ctrl.result.valid
    check_canvas(window)
    assert scene.nodes["add1"].severity == "error"
    qtbot.waitUntil(lambda: panels_right(window))
    assert window.memory.label.text() == ""

    ctrl.undo_stack.undo()
    assert ctrl.result.valid and scene.nodes["add1"].severity == ""
    check_canvas(window)
    qtbot.waitUntil(lambda: panels_right(window))
