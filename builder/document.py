"""The graph file format: versioned JSON, validated on load, written atomically.

A document looks like::

    {
      "format": "convcanvas-graph",
      "version": 2,
      "name": "LeNet-5",
      "description": "...",
      "nodes": [
        {"id": "input", "type": "Input", "params": {"shape": [1, 32, 32]}, "pos": [0, 0]},
        {"id": "conv1", "type": "Conv2d", "params": {"out_channels": 6, "kernel_size": 5},
         "pos": [200, 0]}
      ],
      "edges": [{"from": "input", "to": "conv1"}]
    }

Parameters left out take their defaults; "frozen": true marks a node whose parameters are
not trained. See docs/graph-format.md.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from .atomic import write_atomic
from .blocks import CATALOG
from .errors import GraphFormatError, SettingError, quoted
from .graph import Edge, Graph, Node, coerce_settings, depth_first_order, id_problem, path_problem
from .groups import group_paths

FORMAT = "convcanvas-graph"
VERSION = 2  # 2 added the optional node keys "group" and "origin", the graph's "output" and "collapsed"


def graph_to_dict(graph: Graph) -> dict[str, Any]:
    """The JSON-ready document of `graph`, with parameters that differ from defaults only."""
    nodes = []
    for node in graph.nodes.values():
        defaults = CATALOG[node.type].defaults()
        settings = {k: _jsonable(v) for k, v in node.settings.items() if v != defaults.get(k)}
        if node.type == "Input":
            settings = {k: _jsonable(v) for k, v in node.settings.items()}
        entry: dict[str, Any] = {
            "id": node.id,
            "type": node.type,
            "params": settings,
            "pos": [round(node.pos[0], 1), round(node.pos[1], 1)],
        }
        if node.frozen:
            entry["frozen"] = True
        if node.group:
            entry["group"] = node.group
        if node.origin:
            entry["origin"] = node.origin
        nodes.append(entry)
    document: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "name": graph.name,
        "description": graph.description,
        "nodes": nodes,
        "edges": [{"from": e.source, "to": e.target} for e in graph.edges],
    }
    output = graph.declared_output()
    if output is not None:
        document["output"] = output
    if graph.training:
        document["training"] = dict(graph.training)
    if graph.runs:
        document["runs"] = list(graph.runs)
    collapsed = sorted(set(group_paths(graph)) & graph.collapsed)
    if collapsed:
        document["collapsed"] = collapsed
    return document


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def dumps_graph(graph: Graph) -> str:
    return json.dumps(graph_to_dict(graph), indent=2) + "\n"


def save_graph(graph: Graph, path: str | os.PathLike) -> None:
    """Write `graph` to `path` atomically: a crash leaves the old file or the new one."""
    write_atomic(path, dumps_graph(graph))


MAX_FILE_BYTES = 64 * 1024 * 1024  # a 100,000-block graph is about 15 MB
MAX_NODES = 100_000
MAX_COORDINATE = 1e7  # canvas units; a card is about 200 wide


def load_graph(path: str | os.PathLike) -> Graph:
    """Read a graph document, raising `GraphFormatError` that lists every problem found.

    Loading never raises anything else, whatever the file holds.
    """
    path = Path(path)
    try:
        with open(path, "rb", opener=_open_regular) as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise GraphFormatError(str(path), ["the file does not exist"]) from None
    except IsADirectoryError:
        raise GraphFormatError(str(path), ["this is a folder; choose a graph file (.json)"]) from None
    except _NotRegularFile:
        raise GraphFormatError(
            str(path), ["this is not a regular file (a device, pipe or socket); choose a graph file (.json)"]
        ) from None
    except OSError as e:
        raise GraphFormatError(str(path), [f"the file cannot be read: {e.strerror or e}"]) from None
    if len(data) > MAX_FILE_BYTES:
        raise GraphFormatError(
            str(path),
            [f"the file is larger than {MAX_FILE_BYTES // 2**20} MiB; it is not a ConvCanvas graph"],
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise GraphFormatError(
            str(path), ["the file is not UTF-8 text; is it a ConvCanvas graph (.json)?"]
        ) from None
    return loads_graph(text, source=str(path))


class _NotRegularFile(OSError):
    pass


def _open_regular(path: str, flags: int) -> int:
    # O_NONBLOCK so that opening a FIFO returns at once instead of waiting for a writer
    fd = os.open(path, flags | getattr(os, "O_NONBLOCK", 0))
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise _NotRegularFile(path)
    return fd


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def loads_graph(text: str, source: str = "<string>") -> Graph:
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as e:
        # an unterminated string runs to the end of the text: it was cut off too
        ends_early = e.pos >= len(text.rstrip()) or e.msg.startswith("Unterminated string")
        hint = " (the file ends early: it may be truncated)" if ends_early else ""
        raise GraphFormatError(
            source, [f"not valid JSON at line {e.lineno}, column {e.colno}: {e.msg}{hint}"]
        ) from None
    except RecursionError:
        raise GraphFormatError(source, ["the JSON is nested too deeply to be a ConvCanvas graph"]) from None
    except ValueError as e:  # NaN/Infinity, or an integer with thousands of digits
        raise GraphFormatError(source, [f"not valid JSON: {str(e).splitlines()[0]}"]) from None
    return graph_from_dict(data, source)


def graph_from_dict(data: Any, source: str = "<document>") -> Graph:
    """Build a Graph from a parsed document, checking everything and reporting all problems.

    The checks are those of interactive editing (unique usable ids, known types, valid
    settings, no wire from a block to itself, finite positions); the work is linear in the
    number of nodes and edges.
    """
    if not isinstance(data, dict):
        raise GraphFormatError(source, ["the top level must be a JSON object"])
    if data.get("format") != FORMAT:
        raise GraphFormatError(
            source,
            [
                f'"format" is {quoted(data.get("format"), 80)}, expected {FORMAT!r}: '
                "this is not a ConvCanvas graph"
            ],
        )
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise GraphFormatError(source, [f'"version" must be an integer, got {quoted(version, 80)}'])
    if version > VERSION:
        raise GraphFormatError(
            source,
            [
                f"format version {version} is newer than this ConvCanvas reads (up to {VERSION}); "
                "update ConvCanvas to open it"
            ],
        )
    if version < 1:
        raise GraphFormatError(source, [f"format version {version} does not exist (versions start at 1)"])

    problems: list[str] = []
    name, description = data.get("name", "Untitled"), data.get("description", "")
    if not isinstance(name, str):
        problems.append(f'"name" must be text, got {quoted(name, 80)}')
        name = "Untitled"
    if not isinstance(description, str):
        problems.append(f'"description" must be text, got {quoted(description, 80)}')
        description = ""
    graph = Graph(name=name, description=description)
    raw_nodes = data.get("nodes")
    if not isinstance(raw_nodes, list):
        raise GraphFormatError(source, ['"nodes" must be a list of node objects'])
    if len(raw_nodes) > MAX_NODES:
        raise GraphFormatError(source, [f"{len(raw_nodes):,} nodes; ConvCanvas opens at most {MAX_NODES:,}"])
    refused: set[str] = set()  # ids of nodes refused for their own problems
    for i, raw in enumerate(raw_nodes):
        where = f"nodes[{i}]"
        node = _read_node(raw, where, problems)
        if node is None:
            if isinstance(raw, dict) and isinstance(raw.get("id"), str):
                refused.add(raw["id"])
            continue
        if node.id in graph.nodes:
            problems.append(f'{where}: id "{node.id}" is used twice; node ids must be unique')
            continue
        graph.nodes[node.id] = node

    raw_edges = data.get("edges", [])
    if not isinstance(raw_edges, list):
        problems.append('"edges" must be a list of {"from": id, "to": id} objects')
        raw_edges = []
    seen: set[Edge] = set()
    for i, raw in enumerate(raw_edges):
        where = f"edges[{i}]"
        if (
            not isinstance(raw, dict)
            or not isinstance(raw.get("from"), str)
            or not isinstance(raw.get("to"), str)
        ):
            problems.append(f'{where}: expected {{"from": id, "to": id}}, got {quoted(raw, 80)}')
            continue
        edge = Edge(raw["from"], raw["to"])
        ends = (edge.source, edge.target)
        missing = [n for n in ends if n not in graph.nodes and n not in refused]
        if missing:
            names = ", ".join(quoted(n, 80) for n in missing)
            problems.append(f"{where}: refers to node(s) {names} that the document does not define")
        elif any(n in refused for n in ends):
            continue  # the node's own problem is reported; a second line would only confuse
        elif edge.source == edge.target:
            problems.append(f"{where}: connects {edge.source} to itself; a network must flow one way")
        elif edge in seen:
            problems.append(f"{where}: duplicate edge {edge.source} -> {edge.target}")
        else:
            seen.add(edge)
            graph.edges.append(edge)
    output = data.get("output")
    if output is not None and not (isinstance(output, str) and (output in graph.nodes or output in refused)):
        problems.append(f'"output" names {quoted(output, 80)}, which is not a node of the document')
    graph.training, graph.runs = _project_parts(data, problems)
    graph.collapsed = _collapsed(data, problems)
    if problems:
        raise GraphFormatError(source, problems)
    graph.output = output if version >= 2 else implicit_output(graph)
    return graph


def _project_parts(data: dict, problems: list[str]) -> tuple[dict[str, Any], list[str]]:
    """The "training" settings and "runs" folders. Their values are checked where they are
    used (a setting the app cannot use falls back to its default there, and says so)."""
    training, runs = data.get("training", {}), data.get("runs", [])
    scalar = (str, int, float, bool, type(None))
    if not isinstance(training, dict) or not all(
        isinstance(k, str) and isinstance(v, scalar) for k, v in training.items()
    ):
        problems.append(f'"training" must be an object of settings, got {quoted(training, 80)}')
        training = {}
    if not isinstance(runs, list) or not all(
        isinstance(r, str) and r and len(r) <= 1000 and r.isprintable() for r in runs
    ):
        problems.append(f'"runs" must be a list of run folder paths, got {quoted(runs, 80)}')
        runs = []
    return dict(training), list(runs)


def _collapsed(data: dict, problems: list[str]) -> set[str]:
    """The "collapsed" groups. A path that names no group of the document is kept and does
    nothing (it is view state, like a position), so only its form is checked."""
    collapsed = data.get("collapsed", [])
    if not isinstance(collapsed, list):
        problems.append(f'"collapsed" must be a list of group paths, got {quoted(collapsed, 80)}')
        return set()
    paths: set[str] = set()
    for i, path in enumerate(collapsed):
        problem = path_problem(path, f"collapsed[{i}]") if path != "" else f"collapsed[{i}] is empty"
        if problem is not None:
            problems.append(problem)
        else:
            paths.add(path)
    return paths


def implicit_output(graph: Graph) -> str | None:
    """The output that files without an "output" key meant: the last block (in depth-first
    order) whose output nothing uses. Version 1 files had no other way to say it."""
    inputs, outputs = graph.adjacency()
    ends = [
        n for n in depth_first_order(inputs, outputs) if not outputs[n] and graph.nodes[n].type != "Input"
    ]
    return ends[-1] if ends else None


def setting_problems(block_type: str, settings: dict[str, Any]) -> list[str]:
    """Every problem with `settings` for `block_type`, each with its fix; empty if none."""
    spec = CATALOG[block_type]
    known = {p.name for p in spec.settings}
    problems = [
        f"{block_type} has no parameter {name!r}; its parameters are: {', '.join(sorted(known)) or 'none'}"
        for name in settings
        if name not in known
    ]
    for param in spec.settings:
        if param.name in settings:
            try:
                param.coerce(settings[param.name])
            except SettingError as e:
                problems.append(f"{e.message}; {e.fix}")
    return problems


def _read_node(raw: Any, where: str, problems: list[str]) -> Node | None:
    if not isinstance(raw, dict):
        problems.append(f"{where}: expected a node object, got {raw!r}")
        return None
    node_id, block_type = raw.get("id"), raw.get("type")
    problem = id_problem(node_id)
    if problem is not None:
        problems.append(f"{where}: {problem}")
        return None
    where = f'{where} "{node_id}"'
    if not isinstance(block_type, str) or block_type not in CATALOG:
        problems.append(
            f"{where}: unknown block type {quoted(block_type, 80)}; known types: {', '.join(sorted(CATALOG))}"
        )
        return None
    settings = raw.get("params", {})
    if not isinstance(settings, dict):
        problems.append(f"{where}: params must be an object, got {quoted(settings, 80)}")
        return None
    bad = setting_problems(block_type, settings)
    if bad:
        problems += [f"{where}: {message}" for message in bad]
        return None
    settings = coerce_settings(block_type, settings)
    pos = raw.get("pos", [0, 0])
    if (
        not isinstance(pos, list)
        or len(pos) != 2
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in pos)
        or not all(abs(v) <= MAX_COORDINATE for v in pos)  # also False for NaN
    ):
        problems.append(
            f"{where}: pos must be [x, y], two numbers within ±{MAX_COORDINATE:.0e}, got {quoted(pos, 80)}"
        )
        return None
    frozen = raw.get("frozen", False)
    if not isinstance(frozen, bool):
        problems.append(f"{where}: frozen must be true or false, got {quoted(frozen, 80)}")
        return None
    group, origin = raw.get("group", ""), raw.get("origin", "")
    for path, what in ((group, "group"), (origin, "origin")):
        problem = path_problem(path, what)
        if problem is not None:
            problems.append(f"{where}: {problem}")
            return None
    assert isinstance(node_id, str)  # id_problem checked it
    return Node(node_id, block_type, settings, (float(pos[0]), float(pos[1])), frozen, group, origin)
