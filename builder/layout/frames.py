"""The frames the canvas draws around groups, and where a collapsed group's card sits.

A frame encloses its group's cards (and the collapsed cards and frames of the groups inside
it) and its internal wires, with a margin and a title strip on top. The layout leaves room for
these margins between a group's cards and everything outside it (see `layered`).

A collapsed group's card sits where its blocks start along the flow and at the median of their
positions across it, so that collapsing and expanding a group keeps it in the column it is in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from statistics import median

from ..graph import Graph
from ..groups import chain, hidden_in, members, parent_of, within
from .geometry import CARD_SIZE, Point, flow_card

FRAME_PAD = 10.0  # between a frame and the cards in it
FRAME_TITLE = 22.0  # the title strip above them
# (left, top, right, bottom) between a group's contents and its frame, in scene units
FRAME_MARGINS = (FRAME_PAD, FRAME_PAD + FRAME_TITLE, FRAME_PAD, FRAME_PAD)

Box = tuple[float, float, float, float]  # (x0, y0, x1, y1) in scene coordinates


def flow_margins(direction: str) -> tuple[float, float, float, float]:
    """The frame margins as (across before, across after, along before, along after)."""
    left, top, right, bottom = FRAME_MARGINS
    return (left, right, top, bottom) if direction == "TB" else (top, bottom, left, right)


def card_position(positions: Iterable[Point], direction: str = "TB") -> Point:
    """Where a collapsed group's card goes, given the top-left corners of its blocks' cards:
    at the first along the flow, at the median across it."""
    pts = list(positions)
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    return (float(median(xs)), min(ys)) if direction == "TB" else (min(xs), float(median(ys)))


def collapsed_cards(
    graph: Graph,
    positions: Mapping[str, Point],
    direction: str = "TB",
    collapsed: Iterable[str] | None = None,
) -> dict[str, Point]:
    """The card position of every collapsed group that is not inside another collapsed one."""
    owner = hidden_in(graph, collapsed)
    blocks: dict[str, list[Point]] = {}
    for nid, path in owner.items():
        blocks.setdefault(path, []).append(positions[nid])
    return {path: card_position(pts, direction) for path, pts in blocks.items()}


def frame_boxes(
    graph: Graph,
    positions: Mapping[str, Point],
    direction: str = "TB",
    card: tuple[float, float] = CARD_SIZE,
    collapsed: Iterable[str] | None = None,
    routes: Mapping[tuple[str, str], list[Point]] | None = None,
) -> dict[str, Box]:
    """The frame of every group that is shown expanded (not collapsed, not inside a collapsed
    group), in scene coordinates, inner groups first."""
    folded = set(graph.collapsed if collapsed is None else collapsed)
    owner = hidden_in(graph, folded)
    w, h = card
    boxes: dict[str, list[float]] = {}

    def grow(path: str, x0: float, y0: float, x1: float, y1: float) -> None:
        box = boxes.get(path)
        if box is None:
            boxes[path] = [x0, y0, x1, y1]
        else:
            box[0], box[1], box[2], box[3] = (
                min(box[0], x0),
                min(box[1], y0),
                max(box[2], x1),
                max(box[3], y1),
            )

    for nid, node in graph.nodes.items():
        if nid not in owner and node.group:
            x, y = positions[nid]
            grow(node.group, x, y, x + w, y + h)
    for path, (x, y) in collapsed_cards(graph, positions, direction, folded).items():
        if parent_of(path):
            grow(parent_of(path), x, y, x + w, y + h)
    for (source, target), route in (routes or {}).items():
        if not route or (source in owner and owner.get(target) == owner[source]):
            continue
        common = _common(graph.nodes[source].group, graph.nodes[target].group)
        if common:  # not inside a collapsed group: then both ends would be hidden in its card
            xs, ys = [p[0] for p in route], [p[1] for p in route]
            grow(common, min(xs), min(ys), max(xs), max(ys))
    left, top, right, bottom = FRAME_MARGINS
    done: dict[str, Box] = {}
    shown = {p for path in boxes for p in chain(path)}
    for path in sorted(shown, key=lambda p: -p.count(".")):  # inner groups first
        if path not in boxes:
            continue
        x0, y0, x1, y1 = boxes[path]
        frame = (x0 - left, y0 - top, x1 + right, y1 + bottom)
        done[path] = frame
        parent = parent_of(path)
        if parent:
            grow(parent, *frame)
    return done


def _common(a: str, b: str) -> str:
    """The deepest group that holds both groups `a` and `b`."""
    common = ""
    for path in chain(a):
        if within(b, path):
            common = path
    return common


def room_moves(
    graph: Graph, path: str, collapse: bool, direction: str = "TB", card: tuple[float, float] = CARD_SIZE
) -> dict[str, Point]:
    """New positions for the blocks after group `path` along the flow when it collapses (they
    close the gap its frame leaves) or expands (they make room for its frame). Blocks beside
    the group stay; the blocks of a collapsed group move with its card."""
    folded = set(graph.collapsed)
    inside = set(members(graph, path))
    if not inside:
        return {}
    pos = {nid: node.pos for nid, node in graph.nodes.items()}
    frame = frame_boxes(graph, pos, direction, card, folded - {path}).get(path)
    if frame is None:
        return {}
    along = 1 if direction == "TB" else 0
    frame_end = frame[2 + along]
    card_end = card_position([pos[n] for n in inside], direction)[along] + flow_card(direction, card)[1]
    delta = frame_end - card_end
    if delta <= 0.5:
        return {}
    start, shift = (frame_end, -delta) if collapse else (card_end, delta)
    owner = hidden_in(graph, folded - {path})
    unit_top: dict[str, float] = {}
    for nid, unit in owner.items():
        unit_top[unit] = min(unit_top.get(unit, pos[nid][along]), pos[nid][along])
    moves = {}
    for nid, (x, y) in pos.items():
        if nid in inside:
            continue
        top = unit_top[owner[nid]] if nid in owner else (x, y)[along]
        if top >= start - 0.5:
            moves[nid] = (x, round(y + shift, 1)) if along else (round(x + shift, 1), y)
    return moves
