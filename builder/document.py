"""The graph file format: versioned JSON, validated on load, written atomically.

A document looks like::

    {
      "format": "convcanvas-graph",
      "version": 1,
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
from pathlib import Path
from typing import Any

from .atomic import write_atomic
from .blocks import CATALOG
from .errors import GraphFormatError, SettingError
from .graph import Edge, Graph, Node, coerce_settings, is_valid_id

FORMAT = "convcanvas-graph"
VERSION = 1


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
        nodes.append(entry)
    return {
        "format": FORMAT,
        "version": VERSION,
        "name": graph.name,
        "description": graph.description,
        "nodes": nodes,
        "edges": [{"from": e.source, "to": e.target} for e in graph.edges],
    }


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def dumps_graph(graph: Graph) -> str:
    return json.dumps(graph_to_dict(graph), indent=2) + "\n"


def save_graph(graph: Graph, path: str | os.PathLike) -> None:
    """Write `graph` to `path` atomically: a crash leaves the old file or the new one."""
    write_atomic(path, dumps_graph(graph))


def load_graph(path: str | os.PathLike) -> Graph:
    """Read a graph document, raising `GraphFormatError` that lists every problem found."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GraphFormatError(str(path), ["the file does not exist"]) from None
    except UnicodeDecodeError:
        raise GraphFormatError(
            str(path), ["the file is not UTF-8 text; is it a ConvCanvas graph (.json)?"]
        ) from None
    except OSError as e:
        raise GraphFormatError(str(path), [f"the file cannot be read: {e.strerror}"]) from None
    return loads_graph(text, source=str(path))


def loads_graph(text: str, source: str = "<string>") -> Graph:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        hint = " (the file ends early: it may be truncated)" if e.pos >= len(text.rstrip()) else ""
        raise GraphFormatError(
            source, [f"not valid JSON at line {e.lineno}, column {e.colno}: {e.msg}{hint}"]
        ) from None
    return graph_from_dict(data, source)


def graph_from_dict(data: Any, source: str = "<document>") -> Graph:
    """Build a Graph from a parsed document, checking everything and reporting all problems."""
    if not isinstance(data, dict):
        raise GraphFormatError(source, ["the top level must be a JSON object"])
    if data.get("format") != FORMAT:
        raise GraphFormatError(
            source,
            [f'"format" is {data.get("format")!r}, expected {FORMAT!r}: this is not a ConvCanvas graph'],
        )
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise GraphFormatError(source, [f'"version" must be an integer, got {version!r}'])
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
    graph = Graph(name=str(data.get("name", "Untitled")), description=str(data.get("description", "")))
    raw_nodes = data.get("nodes")
    if not isinstance(raw_nodes, list):
        raise GraphFormatError(source, ['"nodes" must be a list of node objects'])
    for i, raw in enumerate(raw_nodes):
        where = f"nodes[{i}]"
        node = _read_node(raw, where, problems)
        if node is None:
            continue
        if node.id in graph.nodes:
            problems.append(f'{where}: id "{node.id}" is used twice; node ids must be unique')
            continue
        graph.nodes[node.id] = node

    raw_edges = data.get("edges", [])
    if not isinstance(raw_edges, list):
        problems.append('"edges" must be a list of {"from": id, "to": id} objects')
        raw_edges = []
    for i, raw in enumerate(raw_edges):
        where = f"edges[{i}]"
        if (
            not isinstance(raw, dict)
            or not isinstance(raw.get("from"), str)
            or not isinstance(raw.get("to"), str)
        ):
            problems.append(f'{where}: expected {{"from": id, "to": id}}, got {raw!r}')
            continue
        edge = Edge(raw["from"], raw["to"])
        missing = [n for n in (edge.source, edge.target) if n not in graph.nodes]
        if missing:
            problems.append(
                f"{where}: refers to node(s) {', '.join(missing)} that the document does not define"
            )
        elif edge in graph.edges:
            problems.append(f"{where}: duplicate edge {edge.source} -> {edge.target}")
        else:
            graph.edges.append(edge)
    if problems:
        raise GraphFormatError(source, problems)
    return graph


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
    if not isinstance(node_id, str) or not is_valid_id(node_id):
        problems.append(
            f"{where}: id {node_id!r} is not usable: use letters, digits and underscores, "
            "starting with a letter"
        )
        return None
    where = f'{where} "{node_id}"'
    if block_type not in CATALOG:
        problems.append(
            f"{where}: unknown block type {block_type!r}; known types: {', '.join(sorted(CATALOG))}"
        )
        return None
    settings = raw.get("params", {})
    if not isinstance(settings, dict):
        problems.append(f"{where}: settings must be an object, got {settings!r}")
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
    ):
        problems.append(f"{where}: pos must be [x, y] numbers, got {pos!r}")
        return None
    frozen = raw.get("frozen", False)
    if not isinstance(frozen, bool):
        problems.append(f"{where}: frozen must be true or false, got {frozen!r}")
        return None
    return Node(node_id, block_type, settings, (float(pos[0]), float(pos[1])), frozen)
