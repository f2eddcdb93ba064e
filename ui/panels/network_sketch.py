"""A legible picture of a whole network in a small space, for the template gallery.

Drawn by the canvas, a 70-block ResNet-18 is 8,000 units tall: fitted into a preview it is a
sliver with unreadable text. A sketch instead lists the blocks in flow order as small labelled
rows, wrapped into columns, with a line between blocks that follow one another and an arc for
each wire that skips ahead (ResNet's shortcuts), so every block's name and settings can be read.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPainterPath, QPen, QPixmap

from builder import CATALOG, Graph

from ..canvas import style

ROW, GAP, PAD = 20.0, 5.0, 8.0
MIN_COLUMN = 120.0  # narrower columns would cut the text


def sketch_layout(graph: Graph, width: int, height: int) -> tuple[dict[str, QRectF], float]:
    """Each block's row rectangle, in flow order wrapped into columns, and the font size."""
    order = graph.topological_order()
    row, gap = ROW, GAP
    per_column = max(1, int((height - 2 * PAD + gap) // (row + gap)))
    columns = math.ceil(len(order) / per_column) if order else 1
    while (width - 2 * PAD) / columns < MIN_COLUMN and row > 12:  # shorter rows, fewer columns
        row, gap = row - 2, max(2.0, gap - 1)
        per_column = max(1, int((height - 2 * PAD + gap) // (row + gap)))
        columns = math.ceil(len(order) / per_column)
    column_width = (width - 2 * PAD) / columns
    rects = {}
    for i, node_id in enumerate(order):
        col, r = divmod(i, per_column)
        x = PAD + col * column_width
        rects[node_id] = QRectF(x + 14, PAD + r * (row + gap), column_width - 28, row)
    return rects, max(6.5, row * 0.42)


def sketch(graph: Graph, width: int = 520, height: int = 380) -> QPixmap:
    """The sketch of `graph` as a `width` x `height` picture."""
    image = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.white)
    rects, points = sketch_layout(graph, width, height)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    font = QFont()
    font.setPointSizeF(points)
    painter.setFont(font)
    metrics = QFontMetricsF(font)
    _draw_wires(painter, graph, rects)
    for node_id, rect in rects.items():
        node = graph.nodes[node_id]
        spec = CATALOG[node.type]
        colour = style.category_colour(spec.category)
        painter.setPen(QPen(colour.darker(130), 1))
        painter.setBrush(QColor("#ffffff"))
        painter.drawRoundedRect(rect, 3, 3)
        painter.fillRect(QRectF(rect.left(), rect.top(), 4, rect.height()), colour)
        text = f"{node_id}  {spec.card_text(node.settings)}".rstrip()
        shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight, rect.width() - 10)
        painter.setPen(QColor("#263238"))
        painter.drawText(rect.adjusted(7, 0, -3, 0), Qt.AlignmentFlag.AlignVCenter, shown)
    painter.end()
    return QPixmap.fromImage(image)


def _draw_wires(painter: QPainter, graph: Graph, rects: dict[str, QRectF]) -> None:
    painter.setBrush(Qt.BrushStyle.NoBrush)
    for edge in graph.edges:
        a, b = rects.get(edge.source), rects.get(edge.target)
        if a is None or b is None:
            continue
        if abs(a.left() - b.left()) > 1:  # wraps to the next column: the order says it
            continue
        painter.setPen(QPen(QColor("#90a4ae"), 1.2))
        if b.top() - a.bottom() < ROW:  # the next row: a short line
            painter.drawLine(QPointF(a.center().x(), a.bottom()), QPointF(b.center().x(), b.top()))
            continue
        # a wire that skips blocks: an arc on the column's left
        path = QPainterPath(QPointF(a.left(), a.center().y()))
        bulge = min(12.0, 4 + (b.top() - a.top()) / 20)
        path.cubicTo(
            QPointF(a.left() - bulge, a.center().y()),
            QPointF(b.left() - bulge, b.center().y()),
            QPointF(b.left(), b.center().y()),
        )
        painter.setPen(QPen(QColor("#5c6bc0"), 1.2))
        painter.drawPath(path)
