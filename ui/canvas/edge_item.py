"""A wire on the canvas, drawn along the route the scene's router gives it, and labelled with
the tensor shape it carries."""

from __future__ import annotations

from itertools import pairwise
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFontMetricsF, QPainter, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem

from builder import WireProblem, WireRouter

from . import style
from .wire_fix import WireFixNote

if TYPE_CHECKING:
    from .node_item import NodeItem

CORNER = 10.0  # radius of the rounded bends


class EdgeItem(QGraphicsPathItem):
    """A wire from an output port to an input port, labelled with the tensor it carries."""

    def __init__(self, source: NodeItem, target: NodeItem):
        super().__init__()
        self.source, self.target = source, target
        self.label = ""
        self.route: list[tuple[float, float]] = []
        self._label_at = QPointF()
        self._label_beside = True  # beside a wire running down, or above or below one running across
        self._label_side = 1.0  # right or below: +1; left or above: -1
        self.problem: WireProblem | None = None  # the tensor does not fit the target
        self.note: WireFixNote | None = None
        self.setZValue(0)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setPen(QPen(style.WIRE, 2.0))
        source.edges.append(self)
        target.edges.append(self)

    @property
    def key(self) -> tuple[str, str]:
        return (self.source.node_id, self.target.node_id)

    def set_route(self, route: list[tuple[float, float]], direction: str) -> None:
        """Draw the wire along `route` (scene points, port to port) with rounded bends."""
        if route == self.route:
            return
        self.route = route
        self.prepareGeometryChange()
        self.setPath(rounded_path(route))
        # the label goes by the longest stretch that runs with the flow (beside it when the flow
        # runs down, above it when it runs across), between the places where wires turn out of
        # its source and into its target, so that it hides no other wire
        along = 1 if direction == "TB" else 0
        segments = list(pairwise(route)) or [(route[0], route[0])]
        with_flow = [s for s in segments if abs(s[0][1 - along] - s[1][1 - along]) < 0.5]
        p, q = max(with_flow or segments, key=lambda s: abs(s[1][along] - s[0][along]))
        start, end = p[along], q[along]
        stub_out, stub_in = WireRouter.stub_out, WireRouter.stub_in
        if end - start > stub_out + stub_in:
            start += stub_out if p == route[0] else 0.0
            end -= stub_in if q == route[-1] else 0.0
        middle = (start + end) / 2
        self._label_at = QPointF(p[0], middle) if along else QPointF(middle, p[1])
        self._label_beside = direction == "TB"
        # right of a wire running down, above one running across; a detour's label goes on the
        # outer side of its lane, away from the cards it passes
        across = p[1 - along] - route[0][1 - along]
        self._label_side = (1.0 if along else -1.0) if abs(across) < 0.5 else (1.0 if across > 0 else -1.0)
        if self.note is not None:
            self.note.place(self._label_at, self._label_beside, self._label_side)

    def set_problem(self, problem: WireProblem | None) -> None:
        """Mark the wire as one whose tensor does not fit its target (None: it fits)."""
        if problem == self.problem:
            return
        self.problem = problem
        if self.note is not None:
            self.note.setParentItem(None)
            if self.scene() is not None:
                self.scene().removeItem(self.note)
            self.note = None
        if problem is not None:
            self.note = WireFixNote(self, problem)
            self.note.place(self._label_at, self._label_beside, self._label_side)
        self.setToolTip(f"{problem.issue.message}.\n{problem.issue.fix}" if problem else "")
        self.update()

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(14)  # easy to click and to drop blocks onto
        return stroker.createStroke(self.path())

    def boundingRect(self) -> QRectF:
        return super().boundingRect().adjusted(-110, -26, 110, 26)  # and the label

    def paint(self, painter: QPainter, option, widget=None) -> None:
        colour = style.SELECTED if self.isSelected() else style.ERROR if self.problem else style.WIRE
        pen = QPen(colour, 3.0 if self.isSelected() or self.problem else 2.0)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self.path())
        if not self.label or style.far_out(painter):
            return
        font = self.source.graph_scene.fonts["small"]
        metrics = QFontMetricsF(font)
        box = metrics.boundingRect(self.label).adjusted(-4, -2, 4, 2)
        side = self._label_side
        if self._label_beside:
            box.moveCenter(self._label_at + QPointF(side * (box.width() / 2 + 8), 0))
        else:
            box.moveCenter(self._label_at + QPointF(0, side * (box.height() / 2 + 5)))
        painter.setPen(QPen(QColor("#cfd8dc"), 1))
        painter.setBrush(QBrush(QColor(255, 255, 255, 235)))
        painter.drawRoundedRect(box, 4, 4)
        painter.setFont(font)
        painter.setPen(style.MUTED)
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, self.label)


def rounded_path(route: list[tuple[float, float]]) -> QPainterPath:
    """A polyline through `route` whose bends are rounded off (inside the corner, so the
    wire stays within the free space its route keeps to)."""
    points = [QPointF(x, y) for x, y in route]
    path = QPainterPath(points[0])
    for prev, corner, after in zip(points, points[1:], points[2:], strict=False):
        d_in, d_out = corner - prev, after - corner
        len_in, len_out = _length(d_in), _length(d_out)
        if len_in < 1e-6 or len_out < 1e-6:
            continue
        r = min(CORNER, len_in / 2, len_out / 2)
        path.lineTo(corner - d_in * (r / len_in))
        path.quadTo(corner, corner + d_out * (r / len_out))
    path.lineTo(points[-1])
    return path


def _length(v: QPointF) -> float:
    return (v.x() ** 2 + v.y() ** 2) ** 0.5
