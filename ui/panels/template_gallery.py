"""New network dialog: a blank canvas or a template, with a preview and description."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
)

from builder import CARD_SIZE, Graph, infer, list_templates

from ..canvas.graph_scene import GraphScene
from ..editor.controller import GraphController
from .network_sketch import sketch

BLANK = "__blank__"
PICTURE = (520, 380)
LEGIBLE_SCALE = 0.55  # below this the canvas's card text cannot be read: sketch instead


def blank_graph() -> Graph:
    graph = Graph(name="Untitled")
    graph.add_node("Input", {"shape": (1, 28, 28)})
    return graph


def preview(graph: Graph, width: int = 360, height: int = 300) -> QPixmap:
    """A picture of the network drawn by the canvas itself."""
    scene = GraphScene(GraphController(graph.copy()))
    image = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.white)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    source = scene.itemsBoundingRect().adjusted(-20, -20, 20, 20)
    scene.render(painter, QRectF(0, 0, width, height), source, Qt.AspectRatioMode.KeepAspectRatio)
    painter.end()
    # The scene and its controller refer to each other; left to Python's cycle collector they
    # could be destroyed on whatever thread collects (a training worker). Delete them here.
    controller = scene.controller
    scene.deleteLater()
    controller.deleteLater()
    return QPixmap.fromImage(image)


def canvas_scale(graph: Graph, width: int, height: int) -> float:
    """The scale at which the whole canvas drawing of `graph` fits `width` x `height`."""
    xs = [n.pos[0] for n in graph.nodes.values()] or [0.0]
    ys = [n.pos[1] for n in graph.nodes.values()] or [0.0]
    w = max(xs) - min(xs) + CARD_SIZE[0] + 40
    h = max(ys) - min(ys) + CARD_SIZE[1] + 40
    return min(width / w, height / h)


def legible_preview(graph: Graph, width: int = PICTURE[0], height: int = PICTURE[1]) -> QPixmap:
    """The canvas's own drawing where it stays readable, else a sketch of every block."""
    if canvas_scale(graph, width, height) >= LEGIBLE_SCALE:
        return preview(graph, width, height)
    return sketch(graph, width, height)


class TemplateGallery(QDialog):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("New network")
        self.resize(860, 540)
        self.templates = dict(list_templates())
        self.list = QListWidget()
        self.list.setMinimumWidth(220)
        blank = QListWidgetItem("Blank canvas")
        blank.setData(Qt.ItemDataRole.UserRole, BLANK)
        self.list.addItem(blank)
        for name, graph in self.templates.items():
            item = QListWidgetItem(graph.name)
            item.setData(Qt.ItemDataRole.UserRole, name)
            self.list.addItem(item)
        self.picture = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.picture.setMinimumSize(*PICTURE)
        self.text = QLabel(wordWrap=True)
        self.text.setAlignment(Qt.AlignmentFlag.AlignTop)
        right = QVBoxLayout()
        right.addWidget(self.picture, 1)
        right.addWidget(self.text)
        body = QHBoxLayout()
        body.addWidget(self.list)
        body.addLayout(right, 1)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(body)
        layout.addWidget(buttons)
        self.list.currentItemChanged.connect(self._on_current_changed)
        self.list.itemDoubleClicked.connect(lambda _: self.accept())
        self.list.setCurrentRow(0)

    def chosen_graph(self) -> Graph:
        key = self.list.currentItem().data(Qt.ItemDataRole.UserRole)
        return blank_graph() if key == BLANK else self.templates[key].copy()

    def _on_current_changed(self, item, _previous) -> None:
        if item is None:
            return
        graph = self.chosen_graph()
        result = infer(graph)
        shape = "×".join(map(str, result.input_shape or ()))
        self.picture.setPixmap(legible_preview(graph))
        description = graph.description or "An Input block to build on: drag blocks from the palette."
        self.text.setText(
            f"<b>{graph.name}</b> — input {shape}, {result.total_params:,} parameters, "
            f"{len(graph.nodes)} blocks<br>{description}"
        )
