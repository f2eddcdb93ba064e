"""An overview of the whole network in the canvas's corner, for networks larger than the view.

A second, non-interactive view of the same scene, fitted to all the blocks, with the part the
canvas shows drawn as a rectangle. Clicking or dragging in it moves the canvas there. It hides
itself while the whole network fits in the canvas.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QEvent, QObject, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QFrame, QGraphicsView

SIZE = (150, 200)
MARGIN = 10
FRAME = QColor("#1e88e5")


class Minimap(QGraphicsView):
    """Overview of `canvas`'s scene; pinned to the canvas's bottom-right corner."""

    def __init__(self, canvas: QGraphicsView):
        super().__init__(canvas.scene(), canvas)
        self.canvas = canvas
        self.setObjectName("Minimap")
        self.setInteractive(False)  # blocks are not selected or dragged from here
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setRenderHints(QPainter.RenderHint.Antialiasing)
        self.setFrameShape(QFrame.Shape.Box)
        self.setStyleSheet("#Minimap { border: 1px solid #90a4ae; background: #fafbfc; }")
        self.setFixedSize(*SIZE)
        self.setToolTip("Overview: click or drag to move the canvas")
        self.viewport().setCursor(Qt.CursorShape.PointingHandCursor)
        self._refit = QTimer(self, singleShot=True, interval=50)  # at most one refit per burst of edits
        # the blocks as last drawn: repainting the canvas under the overview repaints it too,
        # and drawing every item of a big network (ResNet-152: 500 cards) on each edit cost
        # more than the edit; they are drawn again once a burst of changes is over (refresh)
        self._drawn: QPixmap | None = None
        self._refit.timeout.connect(self.refresh)
        canvas.scene().changed.connect(self._on_scene_changed)
        for bar in (canvas.horizontalScrollBar(), canvas.verticalScrollBar()):
            bar.valueChanged.connect(self._on_canvas_moved)
            bar.rangeChanged.connect(self._on_canvas_moved)
        canvas.installEventFilter(self)
        self.hide()

    def visible_rect(self) -> QRectF:
        """The part of the scene the canvas shows."""
        return self.canvas.mapToScene(self.canvas.viewport().rect()).boundingRect()

    def needed(self, items: QRectF | None = None) -> bool:
        """Whether the network (`items`: the scene's items bounding rect, if known) is larger
        than what the canvas shows."""
        scene = self.scene()
        if scene is None or not shiboken6.isValid(scene):  # the window is being destroyed
            return False
        if items is None:
            items = scene.itemsBoundingRect()
        return not items.isEmpty() and not self.visible_rect().adjusted(-2, -2, 2, 2).contains(items)

    def refresh(self) -> None:
        scene = self.scene()
        bounds = scene.itemsBoundingRect() if scene is not None and shiboken6.isValid(scene) else None
        shown = self.needed(bounds)  # one walk over the items' bounds (a big network has many)
        self.setVisible(shown)
        if not shown or bounds is None:
            return
        self._place()
        items = bounds.adjusted(-20, -20, 20, 20)
        self.setSceneRect(items)
        self.fitInView(items, Qt.AspectRatioMode.KeepAspectRatio)
        self._drawn = None
        self.viewport().update()

    def paintEvent(self, event) -> None:
        viewport = self.viewport()
        ratio = viewport.devicePixelRatioF()
        if self._drawn is None or self._drawn.size() != viewport.size() * ratio:
            self._drawn = QPixmap(viewport.size() * ratio)
            self._drawn.setDevicePixelRatio(ratio)
            painter = QPainter(self._drawn)
            painter.setRenderHints(self.renderHints())
            self.drawBackground(painter, QRectF(viewport.rect()))
            shown = self.mapToScene(viewport.rect()).boundingRect()
            self.scene().render(painter, QRectF(viewport.rect()), shown, Qt.AspectRatioMode.IgnoreAspectRatio)
            painter.end()
        painter = QPainter(viewport)
        painter.drawPixmap(0, 0, self._drawn)
        painter.setTransform(self.viewportTransform())
        self.drawForeground(painter, self.mapToScene(event.rect()).boundingRect())
        painter.end()

    def _on_scene_changed(self, _rects) -> None:
        self._refit.start()

    def _on_canvas_moved(self, *_args) -> None:
        if self.isVisible() != self.needed():
            self._refit.start()
        elif self.isVisible():
            self.viewport().update()

    def _place(self) -> None:
        area = self.canvas.viewport().geometry()
        # at most a quarter of a small canvas's width and a third of its height
        size = (min(SIZE[0], area.width() // 4), min(SIZE[1], area.height() // 3))
        if (self.width(), self.height()) != size:
            self.setFixedSize(*size)
            self._drawn = None
        self.move(area.right() - self.width() - MARGIN, area.bottom() - self.height() - MARGIN)
        self.raise_()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self._refit.start()
        return False

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        painter.fillRect(rect, QColor("#fafbfc"))

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        shown = self.visible_rect()
        fill = QColor(FRAME)
        fill.setAlpha(40)
        painter.fillRect(shown, fill)
        pen = QPen(FRAME, 2)
        pen.setCosmetic(True)  # two pixels wide at any scale
        painter.setPen(pen)
        painter.drawRect(shown)

    # -- navigating -----------------------------------------------------------------------

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.canvas.centerOn(self.mapToScene(event.position().toPoint()))
            event.accept()

    def mouseMoveEvent(self, event) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self.canvas.centerOn(self.mapToScene(event.position().toPoint()))
            event.accept()

    def wheelEvent(self, event) -> None:
        event.ignore()  # no zooming the overview
