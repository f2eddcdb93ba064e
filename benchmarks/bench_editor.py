"""Editor latency: from a parameter edit in the inspector to the updated canvas and tables, and
the time to open a big imported network laid out and painted.

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_editor.py [--nodes 200] [--repeats 30]
    QT_QPA_PLATFORM=offscreen python benchmarks/bench_editor.py --resnet152 [--opens 5]

Builds a 200-node branched graph in the main window, selects a convolution early in the
network (so every block after it changes shape), edits its channel count through the
inspector's spin box, and times until the scene, summary and problems have been updated
and the viewport has painted what the edit changed (as Qt schedules it; the forced repaint
of the whole viewport, which measures more than an edit paints, is printed too); and drags a
block in the middle a few pixels at a time. Target: median under 30 ms.

`--resnet152` does the same on torchvision's ResNet-152 imported (about 500 blocks) with its
blocks in groups by module path (layer2.0, ...; all expanded, so every frame is drawn), and
times opening it: layered layout, building the scene and the first paint, and inserting a block
on a wire near its top (everything below moves down a row). The baseline, in the same run, is
the same network without groups. Targets: edit median under 16 ms, open under 1 s.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).parent))

from bench_inference import branched
from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QApplication

from builder import Graph, apply_layout


class PaintClock:
    """When the canvas last finished painting, and how much of it: wraps GraphView's
    paintEvent, so the time is taken after Qt has drawn the regions it chose itself
    (SmartViewportUpdate). Installed before the window is made (PySide looks up a Python
    override once per object)."""

    done_at = 0.0
    area = 0

    @classmethod
    def install(cls) -> None:
        from ui.canvas.graph_view import GraphView

        base = GraphView.paintEvent

        def paintEvent(view, event) -> None:
            base(view, event)
            cls.done_at = time.perf_counter()
            cls.area += sum(r.width() * r.height() for r in event.region())

        GraphView.paintEvent = paintEvent


def time_edits(
    app, window, node_id: str, repeats: int, settled: list[float] | None = None, full: bool = False
) -> list[float]:
    """Milliseconds from each spin-box edit of `node_id`'s channels to the end of the viewport
    paint that follows it, as Qt schedules it (only the regions the edit dirtied); with
    `settled`, also appends to it the milliseconds until every other reaction (panels, status
    bar, overview, the memory estimate) has run too. With `full`, the viewport is instead
    forced to repaint whole right after the edit (`repaint()`: more than a real edit paints)."""
    window.select_node(node_id)
    app.processEvents()
    spin = window.inspector.editors["out_channels"].spin
    base = spin.value()
    clock = PaintClock
    times = []
    for i in range(repeats):
        app.processEvents()
        clock.done_at, clock.area = 0.0, 0
        start = time.perf_counter()
        spin.setValue(base + 8 + (i % 2) * 8)  # the edit as the spin box delivers it
        if full:
            window.view.viewport().repaint()
        else:
            deadline = start + 2.0
            while not clock.done_at and time.perf_counter() < deadline:
                app.processEvents()
        assert clock.done_at, "the edit did not repaint the canvas"
        times.append((clock.done_at - start) * 1e3)
        app.processEvents()
        while window.memory.pending:  # the memory estimate follows in the next pass
            app.processEvents()
        app.processEvents()  # and the labels it changed are painted
        if settled is not None:
            settled.append((time.perf_counter() - start) * 1e3)
    assert window.controller.result.valid
    return times


def time_inserts(app, window, source: str, target: str, repeats: int) -> list[float]:
    """Milliseconds from inserting a ReLU on the wire source -> target (and, every other time,
    undoing that) to the end of the canvas's paint: the cards below move down a row to make
    room, so on a long network most of the canvas moves."""
    ctrl, clock = window.controller, PaintClock
    times = []
    for i in range(repeats):
        app.processEvents()
        while window.memory.pending:
            app.processEvents()
        app.processEvents()
        clock.done_at = 0.0
        start = time.perf_counter()
        if i % 2 == 0:
            ctrl.insert_on_edge(source, target, "ReLU")
        else:
            ctrl.undo_stack.undo()
        deadline = start + 5.0
        while not clock.done_at and time.perf_counter() < deadline:
            app.processEvents()
        assert clock.done_at, "the insertion did not repaint the canvas"
        times.append((clock.done_at - start) * 1e3)
    if repeats % 2:
        ctrl.undo_stack.undo()
    return times


def time_drags(app, window, node_id: str, repeats: int) -> list[float]:
    """Milliseconds from moving `node_id`'s card a few pixels, as a mouse drag does, to the end
    of the canvas's paint: its wires and those near where it is and was are routed again."""
    item, clock = window.scene.nodes[node_id], PaintClock
    start_pos = item.pos()
    times = []
    for i in range(repeats):
        app.processEvents()
        clock.done_at = 0.0
        start = time.perf_counter()
        item.setPos(item.pos() + QPointF(7.0 if i % 2 else -5.0, 3.0))
        deadline = start + 2.0
        while not clock.done_at and time.perf_counter() < deadline:
            app.processEvents()
        assert clock.done_at, "the drag did not repaint the canvas"
        times.append((clock.done_at - start) * 1e3)
    item.setPos(start_pos)
    app.processEvents()
    return times


def summary(times: list[float]) -> str:
    return (
        f"median {statistics.median(times):.1f} ms, p90 {sorted(times)[int(0.9 * len(times))]:.1f} ms, "
        f"max {max(times):.1f} ms"
    )


def resnet152() -> Graph:
    """ResNet-152 imported, its blocks in groups by module path (layer2.0 ...)."""
    import torchvision

    from builder import import_module

    model = torchvision.models.resnet152(weights=None)
    graph = import_module(model, (3, 224, 224)).graph
    if not any(node.group for node in graph.nodes.values()):
        # Until the importer sets groups itself: a block named after a module (layer2_0_conv1
        # is layer2.0.conv1) goes in that module's group; a function call (the reused ReLU,
        # the residual Add) goes in the group of the block that feeds it.
        modules = {name.replace(".", "_"): name for name, _ in model.named_modules() if name}
        inputs, _ = graph.adjacency()
        for node_id in graph.topological_order():
            node = graph.nodes[node_id]
            path = node.origin or modules.get(node_id)
            if path is not None:
                node.group = path.rpartition(".")[0]
            elif inputs[node_id] and re.fullmatch(r"(relu|add)_?\d*", node_id):
                node.group = graph.nodes[inputs[node_id][0]].group
    return graph


def time_opens(app, window, graph: Graph, repeats: int) -> list[float]:
    """Milliseconds to lay `graph` out, load it into the window and paint it, per run."""
    times = []
    for _ in range(repeats):
        copy = graph.copy()
        start = time.perf_counter()
        apply_layout(copy)
        window.files.load_graph(copy, None)
        window.view.viewport().repaint()
        app.processEvents()
        times.append((time.perf_counter() - start) * 1e3)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--resnet152", action="store_true", help="ResNet-152 with groups, and opening it")
    parser.add_argument("--opens", type=int, default=5)
    args = parser.parse_args()
    app = QApplication([])
    os.environ.setdefault("CONVCANVAS_STATE_DIR", str(Path(os.environ.get("TMPDIR", "/tmp")) / "cc-bench"))
    from ui.window.main_window import MainWindow

    PaintClock.install()

    if not args.resnet152:
        graph = branched(args.nodes)
        apply_layout(graph)
        window = MainWindow(graph, load_torch=False)  # editing needs no torch; it would skew timings
        window.show()
        app.processEvents()
        first_conv = next(n for n in graph.nodes if n.startswith("conv"))
        settled: list[float] = []
        times = time_edits(app, window, first_conv, args.repeats, settled)
        full = time_edits(app, window, first_conv, args.repeats, full=True)
        print(f"{len(graph.nodes)} blocks, {len(graph.edges)} wires; edit {first_conv}.out_channels")
        print(f"edit -> updated view: {summary(times)} over {args.repeats} edits (target: median < 30 ms)")
        print(f"edit -> whole viewport repainted (forced repaint): {summary(full)}")
        print(f"edit -> all panels updated: {summary(settled)}")
        middle = list(graph.nodes)[len(graph.nodes) // 2]
        drags = time_drags(app, window, middle, args.repeats)
        print(f"drag {middle} a few pixels -> updated view: {summary(drags)}")
        window.controller.undo_stack.setClean()
        window.close()
        return

    grouped = resnet152()
    plain = grouped.copy()
    for node in plain.nodes.values():
        node.group = ""
    groups = {node.group for node in grouped.nodes.values() if node.group}
    window = MainWindow(Graph(), load_torch=False)
    window.resize(1400, 900)
    window.show()
    app.processEvents()
    print(f"ResNet-152: {len(grouped.nodes)} blocks, {len(grouped.edges)} wires, {len(groups)} groups")
    edit = "layer1_0_conv1"
    for label, graph in (("without groups (baseline)", plain), ("with groups, expanded", grouped)):
        opens = time_opens(app, window, graph, args.opens)
        frames = len(window.scene.groups.frames)
        print(
            f"  {label}: open (layout + scene + paint) {summary(opens)} "
            f"over {args.opens} opens; {frames} frames"
        )
        settled: list[float] = []
        edits = time_edits(app, window, edit, args.repeats, settled)
        full = time_edits(app, window, edit, args.repeats, full=True)
        print(
            f"  {label}: edit {edit}.out_channels -> updated view {summary(edits)} over {args.repeats} edits"
        )
        print(f"  {label}: edit -> whole viewport repainted (forced) {summary(full)}")
        print(f"  {label}: edit -> all panels updated {summary(settled)}")
        drags = time_drags(app, window, "layer1_0_conv2", args.repeats)
        print(f"  {label}: drag a block a few pixels -> updated view {summary(drags)}")
        inserts = time_inserts(app, window, edit, "layer1_0_bn1", args.repeats)
        print(f"  {label}: insert a block on a wire (or undo it) -> updated view {summary(inserts)}")
        window.controller.undo_stack.setClean()
    print("targets: edit median < 16 ms, open < 1 s")
    window.close()


if __name__ == "__main__":
    main()
