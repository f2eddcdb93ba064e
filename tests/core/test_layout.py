"""Layered layout and wire routing: cards never overlap, and every wire is visible: it runs
from its source's output port to its target's input port and passes under no other card."""

from itertools import pairwise

import pytest
import torchvision

from builder import (
    CARD_SIZE,
    Graph,
    WireRouter,
    auto_layout,
    chain,
    flow_direction,
    import_module,
    layered_layout,
    list_templates,
    load_template,
    port_offsets,
)

W, H = CARD_SIZE


def segment_crosses_rect(p, q, rect, inset=1.0) -> bool:
    """Whether the segment p-q enters the rectangle (x0, y0, x1, y1) shrunk by `inset`
    (Liang-Barsky clipping): touching a card's border at a port is not crossing it."""
    x0, y0, x1, y1 = rect[0] + inset, rect[1] + inset, rect[2] - inset, rect[3] - inset
    t0, t1 = 0.0, 1.0
    dx, dy = q[0] - p[0], q[1] - p[1]
    for edge_p, edge_q in ((-dx, p[0] - x0), (dx, x1 - p[0]), (-dy, p[1] - y0), (dy, y1 - p[1])):
        if edge_p == 0:
            if edge_q < 0:
                return False
            continue
        t = edge_q / edge_p
        if edge_p < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return False
    return True


def card_rect(pos):
    return (pos[0], pos[1], pos[0] + W, pos[1] + H)


def layout_problems(graph: Graph, direction: str) -> list[str]:
    layout = layered_layout(graph, direction)
    pos = layout.positions
    problems = []
    assert set(pos) == set(graph.nodes)
    ids = list(pos)
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            (ax, ay), (bx, by) = pos[a], pos[b]
            if abs(ax - bx) < W and abs(ay - by) < H:
                problems.append(f"cards {a} and {b} overlap")
    in_port, out_port = port_offsets(direction)
    assert set(layout.routes) == {(e.source, e.target) for e in graph.edges}
    for (s, t), route in layout.routes.items():
        start = (pos[s][0] + out_port[0], pos[s][1] + out_port[1])
        end = (pos[t][0] + in_port[0], pos[t][1] + in_port[1])
        if route[0] != pytest.approx(start) or route[-1] != pytest.approx(end):
            problems.append(f"{s}->{t} runs {route[0]}..{route[-1]}, not port {start}..{end}")
        for p, q in pairwise(route):
            assert p[0] == pytest.approx(q[0]) or p[1] == pytest.approx(q[1]), f"{s}->{t} is not orthogonal"
            for nid in ids:
                if nid not in (s, t) and segment_crosses_rect(p, q, card_rect(pos[nid])):
                    problems.append(f"{s}->{t} passes under {nid} ({p} -> {q})")
    return problems


@pytest.fixture(scope="module")
def resnet50() -> Graph:
    return import_module(torchvision.models.resnet50(weights=None), (3, 224, 224)).graph


@pytest.mark.parametrize("direction", ["TB", "LR"])
@pytest.mark.parametrize("name", [name for name, _ in list_templates()])
def test_templates_lay_out_with_every_wire_visible(name, direction):
    assert layout_problems(load_template(name), direction) == []


@pytest.mark.parametrize("direction", ["TB", "LR"])
def test_imported_resnet50_lays_out_with_every_wire_visible(resnet50, direction):
    assert len(resnet50.nodes) > 150
    assert layout_problems(resnet50, direction) == []


@pytest.mark.parametrize("direction", ["TB", "LR"])
def test_resnet18_skip_wires_take_a_lane_beside_the_main_column(direction):
    graph = load_template("resnet18")
    layout = layered_layout(graph, direction)
    across = 0 if direction == "TB" else 1
    main_line = {layout.positions[n][across] for n in graph.nodes if n.startswith("layer")}
    column = layout.positions["input"][across]
    assert column in main_line
    skips = [(s, t) for (s, t) in layout.routes if t.startswith("add") and not s.endswith("bn2")]
    assert len(skips) == 8
    for key in skips:
        route = layout.routes[key]
        side = max(abs(p[across] - route[0][across]) for p in route)
        size = CARD_SIZE[across]
        assert side > size / 2, f"{key} runs along the main column: {route}"
    # the main column stays straight: every block of a stage's first unit but the shortcut
    column_blocks = [n for n in graph.nodes if "downsample" not in n]
    assert {layout.positions[n][across] for n in column_blocks} == {column}


def test_a_chain_is_one_straight_column_or_row():
    graph = chain((1, 28, 28), ("Conv2d", {"out_channels": 4, "kernel_size": 3}), "ReLU", "Flatten")
    tb, lr = auto_layout(graph, "TB"), auto_layout(graph, "LR")
    assert len({x for x, _ in tb.values()}) == 1 and len({y for _, y in tb.values()}) == 4
    assert len({y for _, y in lr.values()}) == 1 and len({x for x, _ in lr.values()}) == 4
    with pytest.raises(ValueError, match="direction"):
        auto_layout(graph, "BT")


def test_the_router_goes_round_a_card_moved_onto_a_wire():
    graph = chain((1, 28, 28), "ReLU", "ReLU")
    positions = auto_layout(graph)
    router = WireRouter(positions)
    router.remove("relu1")
    assert router.route("input", "relu2") == [(W / 2, H), (W / 2, positions["relu2"][1])]
    # relu1 put back on that straight line: the wire detours beside it
    router.place("relu1", positions["relu1"])
    route = router.route("input", "relu2")
    assert len(route) == 6 and router.crossed_cards(route, ("input", "relu2")) == []
    # a wire backwards (target above its source) goes round both of its cards
    back = router.route("relu2", "input")
    assert back[0] == (W / 2, positions["relu2"][1] + H) and back[-1] == (W / 2, 0.0)
    assert router.crossed_cards(back[1:-1]) == []


def test_flow_direction_follows_the_layout_and_resists_a_single_drag():
    graph = load_template("resnet18")
    assert flow_direction(graph) == "TB"
    for nid, pos in auto_layout(graph, "LR").items():
        graph.nodes[nid].pos = pos
    assert flow_direction(graph) == "LR" and flow_direction(graph, "TB") == "LR"
    x, _y = graph.nodes["fc"].pos
    graph.nodes["fc"].pos = (x - 300, 400.0)  # one wire now runs downwards
    assert flow_direction(graph, "LR") == "LR"


def test_row_placement_and_crossing_counts_agree_with_the_plain_definitions():
    """The layout's two inner loops are written for DenseNet's 180,000 bend points (heaps,
    a Fenwick tree); on small random rows they must give exactly what the plain definitions
    give: pool adjacent violators re-sorting every pool, and every pair of wires compared."""
    import random

    from builder.layout.layered import _crossings, _isotonic_l1

    def weighted_median(items):
        items = sorted(items)
        half = sum(w for _, w in items) / 2
        total = 0.0
        for k, (v, w) in enumerate(items):
            total += w
            if abs(total - half) < 1e-9 and k + 1 < len(items):
                return (v + items[k + 1][0]) / 2
            if total > half:
                return v
        return items[-1][0]

    def plain_isotonic(values, weights):
        pools = []
        for v, w in zip(values, weights, strict=True):
            pools.append(([(v, w)], v))
            while len(pools) > 1 and pools[-2][1] > pools[-1][1] + 1e-9:
                later, earlier = pools.pop(), pools.pop()
                pooled = earlier[0] + later[0]
                pools.append((pooled, weighted_median(pooled)))
        return [m for items, m in pools for _ in items]

    def plain_crossings(rows, down):
        total = 0
        for upper, lower in pairwise(rows):
            pos = {item: i for i, item in enumerate(lower)}
            wires = [(i, pos[t]) for i, item in enumerate(upper) for t in down[item]]
            total += sum(
                1 for k, (a, b) in enumerate(wires) for c, d in wires[k + 1 :] if (a - c) * (b - d) < 0
            )
        return total

    rng = random.Random(7)
    for _ in range(3000):
        n = rng.randint(1, 25)
        values = [rng.choice([rng.uniform(-50, 50), float(rng.randint(-4, 4))]) for _ in range(n)]
        weights = [rng.choice([100.0, 1.0, 0.5]) for _ in range(n)]  # the layout's weights
        assert _isotonic_l1(values, weights) == plain_isotonic(values, weights)
        rows = [[(r, i) for i in range(rng.randint(0, 8))] for r in range(rng.randint(1, 4))]
        down = {item: [] for row in rows for item in row}
        for upper, lower in pairwise(rows):
            for item in upper:
                down[item] = rng.sample(lower, rng.randint(0, min(3, len(lower))))
        for row in rows:
            rng.shuffle(row)
        assert _crossings(rows, down) == plain_crossings(rows, down)


def test_the_scan_for_a_long_lane_finds_the_cards_the_spatial_hash_finds():
    """Long wires (DenseNet's) look up the cards beside a lane by bisection instead of walking
    the spatial hash: the same cards, wherever the lane is."""
    import random

    from builder.layout.routing import WireRouter

    rng = random.Random(3)
    router = WireRouter({f"n{i}": (rng.uniform(-800, 800), rng.uniform(0, 6000)) for i in range(300)})
    for _ in range(400):
        lo = rng.uniform(-100, 3000)
        hi = lo + rng.uniform(1100, 3000)  # long enough to take the bisection
        skip = set(rng.sample(sorted(router._rects), 5))
        beside = router._cards_along(lo, hi, skip)
        for lane in [rng.uniform(-900, 1000) for _ in range(20)] + [router._rects["n1"][0] - 19.0]:
            assert sorted(beside(lane)) == sorted(router._hits((lane, lo), (lane, hi), skip))
