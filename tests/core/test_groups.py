"""Groups without Qt: the group tree, what a collapsed group's card shows (against inference),
which selections can become a group, the file format, and layouts whose cards and frames never
overlap, with groups expanded or collapsed."""

import pytest

from builder import (
    CARD_SIZE,
    Graph,
    GraphFormatError,
    GroupingRefused,
    WireRouter,
    apply_layout,
    card_key,
    collapsed_after,
    collapsed_cards,
    dumps_graph,
    group_paths,
    group_summary,
    grouping,
    hidden_in,
    infer,
    layered_layout,
    list_templates,
    load_template,
    loads_graph,
    members,
    port_offsets,
    room_moves,
    ungrouping,
    within,
)

W, H = CARD_SIZE
GROUPED = [name for name, graph in list_templates() if any(n.group for n in graph.nodes.values())]


def overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def inside(a, b) -> bool:
    return b[0] <= a[0] and b[1] <= a[1] and a[2] <= b[2] and a[3] <= b[3]


def overlaps(graph: Graph, direction: str) -> list[str]:
    """Cards (blocks, and collapsed groups' cards) that overlap each other or a frame they are
    not in; frames that overlap without one holding the other; cards outside their frames."""
    layout = layered_layout(graph, direction)
    owner = hidden_in(graph)
    cards = {n: (x, y, x + W, y + H) for n, (x, y) in layout.positions.items() if n not in owner}
    group = {n: graph.nodes[n].group for n in cards}
    for path, (x, y) in layout.cards.items():
        cards[card_key(path)] = (x, y, x + W, y + H)
        group[card_key(path)] = path.rpartition(".")[0]
    found = []
    ids = list(cards)
    for i, a in enumerate(ids):
        found += [f"cards {a} and {b} overlap" for b in ids[i + 1 :] if overlap(cards[a], cards[b])]
    frames = layout.frames
    paths = list(frames)
    for i, a in enumerate(paths):
        for b in paths[i + 1 :]:
            outer, inner = (a, b) if within(b, a) else (b, a) if within(a, b) else (None, None)
            if outer is not None:
                if not inside(frames[inner], frames[outer]):
                    found.append(f"frame {inner} sticks out of {outer}")
            elif overlap(frames[a], frames[b]):
                found.append(f"frames {a} and {b} overlap")
    for path, box in frames.items():
        for card, rect in cards.items():
            if within(group[card], path):
                if not inside(rect, box):
                    found.append(f"{card} is outside its frame {path}")
            elif overlap(rect, box):
                found.append(f"{card} overlaps frame {path}")
    return found


# -- the tree ----------------------------------------------------------------------------


def test_resnet18_has_its_torchvision_groups():
    graph = load_template("resnet18")
    paths = group_paths(graph)
    assert paths[:3] == ["layer1", "layer1.0", "layer1.1"]
    assert {p for p in paths if "." not in p} == {"layer1", "layer2", "layer3", "layer4"}
    assert len(paths) == 12
    assert members(graph, "layer2.0")[0] == "layer2_0_conv1"
    assert set(members(graph, "layer2")) == set(members(graph, "layer2.0")) | set(members(graph, "layer2.1"))
    assert graph.nodes["fc"].group == ""
    assert within("layer2.0", "layer2") and not within("layer20", "layer2")


def test_templates_use_groups():
    assert {"resnet18", "inception_block", "vgg16", "alexnet", "cifar_cnn"} <= set(GROUPED)
    inception = load_template("inception_block")
    assert set(group_paths(inception)) == {"inception3a"} | {f"inception3a.branch{i}" for i in range(1, 5)}
    assert group_paths(load_template("vgg16"))[:5] == [f"block{i}" for i in range(1, 6)]


# -- what a collapsed card shows ----------------------------------------------------------


@pytest.mark.parametrize("path", ["layer1", "layer2", "layer2.0", "layer4.1"])
def test_group_summary_matches_inference(path):
    graph = load_template("resnet18")
    result = infer(graph)
    summary = group_summary(graph, path, result)
    blocks = members(graph, path)
    assert summary.blocks == tuple(blocks)
    assert summary.params == sum(result.nodes[n].learnable for n in blocks)
    inside_ = set(blocks)
    first, last = blocks[0], [n for n in blocks if not set(graph.outputs_of(n)) <= inside_]
    (source,) = [s for s in graph.inputs_of(first)]
    assert summary.inputs == (source,)
    assert summary.input_shapes == (result.nodes[source].shape,)
    assert summary.outputs == tuple(last)
    assert summary.output_shapes == tuple(result.nodes[n].shape for n in last)


def test_layer2_of_resnet18_reads_as_torchvision_counts_it():
    graph = load_template("resnet18")
    summary = group_summary(graph, "layer2", infer(graph))
    assert summary.input_shapes == ((64, 56, 56),)
    assert summary.output_shapes == ((128, 28, 28),)
    assert summary.params == 525_568  # sum(p.numel() for p in torchvision resnet18().layer2.parameters())


def test_a_group_holding_the_input_or_the_output_shows_them():
    graph = load_template("alexnet")
    result = infer(graph)
    classifier = group_summary(graph, "classifier", result)
    assert classifier.output_shapes == ((1000,),)  # nothing outside uses it: it is the network's
    graph.nodes["input"].group = "features"
    features = group_summary(graph, "features", infer(graph))
    assert features.input_shapes == ((3, 224, 224),)


# -- making and removing groups --------------------------------------------------------


def test_grouping_nests_in_the_deepest_common_group_and_ungrouping_undoes_it():
    graph = load_template("resnet18")
    chosen = members(graph, "layer1.0") + members(graph, "layer1.1")
    path, new = grouping(graph, chosen, "pair")
    assert path == "layer1.pair"
    assert new["layer1_0_conv1"] == "layer1.pair.0" and new["layer1_1_relu2"] == "layer1.pair.1"
    before = {n: graph.nodes[n].group for n in graph.nodes}
    for n, g in new.items():
        graph.nodes[n].group = g
    for n, g in ungrouping(graph, "layer1.pair").items():
        graph.nodes[n].group = g
    assert {n: graph.nodes[n].group for n in graph.nodes} == before


def test_grouping_top_level_blocks_makes_a_top_level_group():
    graph = load_template("resnet18")
    path, new = grouping(graph, ["conv1", "bn1", "relu1"], "stem")
    assert path == "stem" and set(new.values()) == {"stem"}


@pytest.mark.parametrize(
    "chosen, name, says",
    [
        ([], "g", "select the blocks"),
        (["conv1", "bn1"], "", "needs a name"),
        (["conv1", "bn1"], "a.b", "without dots"),
        (["conv1", "bn1"], "layer1", "already exists at the top level"),
        (["pool1", "layer1_0_conv1"], "g", "takes part of group layer1"),
        (["conv1", "relu1"], "g", "bn1 lies between the selected blocks"),
    ],
)
def test_grouping_refuses_with_the_reason(chosen, name, says):
    graph = load_template("resnet18")
    with pytest.raises(GroupingRefused, match=says):
        grouping(graph, chosen, name)


def test_a_collapsed_group_keeps_its_state_when_it_moves_into_a_new_group():
    graph = load_template("resnet18")
    graph.collapsed = {"layer1.0", "layer2"}
    _, new = grouping(graph, members(graph, "layer1.0") + members(graph, "layer1.1"), "pair")
    assert collapsed_after(graph, new) == {"layer1.pair.0", "layer2"}
    assert collapsed_after(graph, ungrouping(graph, "layer2"), removed="layer2") == {"layer1.0"}


# -- the file format ------------------------------------------------------------------


def test_groups_and_collapsed_state_survive_saving():
    graph = load_template("resnet18")
    graph.collapsed = {"layer2", "layer3.1", "gone"}  # a group with no blocks is not written
    text = dumps_graph(graph)
    again = loads_graph(text)
    assert again.collapsed == {"layer2", "layer3.1"}
    assert {n: again.nodes[n].group for n in again.nodes} == {n: graph.nodes[n].group for n in graph.nodes}


def test_files_without_collapsed_groups_open_expanded_and_bad_ones_say_why():
    text = dumps_graph(load_template("resnet18"))
    assert '"collapsed"' not in text
    assert loads_graph(text).collapsed == set()
    v1 = text.replace('"version": 2', '"version": 1')
    assert loads_graph(v1).collapsed == set()
    bad = text.replace('"nodes": [', '"collapsed": ["layer1..0", 3],\n  "nodes": [', 1)
    with pytest.raises(GraphFormatError) as e:
        loads_graph(bad)
    assert any("collapsed[0]" in p and "empty part" in p for p in e.value.problems)
    assert any("collapsed[1] must be text" in p for p in e.value.problems)


# -- layout ----------------------------------------------------------------------------


def collapse_sets(graph: Graph):
    paths = group_paths(graph)
    return [
        set(),
        {p for p in paths if "." not in p},  # the outer groups
        {p for p in paths if "." in p},  # the inner ones
        {paths[0]},
        {paths[-1]},
    ]


@pytest.mark.parametrize("direction", ["TB", "LR"])
@pytest.mark.parametrize("name", GROUPED)
def test_cards_and_frames_never_overlap(name, direction):
    graph = load_template(name)
    for folded in collapse_sets(graph):
        graph.collapsed = folded
        assert overlaps(graph, direction) == [], sorted(folded)


@pytest.mark.parametrize("direction", ["TB", "LR"])
def test_wires_into_a_collapsed_group_run_to_its_card(direction):
    graph = load_template("resnet18")
    graph.collapsed = {"layer2"}
    layout = layered_layout(graph, direction)
    (cx, cy) = layout.cards["layer2"]
    in_port, out_port = port_offsets(direction)
    into = layout.routes[("layer1_1_relu2", "layer2_0_conv1")]
    assert into[-1] == pytest.approx((cx + in_port[0], cy + in_port[1]))
    out = layout.routes[("layer2_1_relu2", "layer3_0_conv1")]
    assert out[0] == pytest.approx((cx + out_port[0], cy + out_port[1]))
    assert layout.cards == collapsed_cards(graph, layout.positions, direction)
    assert "layer2" not in layout.frames and "layer2.0" not in layout.frames


def test_collapsing_closes_the_gap_and_expanding_makes_room_again():
    graph = load_template("resnet18")
    before = {n: node.pos for n, node in graph.nodes.items()}
    moves = room_moves(graph, "layer2", collapse=True)
    assert set(moves) == set(members(graph, "layer3")) | set(members(graph, "layer4")) | {
        "adapool1",
        "flatten1",
        "fc",
    }
    assert all(moves[n][1] < before[n][1] for n in moves)
    for n, p in moves.items():
        graph.nodes[n].pos = p
    graph.collapsed = {"layer2"}
    assert overlaps(graph, "TB") == []
    for n, p in room_moves(graph, "layer2", collapse=False).items():
        graph.nodes[n].pos = p
    graph.collapsed = set()
    after = {n: node.pos for n, node in graph.nodes.items()}
    assert {n: (round(x, 1), round(y, 1)) for n, (x, y) in after.items()} == before


def test_layout_keeps_a_group_together_in_its_rows():
    """Four parallel blocks whose depth-first order interleaves two nested groups are reordered
    so that each group's blocks sit side by side, with room for three frames between them."""
    graph = Graph()
    source = graph.add_node("Input", {"shape": (3, 8, 8)}).id
    cat = graph.add_node("Concat")
    for group in ("a.b.c", "d.e.f", "a.b.c", "d.e.f"):
        node = graph.add_node("ReLU", group=group)
        graph.connect(source, node.id)
        graph.connect(node.id, cat.id)
    for direction in ("TB", "LR"):
        assert overlaps(graph, direction) == []
    apply_layout(graph)
    xs = {name: sorted(graph.nodes[n].pos[0] for n in members(graph, name)) for name in ("a", "d")}
    assert xs["a"][1] < xs["d"][0] or xs["d"][1] < xs["a"][0]


def test_a_wire_routed_alone_runs_to_the_card_its_block_is_folded_into():
    graph = load_template("resnet18")
    graph.collapsed = {"layer2"}
    layout = layered_layout(graph)
    router = WireRouter(layout.positions)
    router.place(card_key("layer2"), layout.cards["layer2"])
    for n in members(graph, "layer2"):
        router.hide(n, card_key("layer2"))
    (cx, cy), (px, py) = layout.cards["layer2"], port_offsets("TB")[0]
    assert router.route("layer1_1_relu2", "layer2_0_conv1")[-1] == pytest.approx((cx + px, cy + py))
    assert router.card_of("layer2_0_bn1") == card_key("layer2")
    router.unhide("layer2_0_bn1")
    assert router.card_of("layer2_0_bn1") == "layer2_0_bn1"
