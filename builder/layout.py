"""Automatic layered layout: any graph, arranged left to right or top to bottom.

Sugiyama-style in brief: each node's layer is its longest distance from a source, then
nodes within a layer are ordered by the mean position of their predecessors (a few
barycentre sweeps) so that branches stay side by side and wires rarely cross.
"""

from __future__ import annotations

from .graph import Graph

# Gaps suit blocks drawn about 200 x 66 units with a shape label beside each wire.
TB_GAPS = (260.0, 130.0)  # (across, along) the flow, top to bottom
LR_GAPS = (120.0, 310.0)


def auto_layout(graph: Graph, direction: str = "TB") -> dict[str, tuple[float, float]]:
    """Positions for every node; `direction` is "TB" (top to bottom) or "LR"."""
    if direction not in ("TB", "LR"):
        raise ValueError(f"direction must be 'TB' or 'LR', got {direction!r}")
    preds, succs = graph.adjacency()

    layer = _layers(graph, preds, succs)
    rows: dict[int, list[str]] = {}
    for nid in graph.nodes:
        rows.setdefault(layer[nid], []).append(nid)
    slot = {nid: float(i) for row in rows.values() for i, nid in enumerate(row)}
    for _ in range(4):
        for d in sorted(rows):
            row = rows[d]
            for nid in row:
                ps = [slot[p] for p in preds[nid] if layer[p] < d]
                if ps:
                    slot[nid] = sum(ps) / len(ps)
            row.sort(key=lambda n: slot[n])
            # keep siblings one slot apart, centred where their predecessors want them
            centre = sum(slot[n] for n in row) / len(row)
            for i, nid in enumerate(row):
                slot[nid] = centre + i - (len(row) - 1) / 2

    positions = {}
    for d, row in rows.items():
        for nid in row:
            across, along = TB_GAPS if direction == "TB" else LR_GAPS
            a, b = slot[nid] * across, d * along
            positions[nid] = (a, b) if direction == "TB" else (b, a)
    return positions


def _layers(graph: Graph, preds, succs) -> dict[str, int]:
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


def apply_layout(graph: Graph, direction: str = "TB") -> None:
    for nid, pos in auto_layout(graph, direction).items():
        graph.nodes[nid].pos = pos
