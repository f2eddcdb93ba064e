"""Start the desktop app: `convcanvas [FILE]`.

The window shows before torch is imported (torch takes seconds to import and the editor
needs none of it); the window loads torch in the background after its first paint.

With CONVCANVAS_STARTUP_PROBE=1 the app prints `first-window` once the main window has been
painted, and quits: benchmarks/bench_startup.py times start-up that way.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

PROBE_ENV = "CONVCANVAS_STARTUP_PROBE"


def run_app(argv: list[str]) -> int:
    from PySide6.QtWidgets import QApplication

    from builder import GraphFormatError, load_graph

    from .window.main_window import MainWindow

    probe = os.environ.get(PROBE_ENV) == "1"
    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    app.setOrganizationName("ConvCanvas")
    app.setApplicationName("ConvCanvas")
    files = [a for a in argv if not a.startswith("-")]
    graph, path, error = None, None, None
    if files:
        try:
            graph, path = load_graph(files[0]), Path(files[0])
        except GraphFormatError as e:
            error = str(e)
    # the probe measures start-up alone: no torch loading behind it, no questions after it
    window = MainWindow(graph, path, load_torch=not probe)
    if probe:
        window.first_painted.connect(lambda: _report_first_window(app))
    window.show()
    if path is not None:
        window.files.add_recent(path)
    if error is not None:
        if probe:
            print(f"cannot open the file: {error}", file=sys.stderr)
        else:
            window.show_error("Cannot open the file", error)
    if not probe:
        window.recovery.offer()
    return app.exec()


def _report_first_window(app) -> None:
    print("first-window", flush=True)
    app.quit()


if __name__ == "__main__":  # `python -m ui.app file.json`, as well as `convcanvas file.json`
    sys.exit(run_app(sys.argv[1:]))
