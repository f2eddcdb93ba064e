"""Make the README's pictures of groups: ResNet-18 with its frames (docs/resnet18.png), with its
four stages collapsed (docs/resnet18-collapsed.png), and the Inception module (docs/inception.png).

    QT_QPA_PLATFORM=offscreen python docs/make_group_screenshots.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QPointF, QSettings
from PySide6.QtWidgets import QApplication

HERE = Path(__file__).parent


def main() -> None:
    app = QApplication(sys.argv)
    app.setOrganizationName("ConvCanvasScreenshots")
    QSettings().setValue("tour/seen", True)  # no welcome tour over the pictures
    from builder import apply_layout, load_template
    from ui.canvas.graph_view import GraphView
    from ui.window.main_window import MainWindow

    window = MainWindow(load_template("resnet18"), load_torch=False)
    view = GraphView(window.scene)  # a canvas of the picture's size, on the window's scene
    view.minimap.setEnabled(False)

    def shoot(graph, name: str, size: tuple[int, int], top: str | None = None) -> None:
        window.files.load_graph(graph, None)
        view.resize(*size)
        view.show()
        app.processEvents()
        view.fit_all()
        if top is not None:  # the start of a long network, readable
            view.zoom_by(0.8 / view.zoom)
            card = window.scene.nodes[top].sceneBoundingRect()
            center = QPointF(card.center().x() + 120, card.top() + size[1] / 1.6 - 150)
            view.centerOn(center)
        view.minimap.hide()
        app.processEvents()
        if top is not None:  # again: the scene's first changes after a load scroll the view
            view.centerOn(center)
            app.processEvents()
        view.grab().save(str(HERE / name))
        print("saved", HERE / name)

    shoot(load_template("resnet18"), "resnet18.png", (900, 1000), top="conv1")
    collapsed = load_template("resnet18")
    collapsed.collapsed = {"layer1", "layer2", "layer3", "layer4"}
    apply_layout(collapsed)
    shoot(collapsed, "resnet18-collapsed.png", (560, 1000))
    shoot(load_template("inception_block"), "inception.png", (1400, 760))
    view.close()
    window.files.needs_saving = False
    window.controller.undo_stack.setClean()
    window.close()


if __name__ == "__main__":
    main()
