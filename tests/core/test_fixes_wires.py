"""Wires that do not fit, their one-click fixes, and where new blocks go (no Qt)."""

import pytest

from builder import (
    CARD_SIZE,
    CATALOG,
    Graph,
    InsertBetween,
    MarkOutput,
    bypass,
    fix_for,
    free_spot,
    infer,
    insert_fits,
    load_template,
    make_room,
    output_candidates,
    wire_problems,
)
from builder.fixes import FIX_RULES


def apply(graph: Graph, fix) -> None:
    """Apply a fix's edits as the editor does, on the graph itself."""
    for edit in fix.edits:
        if isinstance(edit, InsertBetween):
            index = graph.disconnect(edit.source, edit.target)
            node = graph.add_node(edit.block_type, dict(edit.settings))
            graph.connect(edit.source, node.id)
            graph.connect(node.id, edit.target, index)
        elif isinstance(edit, MarkOutput):
            graph.output = edit.node
        else:
            graph.set_settings(edit.node, edit.settings)


def two_branches(left: tuple[int, int], right: tuple[int, int], join: str) -> Graph:
    """input (8x32x32) -> conv a (channels, stride), input -> conv b, a and b -> join."""
    graph = Graph()
    graph.add_node("Input", {"shape": (8, 32, 32)}, node_id="input")
    for name, (channels, stride) in (("a", left), ("b", right)):
        graph.add_node("Conv2d", {"out_channels": channels, "kernel_size": 1, "stride": stride}, node_id=name)
        graph.connect("input", name)
    graph.add_node(join, node_id="join")
    graph.connect("a", "join")
    graph.connect("b", "join")
    return graph


def test_a_linear_fed_an_image_marks_its_wire_and_flatten_fixes_it():
    graph = load_template("lenet5")
    graph.remove_node("flatten1")
    graph.connect("tanh3", "fc1")
    result = infer(graph)
    problems = wire_problems(graph, result)
    assert list(problems) == [("tanh3", "fc1")]
    problem = problems[("tanh3", "fc1")]
    assert problem.issue.code == "needs_flatten" and "Linear needs a flat vector" in problem.issue.message
    assert problem.fix.edits == (InsertBetween("tanh3", "fc1", "Flatten"),)
    apply(graph, problem.fix)
    assert infer(graph).valid and not wire_problems(graph, infer(graph))


@pytest.mark.parametrize("join", ["Add", "Concat"])
def test_branches_of_two_sizes_get_pooling_on_the_larger(join):
    graph = two_branches((16, 1), (16, 2), join)  # a: 16x32x32, b: 16x16x16
    result = infer(graph)
    assert result.errors[0].code == ("add_shapes" if join == "Add" else "concat_spatial")
    assert "match_sizes" in CATALOG[join].fixes
    problems = wire_problems(graph, result)
    assert list(problems) == [("a", "join")]  # only the wire the fix changes is marked
    fix = problems[("a", "join")].fix
    assert fix.edits == (InsertBetween("a", "join", "AvgPool2d", {"kernel_size": 2}),)
    apply(graph, fix)
    fixed = infer(graph)
    assert fixed.valid and fixed.nodes["join"].shape == ((16, 16, 16) if join == "Add" else (32, 16, 16))


def test_an_add_of_other_sizes_and_channels_gets_a_projection_shortcut():
    graph = two_branches((8, 1), (16, 2), "Add")  # a: 8x32x32, b: 16x16x16
    fix = fix_for(graph, infer(graph), infer(graph).errors[0])
    assert fix.edits == (
        InsertBetween(
            "a", "join", "Conv2d", {"out_channels": 16, "kernel_size": 1, "stride": 2, "bias": False}
        ),
    )
    apply(graph, fix)
    assert infer(graph).valid


def test_sizes_that_are_no_whole_multiple_get_no_fix():
    graph = two_branches((16, 1), (16, 3), "Add")  # 32 is not a multiple of 11
    result = infer(graph)
    assert FIX_RULES["match_sizes"].plan(graph, result, graph.nodes["join"]) is None
    assert set(wire_problems(graph, result)) == {("a", "join"), ("b", "join")}  # no fix: every wire


def test_a_setting_to_blame_marks_the_block_not_its_wire():
    graph = load_template("lenet5")
    graph.set_settings("conv3", {"kernel_size": 7})
    assert not wire_problems(graph, infer(graph))


def test_an_ambiguous_output_is_fixed_by_marking_the_likeliest_block():
    graph = load_template("lenet5")
    graph.output = None  # the template marks fc2; unmarked, two unused outputs are ambiguous
    graph.add_node("ReLU", node_id="side")
    graph.connect("conv1", "side")
    result = infer(graph)
    (issue,) = result.errors
    assert issue.code == "ambiguous_output"
    assert output_candidates(graph, result) == ["fc2", "side"]
    fix = fix_for(graph, result, issue)
    assert fix.edits == (MarkOutput("fc2"),)
    apply(graph, fix)
    assert infer(graph).valid and infer(graph).output == "fc2"


def test_deleting_a_block_can_join_its_neighbours_when_shapes_allow():
    graph = load_template("lenet5")
    assert bypass(graph, "tanh1") == [("conv1", "avgpool1", 1)]
    assert bypass(graph, "flatten1") == []  # Linear cannot take 120x1x1
    assert bypass(graph, "input") == []


def test_insert_fits_only_where_shapes_allow():
    graph = load_template("lenet5")
    assert insert_fits(graph, "conv1", "tanh1", "BatchNorm2d")
    assert not insert_fits(graph, "fc1", "tanh4", "BatchNorm2d")  # needs C x H x W
    assert not insert_fits(graph, "tanh3", "flatten1", "Linear")  # Linear needs a flat vector


def test_make_room_moves_the_cards_below_and_only_when_needed():
    chain = {"a": (0.0, 0.0), "b": (0.0, 130.0), "c": (0.0, 260.0), "side": (400.0, 0.0)}
    assert make_room(chain, (0.0, 390.0)) == {}  # below the end: free
    moves = make_room(chain, (0.0, 130.0))
    assert moves == {"b": (0.0, 260.0), "c": (0.0, 390.0)}
    across = make_room({"a": (0.0, 0.0), "b": (310.0, 0.0)}, (310.0, 0.0), "LR")
    assert across == {"b": (620.0, 0.0)}


def test_free_spot_is_the_nearest_place_that_covers_nothing():
    cards = [(0.0, 0.0), (0.0, 130.0)]
    assert free_spot(cards, (0.0, 300.0)) == (0.0, 300.0)
    x, y = free_spot(cards, (40.0, 40.0))
    w, h = CARD_SIZE
    assert all(x >= cx + w or x + w <= cx or y >= cy + h or y + h <= cy for cx, cy in cards)
    assert abs(x - 40) + abs(y - 40) < 300
