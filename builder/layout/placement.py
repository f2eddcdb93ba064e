"""Where a new card goes so that it lands on no other card.

Two ways, both in scene coordinates with top-left corners, for cards of `CARD_SIZE`:

- `make_room`: a card joins the flow at a given spot (appended after a block, inserted on a
  wire); every card at or after that row moves on along the flow by the same distance, so the
  picture below keeps its shape and the new card has a row of its own.
- `free_spot`: a card or a group of cards (a paste, a duplicate, a drop) goes to the nearest
  place where it covers nothing, and nothing else moves.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .geometry import CARD_SIZE, Point, flow_card, to_flow
from .layered import ALONG_GAP, CARD_GAP


def pitch(direction: str = "TB", card: tuple[float, float] = CARD_SIZE) -> float:
    """The distance from one row of cards to the next along the flow (as Arrange places them)."""
    return flow_card(direction, card)[1] + ALONG_GAP[direction]


def next_row(pos: Point, direction: str = "TB", card: tuple[float, float] = CARD_SIZE) -> Point:
    """The spot one row after the card at `pos`, along the flow."""
    a, b = to_flow(pos, direction)
    return to_flow((a, b + pitch(direction, card)), direction)


def make_room(
    positions: Mapping[str, Point],
    spot: Point,
    direction: str = "TB",
    card: tuple[float, float] = CARD_SIZE,
) -> dict[str, Point]:
    """New positions for the cards that must move so that a new card at `spot` covers none.

    Cards whose row reaches the spot's row or lies beyond it move on along the flow, all by the
    distance that clears the nearest of them by a row gap. Empty when the spot is free.
    """
    across, along = flow_card(direction, card)
    a0, b0 = to_flow(spot, direction)
    half_gap = CARD_GAP[direction] / 2
    later = {n: to_flow(p, direction) for n, p in positions.items() if to_flow(p, direction)[1] > b0 - along}
    in_way = [
        b
        for a, b in later.values()
        if a < a0 + across + half_gap
        and a + across > a0 - half_gap
        and b < b0 + along + ALONG_GAP[direction] / 2
    ]
    if not in_way:
        return {}
    shift = b0 + along + ALONG_GAP[direction] - min(in_way)
    return {n: to_flow((a, b + shift), direction) for n, (a, b) in later.items()}


def free_spot(
    occupied: Iterable[Point],
    want: Point,
    size: tuple[float, float] = CARD_SIZE,
    card: tuple[float, float] = CARD_SIZE,
    margin: float = 24.0,
) -> Point:
    """The top-left corner nearest `want` for a box of `size` that keeps `margin` clear of every
    card at `occupied` (a single card: `size` is the card; a group: its bounding box)."""
    w, h = size
    cw, ch = card
    rects = [(x - margin, y - margin, x + cw + margin, y + ch + margin) for x, y in occupied]

    def free(x: float, y: float) -> bool:
        return all(x >= r[2] or x + w <= r[0] or y >= r[3] or y + h <= r[1] for r in rects)

    if free(*want):
        return want
    # the nearest free place touches a card's grown edge on both axes, or keeps a wanted coordinate
    xs = {want[0], *(r[2] for r in rects), *(r[0] - w for r in rects)}
    ys = {want[1], *(r[3] for r in rects), *(r[1] - h for r in rects)}
    candidates = sorted(((x - want[0]) ** 2 + (y - want[1]) ** 2, x, y) for x in xs for y in ys)
    for _, x, y in candidates:
        if free(x, y):
            return (x, y)
    return (max(r[2] for r in rects), want[1])  # beside everything (not reached: see above)
