"""Editor latency: from a parameter edit in the inspector to the updated canvas and tables.

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_editor.py [--nodes 200] [--repeats 30]

Builds a 200-node branched graph in the main window, selects a convolution early in the
network (so every block after it changes shape), edits its channel count through the
inspector's spin box, and times until the scene, summary and problems have been updated
and the viewport has repainted. Target: median under 30 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).parent))

from bench_inference import branched
from PySide6.QtWidgets import QApplication

from builder import apply_layout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    app = QApplication([])
    os.environ.setdefault("CONVCANVAS_STATE_DIR", str(Path(os.environ.get("TMPDIR", "/tmp")) / "cc-bench"))
    from ui.window.main_window import MainWindow

    graph = branched(args.nodes)
    apply_layout(graph)
    window = MainWindow(graph, load_torch=False)  # editing needs no torch; its import would skew timings
    window.show()
    app.processEvents()
    first_conv = next(n for n in graph.nodes if n.startswith("conv"))
    window.select_node(first_conv)
    app.processEvents()
    spin = window.inspector.editors["out_channels"].spin
    times = []
    for i in range(args.repeats):
        start = time.perf_counter()
        spin.setValue(16 + (i % 2) * 8)  # the edit as the spin box delivers it
        window.view.viewport().repaint()  # the repaint a user waits for
        app.processEvents()
        times.append((time.perf_counter() - start) * 1e3)
    result = window.controller.result
    assert result.valid
    print(f"{len(graph.nodes)} blocks, {len(graph.edges)} wires; edit {first_conv}.out_channels")
    print(
        f"edit -> updated view: median {statistics.median(times):.1f} ms, "
        f"p90 {sorted(times)[int(0.9 * len(times))]:.1f} ms, max {max(times):.1f} ms "
        f"over {args.repeats} edits (target: median < 30 ms)"
    )
    window.controller.undo_stack.setClean()
    window.close()


if __name__ == "__main__":
    main()
