"""Writes the corpus of broken graph files that `tests/core/test_bad_files.py` loads.

Each file is something a user could really open: a truncated download, a file from another
program, a hand edit gone wrong, a hostile file. Loading must refuse every one with
`GraphFormatError` (the CLI with exit status 2) and a message; never anything else.

The test writes them afresh into a temporary folder; to look at them yourself:
python tests/corpus/make_bad_files.py /tmp/bad
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _graph(nodes=None, edges=None, **top):
    doc = {
        "format": "convcanvas-graph",
        "version": 1,
        "name": "bad",
        "nodes": nodes
        if nodes is not None
        else [
            {"id": "input", "type": "Input", "params": {"shape": [1, 28, 28]}, "pos": [0, 0]},
            {"id": "conv1", "type": "Conv2d", "params": {"out_channels": 6}, "pos": [0, 130]},
        ],
        "edges": edges if edges is not None else [{"from": "input", "to": "conv1"}],
    }
    doc.update(top)
    return doc


def _node(**fields):
    return _graph(
        nodes=[{"id": "input", "type": "Input", "params": {"shape": [1, 28, 28]}}, fields], edges=[]
    )


CASES: dict[str, str | bytes | dict] = {
    # not a graph at all
    "empty.json": "",
    "not_json.json": "this is not JSON",
    "truncated.json": json.dumps(_graph())[:70],
    "binary.json": bytes(range(256)) * 4,
    "utf16.json": json.dumps(_graph()).encode("utf-16"),
    "top_list.json": "[1, 2, 3]",
    "top_number.json": "42",
    "top_string.json": '"graph"',
    "deep_nesting.json": "[" * 200_000 + "]" * 200_000,
    "nan_literal.json": json.dumps(_graph()).replace('"pos": [0, 0]', '"pos": [NaN, 0]', 1),
    "infinity_literal.json": json.dumps(_graph()).replace('"pos": [0, 0]', '"pos": [Infinity, 0]', 1),
    "huge_integer_version.json": json.dumps(_graph()).replace('"version": 1', '"version": ' + "9" * 5000),
    # the envelope
    "wrong_format.json": _graph(format="keras-model"),
    "format_list.json": _graph(format=["convcanvas-graph"]),
    "version_text.json": _graph(version="1"),
    "version_bool.json": _graph(version=True),
    "version_zero.json": _graph(version=0),
    "version_future.json": _graph(version=99),
    "name_list.json": _graph(name=["a", "b"]),
    "description_number.json": _graph(description=12),
    "nodes_object.json": _graph(nodes={"input": {}}),
    "nodes_missing.json": {"format": "convcanvas-graph", "version": 1},
    "too_many_nodes.json": _graph(nodes=[{"id": f"n{i}", "type": "ReLU"} for i in range(100_001)], edges=[]),
    # node ids
    "node_not_object.json": _graph(nodes=["input", 3, None], edges=[]),
    "id_missing.json": _node(type="ReLU"),
    "id_number.json": _node(id=7, type="ReLU"),
    "id_list.json": _node(id=["relu1"], type="ReLU"),
    "id_empty.json": _node(id="", type="ReLU"),
    "id_keyword.json": _node(id="class", type="ReLU"),
    "id_reserved.json": _node(id="forward", type="ReLU"),
    "id_trailing_newline.json": _node(id="relu1\n", type="ReLU"),
    "id_space.json": _node(id="relu 1", type="ReLU"),
    "id_underscore.json": _node(id="_private", type="ReLU"),
    "id_too_long.json": _node(id="r" * 5000, type="ReLU"),
    "id_duplicate.json": _graph(
        nodes=[
            {"id": "input", "type": "Input", "params": {"shape": [1, 28, 28]}},
            {"id": "input", "type": "ReLU"},
        ],
        edges=[],
    ),
    # block types
    "type_missing.json": _node(id="relu1"),
    "type_list.json": _node(id="relu1", type=["ReLU"]),
    "type_object.json": _node(id="relu1", type={"name": "ReLU"}),
    "type_unknown.json": _node(id="relu1", type="Transformer"),
    "type_lowercase.json": _node(id="relu1", type="relu"),
    # settings
    "params_list.json": _node(id="conv1", type="Conv2d", params=[6, 5]),
    "params_text.json": _node(id="conv1", type="Conv2d", params="6 filters"),
    "param_unknown.json": _node(id="conv1", type="Conv2d", params={"filters": 6}),
    "param_null.json": _node(id="conv1", type="Conv2d", params={"out_channels": None}),
    "param_negative.json": _node(id="conv1", type="Conv2d", params={"out_channels": -4}),
    "param_zero_kernel.json": _node(id="conv1", type="Conv2d", params={"kernel_size": 0}),
    "param_text_number.json": _node(id="conv1", type="Conv2d", params={"out_channels": "6"}),
    "param_bool_for_int.json": _node(id="conv1", type="Conv2d", params={"out_channels": True}),
    "param_float_for_int.json": _node(id="conv1", type="Conv2d", params={"out_channels": 6.5}),
    "param_huge_int.json": json.dumps(_node(id="conv1", type="Conv2d", params={"out_channels": 1})).replace(
        '"out_channels": 1', '"out_channels": ' + "7" * 4000
    ),
    "param_float_overflow.json": json.dumps(_node(id="drop1", type="Dropout", params={"p": 0.5})).replace(
        '"p": 0.5', '"p": 1e400'
    ),
    "param_bad_choice.json": _node(id="gelu1", type="GELU", params={"approximate": "fast"}),
    "param_padding_word.json": _node(id="conv1", type="Conv2d", params={"padding": "full"}),
    "param_size_triple.json": _node(id="conv1", type="Conv2d", params={"kernel_size": [3, 3, 3]}),
    "input_shape_rank.json": _graph(nodes=[{"id": "input", "type": "Input", "params": {"shape": [28, 28]}}]),
    "input_shape_huge.json": _graph(
        nodes=[{"id": "input", "type": "Input", "params": {"shape": [1, 10**7, 10**7]}}], edges=[]
    ),
    # positions and flags
    "pos_text.json": _node(id="relu1", type="ReLU", pos=["a", 1]),
    "pos_short.json": _node(id="relu1", type="ReLU", pos=[1]),
    "pos_object.json": _node(id="relu1", type="ReLU", pos={"x": 1, "y": 2}),
    "pos_bool.json": _node(id="relu1", type="ReLU", pos=[True, 0]),
    "pos_far.json": _node(id="relu1", type="ReLU", pos=[1e300, 0]),
    "pos_overflow.json": json.dumps(_node(id="relu1", type="ReLU", pos=[0, 0])).replace(
        "[0, 0]", "[1e400, 0]"
    ),
    "pos_huge_int.json": json.dumps(_node(id="relu1", type="ReLU", pos=[0, 0])).replace(
        "[0, 0]", "[" + "9" * 400 + ", 0]"
    ),
    "frozen_text.json": _node(id="relu1", type="ReLU", frozen="yes"),
    # edges
    "edges_object.json": _graph(edges={"input": "conv1"}),
    "edge_not_object.json": _graph(edges=[["input", "conv1"]]),
    "edge_missing_to.json": _graph(edges=[{"from": "input"}]),
    "edge_number_ends.json": _graph(edges=[{"from": 1, "to": 2}]),
    "edge_undefined_node.json": _graph(edges=[{"from": "input", "to": "conv9"}]),
    "edge_self_loop.json": _graph(edges=[{"from": "input", "to": "conv1"}, {"from": "conv1", "to": "conv1"}]),
    "edge_duplicate.json": _graph(edges=[{"from": "input", "to": "conv1"}, {"from": "input", "to": "conv1"}]),
}


def write_corpus(folder: Path) -> list[Path]:
    """Write every case into `folder`; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, content in CASES.items():
        if isinstance(content, dict | list):
            content = json.dumps(content)
        data = content.encode("utf-8") if isinstance(content, str) else content
        (folder / name).write_bytes(data)
        paths.append(folder / name)
    return paths


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "bad-files")
    print(f"wrote {len(write_corpus(target))} files to {target}")
