"""Start the desktop app: `convcanvas [FILE]`."""

from __future__ import annotations

import sys
from pathlib import Path


def run_app(argv: list[str]) -> int:
    from PySide6.QtWidgets import QApplication

    from builder import GraphFormatError, load_graph

    from .main_window import MainWindow
    from .training_session import pin_gui_thread, warm_up_torch

    pin_gui_thread()  # before any torch work on the GUI thread
    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    app.setOrganizationName("ConvCanvas")
    app.setApplicationName("ConvCanvas")
    files = [a for a in argv if not a.startswith("-")]
    window = MainWindow()
    window.show()
    warm_up_torch()
    recovered = window.offer_recovery()
    if files and not recovered:
        path = Path(files[0])
        try:
            window.load_graph(load_graph(path), path)
            window._add_recent(path)
        except GraphFormatError as e:
            window.show_error("Cannot open the file", str(e))
    return app.exec()
