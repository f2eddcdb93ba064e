"""What dropping a block dragged from the palette will do, shown while it is dragged: the
card's outline where it will land, and the wire it will be inserted into or the block it will
be wired from. Without it a user cannot tell a drop that inserts from one that only places."""

from __future__ import annotations

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem

from . import style

INSERT, AFTER, PLACE = "insert", "after", "place"


class DropHint(QGraphicsItem):
    """The outline of the card to come, and its wire: `kind` is INSERT (into `wire`), AFTER
    (wired from the block whose output port is at `link`'s start) or PLACE."""

    def __init__(self):
        super().__init__()
        self.setZValue(4)  # over cards and wires
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.kind = PLACE
        self.target: tuple[str, str] | str | None = None  # the wire's key, or the source block
        self.card = QRectF()
        self.wire = QPainterPath()
        self.link = QLineF()
        self.text = ""  # what the drop does, in words
        self.font = QFont()
        self.font.setPointSizeF(8.5)

    def show_plan(
        self, kind: str, target, card: QRectF, wire: QPainterPath | None, link: QLineF | None, text: str
    ) -> None:
        """`card`: the outline, or an empty rect for an insertion, whose card would cover the
        wire it goes into: then `text` is a caption beside the wire, at the card's centre."""
        self.prepareGeometryChange()
        self.kind, self.target, self.card, self.text = kind, target, card, text
        self.wire = wire if wire is not None else QPainterPath()
        self.link = link if link is not None else QLineF()
        self.show()

    def caption_rect(self) -> QRectF:
        metrics = QFontMetricsF(self.font)
        lines = self.text.splitlines() or [""]
        width = max(metrics.horizontalAdvance(line) for line in lines) + 12
        height = metrics.lineSpacing() * len(lines) + 6
        centre = self.card.center()
        return QRectF(centre.x() - width - 14, centre.y() - height / 2, width, height)

    def boundingRect(self) -> QRectF:
        area = self.wire.boundingRect().united(self.caption_rect() if self.kind == INSERT else self.card)
        if not self.link.isNull():
            area = area.united(QRectF(self.link.p1(), self.link.p2()).normalized())
        return area.adjusted(-6, -6, 6, 6)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setFont(self.font)
        highlight = QColor(style.SELECTED)
        align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
        if self.kind == INSERT:
            halo = QColor(highlight)
            halo.setAlpha(110)
            painter.setPen(QPen(halo, 8.0, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
            painter.drawPath(self.wire)
            caption = self.caption_rect()
            painter.setPen(QPen(highlight, 1.0))
            painter.setBrush(QColor(255, 255, 255, 240))
            painter.drawRoundedRect(caption, 4, 4)
            painter.setPen(highlight.darker(140))
            painter.drawText(caption.adjusted(6, 3, -6, -3), align, self.text)
            return
        fill = QColor(highlight)
        fill.setAlpha(30)
        painter.setPen(QPen(highlight, 1.5, Qt.PenStyle.DashLine))
        painter.setBrush(fill)
        painter.drawRoundedRect(self.card, 7, 7)
        if not self.link.isNull():
            painter.setPen(QPen(highlight, 2.0, Qt.PenStyle.DashLine))
            painter.drawLine(self.link)
        painter.setPen(highlight.darker(140))
        painter.drawText(self.card.adjusted(12, 5, -6, -4), align, self.text)


def card_at(corner: tuple[float, float]) -> QRectF:
    return QRectF(QPointF(*corner), QPointF(corner[0] + style.NODE_WIDTH, corner[1] + style.NODE_HEIGHT))
