"""Automatic layout of a network, and wires routed around its cards.

`layered_layout` places every card in layers (top to bottom or left to right) and routes every
wire as an orthogonal polyline that passes no card but its two ends; `WireRouter` routes
wires for cards wherever they are (the canvas keeps one while blocks are dragged). The card
size the canvas draws is declared here (`CARD_SIZE`), and so are its ports (`port_offsets`):
the input port in the middle of the side the flow enters, the output port opposite.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..graph import Graph
from ..groups import hidden_in
from .frames import (
    FRAME_MARGINS,
    FRAME_PAD,
    FRAME_TITLE,
    Box,
    card_position,
    collapsed_cards,
    frame_boxes,
    room_moves,
)
from .geometry import CARD_HEIGHT, CARD_SIZE, CARD_WIDTH, DIRECTIONS, Point, check_direction, port_offsets
from .layered import place
from .placement import free_spot, make_room, next_row, pitch
from .routing import WireRouter

__all__ = [
    "CARD_HEIGHT",
    "CARD_SIZE",
    "CARD_WIDTH",
    "DIRECTIONS",
    "FRAME_MARGINS",
    "FRAME_PAD",
    "FRAME_TITLE",
    "Box",
    "Layout",
    "Point",
    "WireRouter",
    "apply_layout",
    "auto_layout",
    "card_key",
    "card_position",
    "collapsed_cards",
    "flow_direction",
    "frame_boxes",
    "free_spot",
    "layered_layout",
    "make_room",
    "next_row",
    "pitch",
    "port_offsets",
    "room_moves",
]


@dataclass(frozen=True)
class Layout:
    """Card positions (top-left corners) and the route of every wire, keyed (source, target);
    the cards of collapsed groups (keyed by group path) and the frames of the others."""

    direction: str
    positions: dict[str, Point]
    routes: dict[tuple[str, str], list[Point]]
    cards: dict[str, Point]
    frames: dict[str, Box]


def card_key(path: str) -> str:
    """The router's name for a collapsed group's card (no block id looks like it)."""
    return f"group:{path}"


def layered_layout(graph: Graph, direction: str = "TB", card: tuple[float, float] = CARD_SIZE) -> Layout:
    """Lay `graph` out in layers, "TB" (top to bottom) or "LR" (left to right), for cards of
    size `card` (width, height), and route its wires. Groups in `graph.collapsed` are laid out
    as one card each; wires into them end at that card."""
    check_direction(direction)
    positions = place(graph, direction, card)
    cards = collapsed_cards(graph, positions, direction)
    router = WireRouter(positions, direction, card)
    for path, pos in cards.items():
        router.place(card_key(path), pos)
    for nid, path in hidden_in(graph).items():
        router.hide(nid, card_key(path))
    routes = router.route_all((e.source, e.target) for e in graph.edges)
    frames = frame_boxes(graph, positions, direction, card, routes=routes)
    return Layout(direction, positions, routes, cards, frames)


def auto_layout(graph: Graph, direction: str = "TB") -> dict[str, Point]:
    """Positions for every node; `direction` is "TB" (top to bottom) or "LR"."""
    check_direction(direction)
    return place(graph, direction, CARD_SIZE)


def apply_layout(graph: Graph, direction: str = "TB") -> None:
    """Move every node of `graph` to its place in `auto_layout`."""
    for nid, pos in auto_layout(graph, direction).items():
        graph.nodes[nid].pos = pos


def flow_direction(graph: Graph, current: str | None = None) -> str:
    """Which way the network's wires mostly run, "TB" or "LR", judged from positions.

    Given the `current` direction, it changes only when most wires clearly run the other
    way (twice as many), so that dragging a block or two does not turn the ports round.
    """
    down = right = 0
    nodes = graph.nodes
    for e in graph.edges:
        (x0, y0), (x1, y1) = nodes[e.source].pos, nodes[e.target].pos
        dx, dy = x1 - x0, y1 - y0
        if dx > abs(dy):
            right += 1
        elif dy > abs(dx):
            down += 1
    if current == "TB":
        return "LR" if right > 2 * down else "TB"
    if current == "LR":
        return "TB" if down > 2 * right else "LR"
    return "LR" if right > down else "TB"
