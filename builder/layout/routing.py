"""Wires as orthogonal polylines that go around the cards between their ends.

A wire leaves its source port along the flow, turns, runs across to a lane, follows the lane
along the flow, turns back and enters its target port along the flow:

    P -> (P.a, b1) -> (L, b1) -> (L, b2) -> (Q.a, b2) -> Q

with b1 just past the source and b2 just before the target. A lane at P.a or Q.a gives a
wire with two bends (or a straight one); any other lane is a detour beside the cards in the
way: an identity skip connection runs in its own lane beside the blocks it skips. The lane is
the one nearest the ends whose every segment is clear of cards; it is found by scanning
across from P.a and from Q.a, jumping past the cards in the way, so that a wire is routed in
time proportional to the cards near it. A spatial hash of the cards makes moving one card and
re-routing its wires cheap, which is what the canvas does while a block is dragged.

Everything here works in flow coordinates (see `geometry`), so that top-to-bottom and
left-to-right networks share the code.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping
from itertools import pairwise

from .geometry import CARD_SIZE, Point, Rect, check_direction, flow_card, port_offsets, to_flow

STUB_OUT = 16.0  # a wire leaves its source straight for this long before it turns
STUB_IN = 24.0  # and enters its target straight for this long (out and in buses stay apart)
LANE = 20.0  # a wire running beside a card keeps this far from it
LANE_SEP = 14.0  # distance between lanes side by side
CLEAR_ACROSS = LANE - 1.0  # what counts as crossing a card: nearer than this beside it
CLEAR_ALONG = 8.0  # or nearer than this above or below it
BEND_COST = 30.0  # a bend costs as much as this much more wire
_CELL = 256.0
_MAX_JUMPS = 256

Edge = tuple[str, str]


class WireRouter:
    """Routes wires around cards placed at `positions` (top-left corners in scene units).

    Keep it in step with the canvas with `place` and `remove`; `route` one wire, or
    `route_all` to route every wire with lanes kept apart. Routes are lists of scene points
    from the source's output port to the target's input port.
    """

    stub_out = STUB_OUT  # where wires turn out of a source port and into a target port
    stub_in = STUB_IN
    lane = LANE  # how far a wire running beside a card keeps from it
    lane_sep = LANE_SEP  # and from the wire in the next lane

    def __init__(
        self,
        positions: Mapping[str, Point] | None = None,
        direction: str = "TB",
        card: tuple[float, float] = CARD_SIZE,
    ):
        check_direction(direction)
        self.direction = direction
        self.card = card
        self._size = flow_card(direction, card)
        in_port, out_port = port_offsets(direction, card)
        self._in, self._out = to_flow(in_port, direction), to_flow(out_port, direction)
        self._rects: dict[str, Rect] = {}
        self._cells: dict[tuple[int, int], set[str]] = defaultdict(set)
        self._lanes: dict[Edge, tuple[float, float, float]] = {}  # wire -> (a, b_lo, b_hi)
        self._alias: dict[str, str] = {}  # a card hidden in a collapsed group -> the group's card
        self._hidden: dict[str, Point] = {}  # where the hidden cards are
        for node_id, pos in (positions or {}).items():
            self.place(node_id, pos)

    # -- the cards -----------------------------------------------------------------------

    def place(self, node_id: str, pos: Point) -> None:
        """Put (or move) the card of `node_id` with its top-left corner at `pos`."""
        if node_id in self._alias:
            self._hidden[node_id] = pos
            return
        self.remove(node_id)
        a, b = to_flow(pos, self.direction)
        rect = (a, b, a + self._size[0], b + self._size[1])
        self._rects[node_id] = rect
        for cell in _cells(rect[0] - LANE, rect[1] - LANE, rect[2] + LANE, rect[3] + LANE):
            self._cells[cell].add(node_id)

    def remove(self, node_id: str) -> None:
        rect = self._rects.pop(node_id, None)
        if rect is None:
            return
        for cell in _cells(rect[0] - LANE, rect[1] - LANE, rect[2] + LANE, rect[3] + LANE):
            ids = self._cells[cell]
            ids.discard(node_id)
            if not ids:
                del self._cells[cell]

    def hide(self, node_id: str, card: str) -> None:
        """The card of `node_id` is folded into `card` (a collapsed group, placed as a card of
        its own): it is no obstacle, and its wires start or end at `card`."""
        rect = self._rects.get(node_id)
        if rect is not None:
            self._hidden[node_id] = to_flow(rect[:2], self.direction)
        self.remove(node_id)
        self._alias[node_id] = card

    def unhide(self, node_id: str) -> None:
        """Show the card of `node_id` again, where it was last placed."""
        self._alias.pop(node_id, None)
        pos = self._hidden.pop(node_id, None)
        if pos is not None:
            self.place(node_id, pos)

    def card_of(self, node_id: str) -> str:
        """The card that `node_id`'s wires end at: its own, or the collapsed group's it is in."""
        return self._alias.get(node_id, node_id)

    def forget(self, source: str, target: str) -> None:
        """A wire was removed: its lane is free again."""
        self._lanes.pop((source, target), None)

    def scene_rect(self, node_id: str) -> tuple[float, float, float, float] | None:
        """(left, top, right, bottom) of a placed card in scene coordinates; None if not placed."""
        rect = self._rects.get(node_id)
        if rect is None:
            return None
        (x0, y0), (x1, y1) = to_flow(rect[:2], self.direction), to_flow(rect[2:], self.direction)
        return (x0, y0, x1, y1)

    def ports(self, node_id: str) -> tuple[Point, Point]:
        """(input port, output port) of a placed card, in scene coordinates."""
        a0, b0 = self._rects[node_id][:2]
        d = self.direction
        return (
            to_flow((a0 + self._in[0], b0 + self._in[1]), d),
            to_flow((a0 + self._out[0], b0 + self._out[1]), d),
        )

    def crossed_cards(self, route: list[Point], ends: Iterable[str] = ()) -> list[str]:
        """The cards (other than `ends`) that a route in scene coordinates passes through."""
        pts = [to_flow(p, self.direction) for p in route]
        skip = set(ends)
        found: list[str] = []
        for p, q in pairwise(pts):
            found.extend(n for n in self._hits(p, q, skip, 0.0, 0.0) if n not in found)
        return found

    # -- the wires -----------------------------------------------------------------------

    def route_all(self, edges: Iterable[Edge]) -> dict[Edge, list[Point]]:
        """Route every wire; wires that detour get lanes apart from each other, the shortest
        detours nearest the cards."""
        edges = list(edges)
        self._lanes.clear()
        alias = self._alias
        if any(
            s in alias or t in alias for s, t in edges
        ):  # wires into and out of a collapsed group run from and to its card
            shown = {e: (alias.get(e[0], e[0]), alias.get(e[1], e[1])) for e in edges}
            ends = list(dict.fromkeys(v for v in shown.values() if v[0] != v[1]))
            routes = self.route_all(ends) if ends else {}
            return {e: routes.get(v) or self.route(*v) for e, v in shown.items()}
        fan_out: dict[str, int] = defaultdict(int)
        for s, _t in edges:
            fan_out[s] += 1

        def span(e: Edge) -> float:
            return abs(self._rects[e[1]][1] - self._rects[e[0]][3])

        routes = {e: self.route(*e, bend_at_source=fan_out[e[0]] > 1) for e in sorted(edges, key=span)}
        return {e: routes[e] for e in edges}

    def route(self, source: str, target: str, bend_at_source: bool = False) -> list[Point]:
        """The route of the wire source -> target, clear of other cards where there is room.

        `bend_at_source` says where a wire with two bends should turn: just below a source
        that fans out (its wires leave as one bus), or else just above the target (wires
        into a merge arrive as one bus).
        """
        source, target = self._alias.get(source, source), self._alias.get(target, target)
        key = (source, target)
        rs, rt = self._rects[source], self._rects[target]
        if source == target:  # a wire inside a collapsed group: not drawn
            return self._scene([(rs[0] + self._out[0], rs[1] + self._out[1])] * 2)
        p = (rs[0] + self._out[0], rs[1] + self._out[1])
        q = (rt[0] + self._in[0], rt[1] + self._in[1])
        ends = {source, target}
        forward = q[1] > p[1]
        if forward and abs(p[0] - q[0]) < 0.5 and not self._hits(p, (p[0], q[1]), ends):
            self._lanes.pop(key, None)
            return self._scene([p, (p[0], q[1])])
        if q[1] - p[1] >= STUB_OUT + STUB_IN:
            b1, b2 = p[1] + STUB_OUT, q[1] - STUB_IN
        elif forward:
            b1 = b2 = (p[1] + q[1]) / 2
        else:  # the target is level with or before its source: go round both
            b1, b2 = p[1] + STUB_OUT, q[1] - STUB_IN
        middle_skip = ends if forward else set()
        best: tuple[int, float, list[Point], float] | None = None
        for lane in self._lane_candidates(p[0], q[0], b1, b2, key, middle_skip):
            pts = _simplify([p, (p[0], b1), (lane, b1), (lane, b2), (q[0], b2), q])
            crossings = self._crossings(pts, ends, middle_skip)
            cost = abs(p[0] - lane) + abs(lane - q[0]) + BEND_COST * (len(pts) - 2)
            preferred = q[0] if bend_at_source else p[0]
            cost += (0.0 if abs(lane - preferred) < 0.5 else 0.5) + (0.25 if lane < min(p[0], q[0]) else 0.0)
            if best is None or (crossings, cost) < best[:2]:
                best = (crossings, cost, pts, lane)
        assert best is not None  # the scans always give a candidate
        pts, lane = best[2], best[3]
        if min(abs(lane - p[0]), abs(lane - q[0])) > 0.5 and b1 != b2:
            self._lanes[key] = (lane, min(b1, b2), max(b1, b2))
        else:
            self._lanes.pop(key, None)
        return self._scene(pts)

    def _lane_candidates(
        self, pa: float, qa: float, b1: float, b2: float, key: Edge, skip: set[str]
    ) -> list[float]:
        """The nearest clear lane on each side of each end (a lane at an end's own
        position first, if that is clear)."""
        lo, hi = min(b1, b2), max(b1, b2)
        # the lanes beside this one, sorted: DenseNet has thousands of wires running in lanes
        taken = sorted(v[0] for k, v in self._lanes.items() if k != key and v[1] < hi and lo < v[2])
        apart = LANE_SEP - 0.5
        cards_beside = self._cards_along(lo, hi, skip)
        found: list[float] = []
        for start in (pa, qa) if abs(pa - qa) >= 0.5 else (pa,):
            for step in (1.0, -1.0):
                lane = start
                for _ in range(_MAX_JUMPS):
                    cards = cards_beside(lane)
                    window = taken[
                        bisect_left(taken, lane - apart - 1.0) : bisect_right(taken, lane + apart + 1.0)
                    ]
                    near = [a for a in window if abs(a - lane) < apart]
                    if not cards and not near:
                        break
                    if step > 0:
                        lane = max([self._rects[n][2] + LANE for n in cards] + [a + LANE_SEP for a in near])
                    else:
                        lane = min([self._rects[n][0] - LANE for n in cards] + [a - LANE_SEP for a in near])
                if all(abs(lane - f) >= 0.5 for f in found):
                    found.append(lane)
        return found

    def _cards_along(self, lo: float, hi: float, skip: set[str]):
        """A function of a lane: the cards that a lane from `lo` to `hi` along the flow
        passes (`_hits` of that segment). A long lane crosses many cells of the spatial hash
        at every step of the scan across, so for those the cards level with the lane are
        sorted across once and each step looks them up by bisection (all cards have the same
        size)."""
        if hi - lo < 4 * _CELL:
            return lambda lane: self._hits((lane, lo), (lane, hi), skip)
        level = sorted(
            (r[0], n)
            for n, r in self._rects.items()
            if n not in skip and r[1] - CLEAR_ALONG < hi and lo < r[3] + CLEAR_ALONG
        )
        starts = [a for a, _ in level]
        width = self._size[0]

        def hits(lane: float) -> list[str]:
            first = bisect_left(starts, lane - width - CLEAR_ACROSS - 1.0)
            last = bisect_right(starts, lane + CLEAR_ACROSS + 1.0)
            rects = self._rects
            return [
                n
                for a, n in level[first:last]
                if a - CLEAR_ACROSS < lane < rects[n][2] + CLEAR_ACROSS  # as `_hits` decides
            ]

        return hits

    def _crossings(self, pts: list[Point], ends: set[str], middle_skip: set[str]) -> int:
        """How many cards the segments of `pts` cross; its first and last segments touch
        their own cards at the ports."""
        last = len(pts) - 2
        return sum(
            len(self._hits(p, q, ends if i in (0, last) else middle_skip))
            for i, (p, q) in enumerate(pairwise(pts))
        )

    def _hits(
        self,
        p: Point,
        q: Point,
        skip: set[str],
        clear_across: float = CLEAR_ACROSS,
        clear_along: float = CLEAR_ALONG,
    ) -> list[str]:
        """Cards that the segment p-q (along an axis) passes nearer than the clearances."""
        a0, a1 = min(p[0], q[0]), max(p[0], q[0])
        b0, b1 = min(p[1], q[1]), max(p[1], q[1])
        seen: set[str] = set()
        hit: list[str] = []
        for cell in _cells(a0, b0, a1, b1):
            for n in self._cells.get(cell, ()):
                if n in seen or n in skip:
                    continue
                seen.add(n)
                r = self._rects[n]
                if (
                    r[0] - clear_across < a1
                    and a0 < r[2] + clear_across
                    and r[1] - clear_along < b1
                    and b0 < r[3] + clear_along
                ):
                    hit.append(n)
        return hit

    def _scene(self, pts: list[Point]) -> list[Point]:
        return [to_flow(p, self.direction) for p in pts]


def _cells(a0: float, b0: float, a1: float, b1: float) -> Iterable[tuple[int, int]]:
    for i in range(math.floor(a0 / _CELL), math.floor(a1 / _CELL) + 1):
        for j in range(math.floor(b0 / _CELL), math.floor(b1 / _CELL) + 1):
            yield (i, j)


def _simplify(pts: list[Point]) -> list[Point]:
    """Drop repeated points and the middle one of three in a line (not of a U-turn)."""
    out: list[Point] = []
    for pt in pts:
        if out and abs(pt[0] - out[-1][0]) < 1e-6 and abs(pt[1] - out[-1][1]) < 1e-6:
            continue
        if len(out) >= 2:
            (x0, y0), (x1, y1) = out[-2], out[-1]
            onward = (x1 - x0) * (pt[0] - x1) >= 0 and (y1 - y0) * (pt[1] - y1) >= 0  # no U-turn
            if onward and (
                (abs(x0 - x1) < 1e-6 and abs(x1 - pt[0]) < 1e-6)
                or (abs(y0 - y1) < 1e-6 and abs(y1 - pt[1]) < 1e-6)
            ):
                out[-1] = pt
                continue
        out.append(pt)
    return out
