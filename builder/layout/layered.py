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
from heapq import heappop, heappush
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
    at: dict[tuple[str, ...], list[int]] = {}  # items by their groups: many share them
    for i, item in enumerate(row):
        at.setdefault(groups[item], []).append(i)
    sums: dict[str, float] = {}
    counts: dict[str, int] = {}
    for chain_, places in at.items():
        for path in chain_:
            sums[path] = sums.get(path, 0.0) + sum(places)
            counts[path] = counts.get(path, 0) + len(places)
    if not sums:
        return
    prefix = {chain_: tuple((sums[p] / counts[p], p) for p in chain_) for chain_ in at}
    keys = [(*prefix[groups[item]], (float(i), "")) for i, item in enumerate(row)]
    order = sorted(range(len(row)), key=keys.__getitem__)
    row[:] = [row[i] for i in order]


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
    # rows whose items all sit in the same groups need no gathering (their set never changes)
    mixed = [bool(groups) and len({groups[item] for item in row}) > 1 for row in rows]
    for row, gather in zip(rows, mixed, strict=True):
        row.sort(key=rank.__getitem__)
        if gather:
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
            if mixed[r]:
                _cluster(rows[r], groups)
        count = _crossings(rows, down)
        if count < fewest:
            best, fewest = [r[:] for r in rows], count
    rows[:] = best


def _crossings(rows: list[list[Item]], down) -> int:
    """Pairs of wires between neighbouring rows that cross: with the wires in order of their
    upper end (then lower), each wire crosses the earlier ones whose lower end lies strictly
    after its own (wires that share an end do not cross). Counted with a Fenwick tree: wide
    rows (DenseNet's many long wires) have thousands of wires between two rows."""
    total = 0
    for r in range(len(rows) - 1):
        pos = {item: i for i, item in enumerate(rows[r + 1])}
        ends = sorted((i, pos[t]) for i, item in enumerate(rows[r]) for t in down[item])
        size = len(rows[r + 1])
        tree = [0] * (size + 1)  # tree over lower ends: how many wires so far end at or before
        for seen, (_, b) in enumerate(ends):
            at_or_before, k = 0, b + 1
            while k > 0:
                at_or_before += tree[k]
                k -= k & -k
            total += seen - at_or_before
            k = b + 1
            while k <= size:
                tree[k] += 1
                k += k & -k
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

    def followed(item: Item, nbrs) -> tuple[Item, ...]:
        """The neighbours whose median the item wants: blocks before bend points; itself if none."""
        blocks = tuple(n for n in nbrs[item] if isinstance(n, str))
        return blocks or tuple(nbrs[item]) or (item,)

    # fixed for the whole placement: worked out once (DenseNet has 180,000 bend points)
    follows = {
        "up": [[followed(item, up) for item in row] for row in rows],
        "down": [[followed(item, down) for item in row] for row in rows],
    }
    weights = [[weight[i] if isinstance(i, str) else BEND_WEIGHT for i in row] for row in rows]

    def align(r: int, direction: str) -> None:
        wishes = [x[ns[0]] if len(ns) == 1 else _median([x[n] for n in ns]) for ns in follows[direction][r]]
        _fit_row(rows[r], seps[r], wishes, weights[r], x)

    for _ in range(_ALIGN_SWEEPS):
        for r in range(1, len(rows)):
            align(r, "up")
        for r in range(len(rows) - 2, -1, -1):
            align(r, "down")
    for r in range(1, len(rows)):
        align(r, "up")
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
    pools: list[_Pool] = []
    for v, w in zip(values, weights, strict=True):
        pools.append(_Pool(v, w))
        while len(pools) > 1 and pools[-2].median > pools[-1].median + 1e-9:
            later, earlier = pools.pop(), pools.pop()
            pools.append(earlier.merge(later))
    return [pool.median for pool in pools for _ in range(pool.count)]


class _Pool:
    """Pooled items (value, weight) and their weighted median: the first value, in sorted
    order, at which the running weight reaches half the total; where it makes exactly half,
    the middle of that value and the next. Kept in two heaps split at the median, so a row
    that pools hundreds of items (DenseNet's bend points) merges in O(n log^2 n), not O(n^2)."""

    __slots__ = ("above", "below", "count", "median", "weight", "weight_below")

    def __init__(self, value: float, weight: float):
        self.below: list[tuple[float, float]] = [(-value, -weight)]  # max-heap: the median at the top
        self.above: list[tuple[float, float]] = []  # min-heap of the rest
        self.weight_below = self.weight = weight
        self.count = 1
        self.median = value

    def merge(self, other: _Pool) -> _Pool:
        big, small = (self, other) if self.count >= other.count else (other, self)
        for v, w in [(-nv, -nw) for nv, nw in small.below] + small.above:
            if (v, w) <= (-big.below[0][0], -big.below[0][1]):
                heappush(big.below, (-v, -w))
                big.weight_below += w
            else:
                heappush(big.above, (v, w))
        big.weight += small.weight
        big.count += small.count
        big._rebalance()
        return big

    def _rebalance(self) -> None:
        half = self.weight / 2
        below, above = self.below, self.above
        while len(below) > 1 and self.weight_below + below[0][1] >= half - 1e-9:  # top not needed
            nv, nw = heappop(below)
            self.weight_below += nw
            heappush(above, (-nv, -nw))
        while self.weight_below < half - 1e-9 and above:
            v, w = heappop(above)
            self.weight_below += w
            heappush(below, (-v, -w))
        top = -below[0][0]
        tie = abs(self.weight_below - half) < 1e-9 and above
        self.median = (top + above[0][0]) / 2 if tie else top


def _median(values: list[float]) -> float:
    s = sorted(values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2
