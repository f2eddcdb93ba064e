"""Layered placement (Sugiyama-style) that leaves a lane for every long wire.

1. Layers: a node's layer is its longest distance from a source (wires that close a cycle
   are ignored).
2. A wire that spans several layers gets a bend point in every layer it passes, so that it
   takes a slot in each row like a narrow card: this is what keeps a skip connection in its
   own lane beside the blocks it skips instead of behind them.
3. Order within rows: depth-first order first (a branch is kept together), then barycentre
   sweeps down and up, keeping the order with the fewest crossings.
4. Positions across the flow: sweeps in which every node wants the median position of its
   neighbours in the row before (real blocks before bend points, so a block lines up with
   the block it follows, not with a skip wire); each row is then placed as near those wishes
   as its spacing allows (an L1 isotonic regression, pool-adjacent-violators with weighted
   medians). Blocks on a longest path weigh most, so the main line of a network stays one
   straight column and side branches move aside.

Groups (`Node.group`) stay together: after every ordering step the items of a group are
gathered where most of them are, and items a group frame separates keep the frame's margins
apart (across the flow between neighbours, along it between rows). A collapsed group is
placed as one card, and its blocks as their own layout placed under that card (`place`).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from ..graph import Edge, Graph, Node
from ..groups import chain, hidden_in, members, parent_of
from .frames import card_position, flow_margins
from .geometry import Point, flow_card, to_flow
from .routing import LANE, LANE_SEP

ALONG_GAP = {"TB": 64.0, "LR": 94.0}  # between rows: room for a shape label and two bends
CARD_GAP = {"TB": 48.0, "LR": 54.0}  # between neighbours in a row: room for two lanes
SPINE_WEIGHT = 100.0  # blocks on a longest path
BLOCK_WEIGHT = 1.0
BEND_WEIGHT = 0.5  # the bend points of long wires give way to blocks
_ORDER_SWEEPS = 8
_ALIGN_SWEEPS = 6

Item = str | tuple[int, int]  # a node id, or (edge index, layer) for a long wire's bend point


def place(
    graph: Graph, direction: str, card: tuple[float, float], collapsed: set[str] | None = None
) -> dict[str, Point]:
    """Top-left corners of every card, in scene coordinates. The blocks of a collapsed group
    (`collapsed`, default the graph's) are laid out among themselves and placed so that the
    group's card (`frames.card_position`) lands where the layout put it as one card."""
    folded = graph.collapsed if collapsed is None else collapsed
    owner = hidden_in(graph, folded)
    if not owner:
        return _place(graph, direction, card)
    first: dict[str, str] = {}  # a collapsed group -> the block that stands for its card
    nodes: dict[str, Node] = {}
    for nid, node in graph.nodes.items():
        path = owner.get(nid)
        if path is None:
            nodes[nid] = node
        elif path not in first:
            first[path] = nid
            nodes[nid] = Node(nid, node.type, node.settings, node.pos, group=parent_of(path))

    def shown(nid: str) -> str:
        return first[owner[nid]] if nid in owner else nid

    ends = dict.fromkeys((shown(e.source), shown(e.target)) for e in graph.edges)
    cards = Graph(nodes=nodes, edges=[Edge(s, t) for s, t in ends if s != t])
    positions = _place(cards, direction, card)
    for path, stand_in in first.items():
        inner = members(graph, path)
        part = Graph(
            nodes={n: graph.nodes[n] for n in inner},
            edges=[e for e in graph.edges if owner.get(e.source) == path and owner.get(e.target) == path],
        )
        placed = place(part, direction, card, folded - {path})
        cx, cy = card_position(placed.values(), direction)
        x, y = positions[stand_in]
        for n in inner:
            px, py = placed[n]
            positions[n] = (round(px - cx + x, 1), round(py - cy + y, 1))
    return positions


def _place(graph: Graph, direction: str, card: tuple[float, float]) -> dict[str, Point]:
    if not graph.nodes:
        return {}
    preds, succs = graph.adjacency()
    layer = layers(graph, preds, succs)
    rows, up, down = _with_bend_points(graph, layer)
    groups = _group_chains(graph, rows)
    _order_rows(rows, up, down, _depth_first_rank(graph, up, down), groups)
    across, along = flow_card(direction, card)
    weight = _weights(graph, layer, succs)
    margins = flow_margins(direction)
    centre = _across_positions(rows, up, down, weight, across, CARD_GAP[direction], groups, margins)
    first = next(iter(graph.nodes))
    shift = centre[first] - across / 2
    row_at = _row_offsets(rows, groups, along + ALONG_GAP[direction], margins)
    return {
        nid: to_flow((round(centre[nid] - across / 2 - shift, 1), row_at[layer[nid]]), direction)
        for nid in graph.nodes
    }


def _group_chains(graph: Graph, rows: list[list[Item]]) -> dict[Item, tuple[str, ...]]:
    """The groups around every item, outermost first; a long wire's bend points lie in the
    groups that hold both its ends. Empty if the graph has no groups."""
    if not any(node.group for node in graph.nodes.values()):
        return {}
    chains: dict[Item, tuple[str, ...]] = {}
    for row in rows:
        for item in row:
            if isinstance(item, str):
                chains[item] = chain(graph.nodes[item].group)
            else:
                e = graph.edges[item[0]]
                a, b = chain(graph.nodes[e.source].group), chain(graph.nodes[e.target].group)
                k = 0
                while k < min(len(a), len(b)) and a[k] == b[k]:
                    k += 1
                chains[item] = a[:k]
    return chains


def _cluster(row: list[Item], groups: dict[Item, tuple[str, ...]]) -> None:
    """Reorder `row` so that the items of every group are next to each other, each group
    where the mean of its items was, keeping the order within a group."""
    here = {item: i for i, item in enumerate(row)}
    spots: dict[str, list[int]] = {}
    for item in row:
        for path in groups[item]:
            spots.setdefault(path, []).append(here[item])
    if not spots:
        return
    mean = {path: sum(v) / len(v) for path, v in spots.items()}

    def key(item: Item) -> tuple:
        return (*((mean[p], p) for p in groups[item]), (float(here[item]), ""))

    row.sort(key=key)


def _row_offsets(
    rows: list[list[Item]], groups: dict[Item, tuple[str, ...]], pitch: float, margins
) -> list[float]:
    """Where each row starts along the flow: a pitch apart, plus room for the frames that
    end after a row and start before the next."""
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    for r, row in enumerate(rows):
        for item in row:
            if isinstance(item, str):
                for path in groups.get(item, ()):
                    first.setdefault(path, r)
                    last[path] = r
    at = [0.0]
    for r in range(1, len(rows)):
        ends = max((sum(1 for p in groups.get(i, ()) if last[p] == r - 1) for i in rows[r - 1]), default=0)
        starts = max((sum(1 for p in groups.get(i, ()) if first[p] == r) for i in rows[r]), default=0)
        at.append(at[-1] + pitch + ends * margins[3] + starts * margins[2])
    return at


def layers(graph: Graph, preds, succs) -> dict[str, int]:
    """Longest distance from a source; wires that close a cycle are ignored."""
    indegree = {nid: len(p) for nid, p in preds.items()}
    ready = [nid for nid, d in indegree.items() if d == 0]
    layer: dict[str, int] = {}
    while True:
        while ready:
            nid = ready.pop()
            layer[nid] = max((layer[p] + 1 for p in preds[nid] if p in layer), default=0)
            for s in succs[nid]:
                indegree[s] -= 1
                if indegree[s] == 0:
                    ready.append(s)
        stuck = [nid for nid in graph.nodes if nid not in layer]
        if not stuck:
            return layer
        ready.append(stuck[0])  # break a cycle at its first node
        indegree[stuck[0]] = 0


def _with_bend_points(graph: Graph, layer: dict[str, int]):
    """Rows of items, and each item's neighbours in the row before (up) and after (down)."""
    rows: list[list[Item]] = [[] for _ in range(max(layer.values()) + 1)]
    up: dict[Item, list[Item]] = {}
    down: dict[Item, list[Item]] = {}
    for nid in graph.nodes:
        rows[layer[nid]].append(nid)
        up[nid], down[nid] = [], []
    for i, e in enumerate(graph.edges):
        first, last = layer[e.source], layer[e.target]
        if last <= first:
            continue  # closes a cycle: it is routed, not placed
        prev: Item = e.source
        for k in range(first + 1, last):
            bend = (i, k)
            rows[k].append(bend)
            up[bend], down[bend] = [prev], []
            down[prev].append(bend)
            prev = bend
        down[prev].append(e.target)
        up[e.target].append(prev)
    return rows, up, down


def _depth_first_rank(graph: Graph, up, down) -> dict[Item, int]:
    """Depth-first visiting order from the sources, outputs in wire order: a branch is
    visited whole before the next, so it starts out together."""
    rank: dict[Item, int] = {}
    starts = [n for n in graph.nodes if not up[n]] + list(graph.nodes)
    for start in starts:
        stack: list[Item] = [start]
        while stack:
            item = stack.pop()
            if item in rank:
                continue
            rank[item] = len(rank)
            stack.extend(reversed(down[item]))
    return rank


def _order_rows(
    rows: list[list[Item]], up, down, rank: dict[Item, int], groups: dict[Item, tuple[str, ...]]
) -> None:
    for row in rows:
        row.sort(key=rank.__getitem__)
        if groups:
            _cluster(row, groups)
    best, fewest = [r[:] for r in rows], _crossings(rows, down)
    for sweep in range(_ORDER_SWEEPS):
        going_down = sweep % 2 == 0
        indices = range(1, len(rows)) if going_down else range(len(rows) - 2, -1, -1)
        for r in indices:
            before = rows[r - 1] if going_down else rows[r + 1]
            pos = {item: i for i, item in enumerate(before)}
            here = {item: i for i, item in enumerate(rows[r])}
            nbrs = up if going_down else down

            def key(item: Item, nbrs=nbrs, pos=pos, here=here) -> float:
                ps = [pos[n] for n in nbrs[item]]
                return sum(ps) / len(ps) if ps else here[item]

            rows[r].sort(key=key)
            if groups:
                _cluster(rows[r], groups)
        count = _crossings(rows, down)
        if count < fewest:
            best, fewest = [r[:] for r in rows], count
    rows[:] = best


def _crossings(rows: list[list[Item]], down) -> int:
    total = 0
    for r in range(len(rows) - 1):
        pos = {item: i for i, item in enumerate(rows[r + 1])}
        pairs = [(i, pos[t]) for i, item in enumerate(rows[r]) for t in down[item]]
        total += sum(1 for k, (a, b) in enumerate(pairs) for c, d in pairs[k + 1 :] if (a - c) * (b - d) < 0)
    return total


def _weights(graph: Graph, layer: dict[str, int], succs) -> dict[str, float]:
    """Blocks on a longest path through the network weigh most."""
    below: dict[str, int] = {}
    for nid in sorted(graph.nodes, key=layer.__getitem__, reverse=True):
        below[nid] = max((below[s] + 1 for s in succs[nid] if layer[s] > layer[nid]), default=0)
    longest = max(layer[n] + below[n] for n in graph.nodes)
    return {n: SPINE_WEIGHT if layer[n] + below[n] == longest else BLOCK_WEIGHT for n in graph.nodes}


def _across_positions(
    rows: list[list[Item]],
    up,
    down,
    weight: dict[str, float],
    card: float,
    card_gap: float,
    groups: dict[Item, tuple[str, ...]],
    margins,
) -> dict[Item, float]:
    def half(item: Item) -> float:
        return card / 2 if isinstance(item, str) else 0.0

    def gap(a: Item, b: Item) -> float:
        cards = isinstance(a, str) + isinstance(b, str)
        space = card_gap if cards == 2 else max(LANE, card_gap / 2) if cards == 1 else LANE_SEP
        if groups:  # the frames that end after a and those that start before b
            ga, gb = groups[a], groups[b]
            k = 0
            while k < min(len(ga), len(gb)) and ga[k] == gb[k]:
                k += 1
            space += (len(ga) - k) * margins[1] + (len(gb) - k) * margins[0]
        return space

    seps = [[half(a) + half(b) + gap(a, b) for a, b in pairwise(row)] for row in rows]
    x: dict[Item, float] = {}
    for row, sep in zip(rows, seps, strict=True):
        _fit_row(row, sep, [0.0] * len(row), [1.0] * len(row), x)

    def align(r: int, nbrs) -> None:
        row = rows[r]
        wishes = []
        for item in row:
            blocks = [x[n] for n in nbrs[item] if isinstance(n, str)]
            wishes.append(_median(blocks or [x[n] for n in nbrs[item]] or [x[item]]))
        w = [weight[i] if isinstance(i, str) else BEND_WEIGHT for i in row]
        _fit_row(row, seps[r], wishes, w, x)

    for _ in range(_ALIGN_SWEEPS):
        for r in range(1, len(rows)):
            align(r, up)
        for r in range(len(rows) - 2, -1, -1):
            align(r, down)
    for r in range(1, len(rows)):
        align(r, up)
    return x


def _fit_row(
    row: list[Item], seps: list[float], wishes: list[float], weights: list[float], x: dict[Item, float]
) -> None:
    """Place a row in order, `seps` apart at least, minimising the weighted distance from the
    wishes: with offsets o_i, y_i = x_i - o_i must not decrease, an isotonic regression."""
    if len(row) == 1:
        x[row[0]] = wishes[0]
        return
    offsets = [0.0]
    for s in seps:
        offsets.append(offsets[-1] + s)
    fitted = _isotonic_l1([w - o for w, o in zip(wishes, offsets, strict=True)], weights)
    for item, y, o in zip(row, fitted, offsets, strict=True):
        x[item] = y + o


def _isotonic_l1(values: Sequence[float], weights: Sequence[float]) -> list[float]:
    """The non-decreasing sequence nearest `values` in weighted L1 (pool adjacent violators)."""
    blocks: list[tuple[list[tuple[float, float]], float]] = []
    for v, w in zip(values, weights, strict=True):
        blocks.append(([(v, w)], v))
        while len(blocks) > 1 and blocks[-2][1] > blocks[-1][1] + 1e-9:
            later, earlier = blocks.pop(), blocks.pop()
            pooled = earlier[0] + later[0]
            blocks.append((pooled, _weighted_median(pooled)))
    return [m for items, m in blocks for _ in items]


def _weighted_median(items: list[tuple[float, float]]) -> float:
    items = sorted(items)
    half = sum(w for _, w in items) / 2
    total = 0.0
    for k, (v, w) in enumerate(items):
        total += w
        if abs(total - half) < 1e-9 and k + 1 < len(items):
            return (v + items[k + 1][0]) / 2  # two medians: take the middle
        if total > half:
            return v
    return items[-1][0]


def _median(values: list[float]) -> float:
    s = sorted(values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2
