"""Every broken file is refused with a message, by the loader and by the CLI; nothing crashes.

The corpus comes from tests/corpus/make_bad_files.py, written afresh for each run.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

from builder import GraphFormatError, cli_main, load_graph

_SPEC = importlib.util.spec_from_file_location(
    "make_bad_files", Path(__file__).parents[1] / "corpus" / "make_bad_files.py"
)
assert _SPEC and _SPEC.loader
corpus = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(corpus)


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bad")
    return {p.name: p for p in corpus.write_corpus(folder)}


@pytest.mark.parametrize("name", sorted(corpus.CASES))
def test_each_bad_file_is_refused_with_a_message(bad_files, name, capsys):
    path = bad_files[name]
    with pytest.raises(GraphFormatError) as e:
        load_graph(path)
    assert e.value.problems, name
    for problem in e.value.problems:
        assert problem and len(problem) < 600, f"{name}: {problem!r}"
        assert "Traceback" not in problem
    assert cli_main(["summary", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("convcanvas summary: cannot read")
    assert "\x1b" not in err


def test_a_refused_node_is_reported_once_not_again_by_its_wires(bad_files):
    with pytest.raises(GraphFormatError) as e:
        load_graph(bad_files["param_negative.json"].parent / "param_negative.json")
    assert len(e.value.problems) == 1


def test_messages_say_what_is_wrong_and_what_to_do(bad_files):
    def problems(name):
        with pytest.raises(GraphFormatError) as e:
            load_graph(bad_files[name])
        return "\n".join(e.value.problems)

    assert "connects conv1 to itself" in problems("edge_self_loop.json")
    assert "reserved" in problems("id_reserved.json")
    assert "keyword" in problems("id_keyword.json")
    assert "not usable" in problems("id_trailing_newline.json")
    assert "a value is required" in problems("param_null.json")
    assert "expected a value is required" not in problems("param_null.json")
    assert "pos must be" in problems("pos_overflow.json")
    assert "nested too deeply" in problems("deep_nesting.json")
    assert "at most 100,000" in problems("too_many_nodes.json")
    assert "unknown block type ['ReLU']" in problems("type_list.json")


def test_an_edge_to_a_refused_node_adds_no_false_undefined_line(tmp_path):
    (tmp_path / "g.json").write_text(
        '{"format": "convcanvas-graph", "version": 1, "nodes": ['
        '{"id": "input", "type": "Input", "params": {"shape": [1, 28, 28]}},'
        '{"id": "conv1", "type": "Conv2d", "params": {"out_channels": 0}}],'
        '"edges": [{"from": "input", "to": "conv1"}]}'
    )
    with pytest.raises(GraphFormatError) as e:
        load_graph(tmp_path / "g.json")
    assert len(e.value.problems) == 1 and "does not define" not in e.value.problems[0]


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and /dev are POSIX")
def test_special_files_are_refused_at_once(tmp_path):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    for path in (fifo, Path("/dev/zero"), tmp_path):
        with pytest.raises(GraphFormatError) as e:
            load_graph(path)  # a FIFO would block, /dev/zero would never end
        assert "choose a graph file" in e.value.problems[0]


def test_a_file_over_the_size_limit_is_refused_without_reading_it_all(tmp_path, monkeypatch):
    import builder.document as document

    monkeypatch.setattr(document, "MAX_FILE_BYTES", 1000)
    (tmp_path / "big.json").write_text(" " * 5000)
    with pytest.raises(GraphFormatError) as e:
        load_graph(tmp_path / "big.json")
    assert "larger than" in e.value.problems[0]
