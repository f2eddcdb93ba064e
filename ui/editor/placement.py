"""Where the controller puts the blocks it adds, so that none lands on another.

A block that joins the flow (appended after a block, inserted on a wire, added by a quick fix)
goes one row after the block it follows; the cards at and after that row move on along the
flow, in the same undo step. A block or group that joins no flow (a paste, a duplicate, a drop)
goes to the nearest free place. The arithmetic is builder's (`make_room`, `free_spot`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from builder import CARD_SIZE, flow_direction, free_spot, make_room, next_row

if TYPE_CHECKING:
    from .controller import GraphController

Point = tuple[float, float]


def spot_after(ctrl: GraphController, node_id: str) -> Point:
    """The place one row after `node_id` along the flow; cards there are moved on (pushed as
    a move, so call it inside the macro that adds the block)."""
    graph = ctrl.graph
    direction = flow_direction(graph)
    spot = next_row(graph.nodes[node_id].pos, direction)
    positions = {n: node.pos for n, node in graph.nodes.items() if n != node_id}
    moves = make_room(positions, spot, direction)
    if moves:
        ctrl.move_nodes({n: (graph.nodes[n].pos, p) for n, p in moves.items()}, "Make room")
    return spot


def nearest_free(ctrl: GraphController, want: Point, size: tuple[float, float] = CARD_SIZE) -> Point:
    """The free place nearest `want` for a card (or a group's bounding box of `size`)."""
    return free_spot([n.pos for n in ctrl.graph.nodes.values()], want, size)


def place_group(ctrl: GraphController, positions: list[Point]) -> tuple[float, float]:
    """How far to move a group of new cards at `positions` so that it covers no card."""
    if not positions:
        return (0.0, 0.0)
    w, h = CARD_SIZE
    left, top = min(p[0] for p in positions), min(p[1] for p in positions)
    size = (max(p[0] for p in positions) - left + w, max(p[1] for p in positions) - top + h)
    x, y = nearest_free(ctrl, (left, top), size)
    return (x - left, y - top)


def first_row(ctrl: GraphController) -> Point:
    """A place for a block that follows nothing: below the lowest card."""
    nodes = ctrl.graph.nodes
    if not nodes:
        return (0.0, 0.0)
    lowest = max(nodes.values(), key=lambda n: n.pos[1])
    return nearest_free(ctrl, next_row(lowest.pos, "TB"))
