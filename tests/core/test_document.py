"""The graph file format: round trips, every kind of bad file, atomic saving."""

import json
import os

import pytest

from builder import (
    FORMAT,
    VERSION,
    GraphFormatError,
    chain,
    dumps_graph,
    load_graph,
    load_template,
    loads_graph,
    save_graph,
)


def lenet_text():
    return dumps_graph(load_template("lenet5"))


def test_round_trip_is_exact(tmp_path):
    for name in ["lenet5", "resnet18", "inception_block"]:
        graph = load_template(name)
        graph.nodes[next(iter(graph.nodes))].frozen = True
        save_graph(graph, tmp_path / "g.json")
        again = load_graph(tmp_path / "g.json")
        assert again == graph
        assert dumps_graph(again) == dumps_graph(graph)  # deterministic output


def test_document_is_versioned_and_readable():
    data = json.loads(lenet_text())
    assert data["format"] == FORMAT and data["version"] == VERSION
    conv = next(n for n in data["nodes"] if n["id"] == "conv1")
    # only non-default parameters are written, so files stay short and readable
    assert conv["params"] == {"out_channels": 6, "kernel_size": 5, "padding": 2}
    assert {"from": "input", "to": "conv1"} in data["edges"]


def problems_of(text):
    with pytest.raises(GraphFormatError) as e:
        loads_graph(text, "net.json")
    assert "net.json" in str(e.value)
    return e.value.problems


def test_truncated_file_says_where_and_why():
    text = lenet_text()
    (problem,) = problems_of(text[: len(text) // 2])
    assert "not valid JSON at line" in problem and "truncated" in problem


def test_wrong_format_and_versions():
    data = json.loads(lenet_text())
    assert "not a ConvCanvas graph" in problems_of(json.dumps({**data, "format": "keras"}))[0]
    assert "newer" in problems_of(json.dumps({**data, "version": VERSION + 1}))[0]
    assert "integer" in problems_of(json.dumps({**data, "version": "one"}))[0]
    assert "JSON object" in problems_of("[1, 2]")[0]


def test_unknown_types_and_bad_values_are_all_reported():
    data = json.loads(lenet_text())
    data["nodes"][1]["type"] = "Conv3d"
    data["nodes"][4]["params"] = {"kernel_size": -3, "out_channels": "many", "colour": "red"}
    data["edges"].append({"from": "conv1", "to": "ghost"})
    problems = problems_of(json.dumps(data))
    text = "\n".join(problems)
    assert "nodes[1] \"conv1\": unknown block type 'Conv3d'" in text
    assert "Conv2d" in text  # the known types are listed
    assert "kernel: expected an integer or [height, width]" in text and "-3" in text
    assert "filters: expected an integer" in text and "'many'" in text
    assert "no parameter 'colour'" in text
    assert "ghost" in text
    assert len(problems) >= 5


def test_duplicate_ids_and_bad_ids():
    data = json.loads(lenet_text())
    data["nodes"][2]["id"] = "conv1"
    assert any("used twice" in p for p in problems_of(json.dumps(data)))
    data = json.loads(lenet_text())
    data["nodes"][2]["id"] = "my layer"
    assert any("not usable" in p for p in problems_of(json.dumps(data)))


def test_missing_file_and_binary_file(tmp_path):
    with pytest.raises(GraphFormatError, match="does not exist"):
        load_graph(tmp_path / "nope.json")
    (tmp_path / "bin.json").write_bytes(b"\x89PNG\xff\xfe")
    with pytest.raises(GraphFormatError, match="not UTF-8"):
        load_graph(tmp_path / "bin.json")


def test_save_is_atomic_when_the_write_fails(tmp_path, monkeypatch):
    path = tmp_path / "net.json"
    save_graph(load_template("lenet5"), path)
    before = path.read_bytes()

    def crash(*_args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        save_graph(chain((1, 8, 8), "ReLU"), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["net.json"]  # no temp file left behind


def test_groups_origins_and_output_round_trip():
    graph = chain((1, 8, 8), "ReLU", "Tanh")
    graph.nodes["relu1"].group = "layer2.0"
    graph.nodes["relu1"].origin = "layer2.0.relu"
    graph.output = "tanh1"
    data = json.loads(dumps_graph(graph))
    assert data["version"] == 2 and data["output"] == "tanh1"
    assert data["nodes"][1]["group"] == "layer2.0" and data["nodes"][1]["origin"] == "layer2.0.relu"
    assert "group" not in data["nodes"][2]  # defaults stay out of the file
    again = loads_graph(dumps_graph(graph))
    assert again == graph and again.nodes["relu1"].group == "layer2.0" and again.output == "tanh1"


def test_version_1_files_open_with_the_output_version_1_chose():
    graph = chain((1, 8, 8), "ReLU", "Tanh")
    graph.connect("relu1", graph.add_node("Sigmoid").id)
    data = json.loads(dumps_graph(graph))
    assert "output" not in data  # nothing marked: the file says nothing, as version 1 files
    assert loads_graph(json.dumps(data)).output is None  # version 2 without a mark: ambiguous
    old = loads_graph(json.dumps({**data, "version": 1}))
    assert old.output == "sigmoid1"  # the last unused end in depth-first order
    assert json.loads(dumps_graph(old))["output"] == "sigmoid1"  # and now it is explicit


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"group": "layer2..0"}, "empty part"),
        ({"group": 3}, "group must be text"),
        ({"origin": "a\nb"}, "control characters"),
        ({"origin": "x" * 400}, "longer than"),
    ],
)
def test_bad_group_or_origin_is_refused_with_its_place(change, expected):
    data = json.loads(lenet_text())
    data["nodes"][1].update(change)
    (problem,) = problems_of(json.dumps(data))
    assert problem.startswith("nodes[1]") and expected in problem


def test_output_naming_no_node_is_refused():
    data = json.loads(lenet_text())
    data["output"] = "nowhere"
    (problem,) = problems_of(json.dumps(data))
    assert '"output"' in problem and "nowhere" in problem
