"""Random graphs: valid ones must match torch node by node; invalid ones must be
reported, never crash inference or reach torch."""

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builder import CATALOG, Graph, InvalidGraphError, build_model, coerce_settings, infer


@pytest.fixture(autouse=True)
def _no_grad():
    with torch.no_grad():
        yield


SINGLE_INPUT = [t for t, s in CATALOG.items() if s.max_inputs == 1]


def block_params(draw, block_type):
    """Draw parameter values within each parameter's declared range, kept small."""
    params = {}
    for p in CATALOG[block_type].settings:
        if p.kind == "int":
            params[p.name] = draw(st.integers(1, 12)) if p.name != "groups" else draw(st.sampled_from([1, 2]))
        elif p.kind == "size2":
            small = st.integers(0, 1) if p.min == 0 else st.integers(1, 4)
            params[p.name] = draw(
                st.one_of(small, st.tuples(small, small)) if not p.optional else st.one_of(st.none(), small)
            )
        elif p.kind == "padding":
            params[p.name] = draw(st.one_of(st.integers(0, 2), st.sampled_from(["same", "valid"])))
        elif p.kind == "float":
            params[p.name] = draw(st.floats(p.min, min(p.max, 1.0)))
        elif p.kind == "bool":
            params[p.name] = draw(st.booleans())
        elif p.kind == "choice":
            params[p.name] = draw(st.sampled_from(p.choices))
    return params


@st.composite
def valid_graphs(draw):
    """Grow a graph one block at a time, keeping a block only if the graph stays valid,
    so the result has branches, merges and many block types."""
    graph = Graph()
    shape = (draw(st.integers(1, 4)), draw(st.integers(4, 20)), draw(st.integers(4, 20)))
    graph.add_node("Input", {"shape": shape})
    for _ in range(draw(st.integers(1, 14))):
        ids = list(graph.nodes)
        if len(ids) > 2 and draw(st.integers(0, 4)) == 0:
            block_type = draw(st.sampled_from(["Add", "Concat"]))
            sources = draw(st.lists(st.sampled_from(ids), min_size=2, max_size=3, unique=True))
        else:
            block_type = draw(st.sampled_from(SINGLE_INPUT))
            sources = [draw(st.sampled_from(ids[-4:]))]
        if CATALOG[block_type].input_rank == 1 and len(infer(graph).nodes[sources[0]].shape) == 3:
            flatten = graph.add_node("Flatten")
            graph.connect(sources[0], flatten.id)
            sources = [flatten.id]
        node = graph.add_node(block_type, block_params(draw, block_type))
        for s in sources:
            graph.connect(s, node.id)
        previous, graph.output = graph.output, node.id  # side branches stay, unused
        if not infer(graph).valid:
            graph.remove_node(node.id)
            graph.output = previous
    if len(graph.nodes) == 1:  # every addition was refused: a network needs a block
        graph.connect("input", graph.add_node("ReLU").id)
    return graph


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_graphs())
def test_valid_graphs_match_torch_at_every_node(graph):
    result = infer(graph)
    assert result.valid, result.errors
    model = build_model(graph, result).eval()
    outputs = model.forward_all(torch.randn(2, *result.input_shape))
    for nid, tensor in outputs.items():
        assert tuple(tensor.shape[1:]) == result.nodes[nid].shape, nid
    assert sum(p.numel() for p in model.parameters()) == sum(result.nodes[n].learnable for n in outputs)


@st.composite
def any_graphs(draw):
    """Arbitrary wiring: cycles, dangling nodes, several inputs, self-similar shapes."""
    graph = Graph()
    types = list(CATALOG)
    for _ in range(draw(st.integers(0, 10))):
        block_type = draw(st.sampled_from(types))
        graph.add_node(block_type, block_params(draw, block_type))
    ids = list(graph.nodes)
    if len(ids) >= 2:
        for _ in range(draw(st.integers(0, 15))):
            a, b = draw(st.sampled_from(ids)), draw(st.sampled_from(ids))
            if a != b and all((e.source, e.target) != (a, b) for e in graph.edges):
                graph.connect(a, b)
    return graph


@settings(max_examples=400, deadline=None)
@given(any_graphs())
def test_any_graph_is_inferred_without_crashing(graph):
    result = infer(graph)
    assert set(result.nodes) == set(graph.nodes)
    for info in result.nodes.values():
        assert info.status in ("ok", "error", "unknown")
        assert (info.status == "error") == (info.error is not None)
        assert (info.status == "ok") == (info.shape is not None)
    for issue in result.errors:
        assert issue.message and issue.fix, issue
    if result.valid:
        model = build_model(graph, result).eval()
        y = model(torch.randn(1, *result.input_shape))
        assert tuple(y.shape[1:]) == result.output_shape
    else:
        with pytest.raises(InvalidGraphError):
            build_model(graph, result)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_graphs())
def test_exported_code_of_random_graphs_computes_the_same(graph):
    from builder import export_python

    model = build_model(graph).eval()
    namespace: dict = {"__name__": "exported"}
    exec(compile(export_python(graph), "exported.py", "exec"), namespace)
    exported = namespace["Untitled"]().eval()
    exported.load_state_dict(model.state_dict())
    x = torch.randn(2, *model.input_shape)
    # bit-identical, NaN where the model makes NaN (e.g. LocalResponseNorm with k=0)
    torch.testing.assert_close(exported(x), model(x), rtol=0, atol=0, equal_nan=True)


def draw_edit(draw, graph: Graph) -> None:
    """One edit as the editor makes them, to any part of the graph (it may break it)."""
    ids = list(graph.nodes)
    kind = draw(
        st.sampled_from(
            ["settings", "one_setting", "frozen", "disconnect", "connect", "remove", "add", "output"]
        )
    )
    node = graph.nodes[draw(st.sampled_from(ids))] if ids else None
    if kind == "settings" and node is not None and node.type != "Input":
        node.settings = coerce_settings(node.type, block_params(draw, node.type))
    elif kind == "one_setting" and node is not None and node.settings:
        # changed in place, as a dict the caller still holds: inference must notice that too
        name = draw(st.sampled_from(sorted(node.settings)))
        drawn = block_params(draw, node.type) if node.type != "Input" else {"shape": (1, 9, 9)}
        if name in drawn:
            node.settings[name] = coerce_settings(node.type, {**node.settings, name: drawn[name]})[name]
    elif kind == "frozen" and node is not None:
        node.frozen = not node.frozen
    elif kind == "disconnect" and graph.edges:
        edge = draw(st.sampled_from(graph.edges))
        graph.disconnect(edge.source, edge.target)
    elif kind == "connect" and len(ids) >= 2:
        a, b = draw(st.sampled_from(ids)), draw(st.sampled_from(ids))
        if a != b and all((e.source, e.target) != (a, b) for e in graph.edges):
            graph.connect(a, b, draw(st.integers(0, len(graph.edges))))
    elif kind == "remove" and node is not None:
        graph.remove_node(node.id)
    elif kind == "add" and node is not None:
        block_type = draw(st.sampled_from(SINGLE_INPUT))
        graph.connect(node.id, graph.add_node(block_type, block_params(draw, block_type)).id)
    elif kind == "output":
        graph.output = draw(st.sampled_from([None, *ids]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(valid_graphs(), any_graphs()), st.data())
def test_inference_from_the_previous_result_equals_inference_afresh(graph, data):
    """The editor re-infers from the previous result after every edit (recomputing only what
    the edit can change): after any sequence of edits that must be exactly what a fresh
    inference of the graph gives."""
    result = infer(graph)
    for _ in range(data.draw(st.integers(1, 8))):
        draw_edit(data.draw, graph)
        result = infer(graph, result)
        assert result == infer(graph)
        assert type(result) is type(infer(graph))  # ValidInference exactly when valid
