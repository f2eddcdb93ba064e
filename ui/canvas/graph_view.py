"""The canvas view: zoom (wheel, Ctrl +/-), pan (middle button or Space+drag), fit."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QPainter, QPen
from PySide6.QtWidgets import QGraphicsView

from . import style
from .graph_scene import GraphScene
from .minimap import Minimap

MIN_ZOOM, MAX_ZOOM = 0.1, 3.0
SCROLL_MARGIN = 200  # scene units of empty canvas around the blocks


class GraphView(QGraphicsView):
    def __init__(self, scene: GraphScene, parent=None):
        super().__init__(scene, parent)
        self._pending_centre: QPointF | None = None
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._pan_from: QPointF | None = None
        self._space = False
        # the view's own scene rect: the blocks plus a margin. The scene's rect only ever grows,
        # so once a block had been far away, Fit could not centre the network any more.
        m = SCROLL_MARGIN
        self.setSceneRect(scene.itemsBoundingRect().adjusted(-m, -m, m, m))
        scene.changed.connect(self._on_scene_changed)
        self.minimap = Minimap(self)

    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def zoom_by(self, factor: float) -> None:
        factor = max(MIN_ZOOM / self.zoom, min(MAX_ZOOM / self.zoom, factor))
        self.scale(factor, factor)

    def fit_all(self) -> None:
        items = self.scene().itemsBoundingRect()
        rect = items.adjusted(-40, -40, 40, 40)
        if rect.isEmpty():
            return
        m = SCROLL_MARGIN
        self.setSceneRect(items.adjusted(-m, -m, m, m))  # shrink to the blocks as they are now
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom > 1.2:  # small networks stay at a readable size
            self.zoom_by(1.2 / self.zoom)
        centre = rect.center()
        # at least a viewful around the centre: the network is centred by scrolling, exactly,
        # rather than by the view's alignment of a scene smaller than itself
        shown = self.mapToScene(self.viewport().rect()).boundingRect()
        around = QRectF(0, 0, shown.width() + 2 * m, shown.height() + 2 * m)
        around.moveCenter(centre)
        self.setSceneRect(items.adjusted(-m, -m, m, m).united(around))
        self._centre_on(centre)  # zooming is anchored under the mouse, not at the centre

    def _centre_on(self, point: QPointF) -> None:
        """Centre on `point` now, and again once the new zoom's scroll bars have settled; a
        later call (show_start after fit_all) replaces the point the second centring uses."""
        self._pending_centre = point
        self.centerOn(point)
        QTimer.singleShot(0, self, self._centre_again)

    def _centre_again(self) -> None:
        if self._pending_centre is not None:
            self.centerOn(self._pending_centre)
            self._pending_centre = None

    def _on_scene_changed(self, _rects=None) -> None:
        """Grow the scrollable area to blocks moved or added beyond it (Fit shrinks it again)."""
        m = SCROLL_MARGIN
        # the scene's own rect (it has none set) is every place an item has been, kept up to
        # date by Qt as items move: when that fits, the blocks do, and the costly walk over
        # every item's bounds is not needed (most changes are a card's text)
        if self.sceneRect().contains(self.scene().sceneRect().adjusted(-m, -m, m, m)):
            return
        wanted = self.scene().itemsBoundingRect().adjusted(-m, -m, m, m)
        if not self.sceneRect().contains(wanted):
            self.setSceneRect(self.sceneRect().united(wanted))

    def show_start(self, min_zoom: float = 0.75) -> None:
        """Fit the network if it stays readable; otherwise show its start at a readable zoom."""
        self.fit_all()
        if self.zoom >= min_zoom:
            return
        self.zoom_by(min_zoom / self.zoom)
        scene = self.scene()
        node = scene.controller.graph.input_node()
        source = scene.nodes.get(node.id) if node is not None else None
        if source is not None:
            top = source.sceneBoundingRect()
            visible = self.mapToScene(self.viewport().rect()).boundingRect()
            x = self.scene().itemsBoundingRect().center().x()
            self._centre_on(QPointF(x, top.top() - 30 + visible.height() / 2))

    def center_on_node(self, node_id: str) -> None:
        """Bring a block into view: centred if any of it is out of sight, otherwise left where
        it is (a block dropped or picked in view does not make the canvas jump)."""
        item = self.scene().nodes.get(node_id)
        if item is None:
            return
        card = item.sceneBoundingRect()
        shown = self.mapToScene(self.viewport().rect()).boundingRect()
        if not shown.contains(card):
            self.centerOn(card.center())

    def wheelEvent(self, event) -> None:
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom_by(1.15**steps)
        event.accept()

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            event.accept()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self.viewport().unsetCursor()
            event.accept()
            return
        super().keyReleaseEvent(event)

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.MiddleButton or (
            self._space and event.button() == Qt.MouseButton.LeftButton
        ):
            self._pan_from = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._pan_from is not None:
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - int(delta.x()))
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - int(delta.y()))
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self._pan_from is not None:
            self._pan_from = None
            self.viewport().setCursor(
                Qt.CursorShape.OpenHandCursor if self._space else Qt.CursorShape.ArrowCursor
            )
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        painter.fillRect(rect, style.CANVAS)
        if self.zoom < 0.35:
            return  # a grid of dots would be noise when zoomed far out
        step = 40
        painter.setPen(QPen(style.GRID, 2))
        left, top = int(rect.left()) - int(rect.left()) % step, int(rect.top()) - int(rect.top()) % step
        points = [
            QPointF(x, y)
            for x in range(left, int(rect.right()) + 1, step)
            for y in range(top, int(rect.bottom()) + 1, step)
        ]
        painter.drawPoints(points)
