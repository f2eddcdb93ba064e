"""The card geometry the canvas draws, and the flow coordinates layout and routing work in.

Layout and routing are written once, for a network that flows top to bottom. A left-to-right
network is the same picture transposed: in flow coordinates `a` runs across the flow and `b`
along it, so (a, b) is (x, y) top to bottom and (y, x) left to right.
"""

from __future__ import annotations

Point = tuple[float, float]
Rect = tuple[float, float, float, float]  # (a0, b0, a1, b1) in flow coordinates

# One block card as the canvas draws it (ui/canvas reads these; do not size cards elsewhere).
CARD_WIDTH = 216.0
CARD_HEIGHT = 66.0
CARD_SIZE: tuple[float, float] = (CARD_WIDTH, CARD_HEIGHT)

DIRECTIONS = ("TB", "LR")


def check_direction(direction: str) -> None:
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be 'TB' or 'LR', got {direction!r}")


def port_offsets(direction: str = "TB", card: tuple[float, float] = CARD_SIZE) -> tuple[Point, Point]:
    """(input port, output port) of a card, relative to its top-left corner: the middles of the
    top and bottom sides top to bottom, of the left and right sides left to right."""
    check_direction(direction)
    w, h = card
    if direction == "TB":
        return (w / 2, 0.0), (w / 2, h)
    return (0.0, h / 2), (w, h / 2)


def to_flow(point: Point, direction: str) -> Point:
    """Scene (x, y) to flow (a, b); the same swap turns flow back into scene coordinates."""
    return point if direction == "TB" else (point[1], point[0])


def flow_card(direction: str, card: tuple[float, float]) -> tuple[float, float]:
    """A card's (across, along) size."""
    return card if direction == "TB" else (card[1], card[0])
