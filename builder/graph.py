"""The graph model: nodes (blocks) with stable readable ids, and directed edges.

The model holds semantics and canvas positions only: no colours, no widgets. It allows
any wiring (cycles, dangling nodes, too many inputs): such graphs are valid documents
that `builder.inference` reports as invalid networks, so an editor can pass through
invalid states while a user works.

The order of edges into a node is the order of its inputs (it matters for Concat).
"""

from __future__ import annotations

import copy
import keyword
import re
from dataclasses import dataclass, field
from typing import Any

from .blocks import CATALOG, INPUT_PRESETS, spec_for
from .errors import SettingError, quoted

_ID_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # used with fullmatch: `$` would allow a final newline
MAX_ID_LENGTH = 100
# Attribute names of torch.nn.Module that a submodule named after a node must not shadow.
_RESERVED_IDS = frozenset(
    {
        "forward",
        "training",
        "train",
        "eval",
        "state_dict",
        "parameters",
        "buffers",
        "children",
        "modules",
        "to",
        "cuda",
        "cpu",
        "type",
        "float",
        "double",
        "half",
        "apply",
        "register_buffer",
        "register_parameter",
        "add_module",
        "named_modules",
        "zero_grad",
        "requires_grad_",
        "load_state_dict",
        "dump_patches",
        "call_super_init",
        "x",
        "torch",
        "nn",
        "self",
    }
)


def id_problem(node_id: object) -> str | None:
    """Why `node_id` cannot name a node (it names the module in exported code), or None."""
    if not isinstance(node_id, str) or not node_id:
        return f"id {quoted(node_id)} must be a non-empty text"
    if len(node_id) > MAX_ID_LENGTH:
        return f"id {quoted(node_id)} is longer than {MAX_ID_LENGTH} characters"
    if not _ID_RE.fullmatch(node_id) or node_id.startswith("_"):
        return f"id {node_id!r} is not usable: use letters, digits and underscores, starting with a letter"
    if keyword.iskeyword(node_id):
        return f"id {node_id!r} is a Python keyword; add a number or a prefix (e.g. {node_id}1)"
    if node_id in _RESERVED_IDS:
        return (
            f"id {node_id!r} is reserved (torch modules and exported code use that name); "
            f"choose another, e.g. {node_id}1"
        )
    return None


MAX_PATH_LENGTH = 300


def path_problem(path: object, what: str) -> str | None:
    """Why `path` cannot be a group path or an origin (dotted names such as "layer2.0"), or None.

    Paths are shown on the canvas, never executed, so any printable text is allowed in a
    segment; only empty segments and control characters are refused.
    """
    if not isinstance(path, str):
        return f"{what} must be text, got {quoted(path, 80)}"
    if len(path) > MAX_PATH_LENGTH:
        return f"{what} is longer than {MAX_PATH_LENGTH} characters"
    if path and any(not part for part in path.split(".")):
        return (
            f"{what} {quoted(path, 80)} has an empty part; write names joined by single dots, e.g. layer2.0"
        )
    if not path.isprintable():
        return f"{what} {quoted(path, 80)} contains control characters"
    return None


def is_valid_id(node_id: object) -> bool:
    """A node id must be a Python identifier, since it names the module in exported code."""
    return id_problem(node_id) is None


@dataclass(slots=True)
class Node:
    """One block on the canvas."""

    id: str
    type: str
    settings: dict[str, Any]
    pos: tuple[float, float] = (0.0, 0.0)
    frozen: bool = False  # parameters are not trained (transfer learning)
    # Dotted path of the groups the block sits in, outermost first ("layer2.0" is group "0"
    # inside group "layer2"); "" at the top level. The canvas draws groups as frames.
    group: str = ""
    # Where an imported block came from: its module path in the source model
    # ("layer2.0.conv1"), which is how its weights are named there; "" if drawn by hand.
    origin: str = ""

    @property
    def spec(self):
        return CATALOG[self.type]


@dataclass(frozen=True, slots=True)
class Edge:
    source: str
    target: str


@dataclass
class Graph:
    """A network under construction."""

    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    name: str = "Untitled"
    description: str = ""
    # The node whose result is the network's output. None: the single block whose output
    # nothing uses; with several such blocks the network is ambiguous until one is marked.
    # A name that no longer exists (its block was deleted) counts as None, so undoing the
    # deletion brings the mark back with the block.
    output: str | None = None
    # Saved with the network but not part of it: the project's training settings (the fields
    # of builder.training's TrainConfig) and its runs' folders (relative to the file's folder
    # when they lie beside it). Equality ignores them: they do not change what is computed.
    training: dict[str, Any] = field(default_factory=dict)
    runs: list[str] = field(default_factory=list)
    # The groups (paths, see `Node.group`) that the canvas shows collapsed to one card. A view
    # setting saved with the network, ignored by equality like the training settings; a path
    # that no longer names a group (its blocks were deleted) is kept, so undo brings it back.
    collapsed: set[str] = field(default_factory=set)

    # -- queries --------------------------------------------------------------------

    def node(self, node_id: str) -> Node:
        try:
            return self.nodes[node_id]
        except KeyError:
            raise KeyError(f"no node with id {node_id!r}") from None

    def inputs_of(self, node_id: str) -> list[str]:
        """Ids of the nodes that feed `node_id`, in input order."""
        return [e.source for e in self.edges if e.target == node_id]

    def outputs_of(self, node_id: str) -> list[str]:
        return [e.target for e in self.edges if e.source == node_id]

    def adjacency(self) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        """(inputs, outputs) of every node in one pass over the edges; inputs in input order."""
        inputs: dict[str, list[str]] = {nid: [] for nid in self.nodes}
        outputs: dict[str, list[str]] = {nid: [] for nid in self.nodes}
        for e in self.edges:
            inputs[e.target].append(e.source)
            outputs[e.source].append(e.target)
        return inputs, outputs

    def topological_order(self) -> list[str]:
        """Node ids, every node after its inputs, depth-first (see `depth_first_order`)."""
        return depth_first_order(*self.adjacency())

    def ancestors(self, node_id: str) -> set[str]:
        """`node_id` and every node its output depends on."""
        return ancestors_in(self.adjacency()[0], node_id)

    def input_node(self) -> Node | None:
        return next((n for n in self.nodes.values() if n.type == "Input"), None)

    def new_id(self, block_type: str) -> str:
        """A fresh readable id for a block of `block_type`: ``conv1``, ``conv2``, ..."""
        prefix = spec_for(block_type).prefix
        if block_type == "Input" and "input" not in self.nodes:
            return "input"
        taken = self.nodes.keys()
        i = 1
        while f"{prefix}{i}" in taken:
            i += 1
        return f"{prefix}{i}"

    # -- edits ----------------------------------------------------------------------
    # Front ends wrap these in undoable commands; they keep the model consistent.

    def add_node(
        self,
        block_type: str,
        settings: dict[str, Any] | None = None,
        pos: tuple[float, float] = (0.0, 0.0),
        node_id: str | None = None,
        frozen: bool = False,
        group: str = "",
        origin: str = "",
    ) -> Node:
        """Add a block with defaults for the parameters not given; return the new node."""
        node_id = node_id or self.new_id(block_type)
        if node_id in self.nodes:
            raise ValueError(f"a node with id {node_id!r} already exists")
        problem = id_problem(node_id)
        if problem is not None:
            raise ValueError(problem)
        for path, what in ((group, "group"), (origin, "origin")):
            problem = path_problem(path, what)
            if problem is not None:
                raise ValueError(problem)
        x, y = pos
        settings = coerce_settings(block_type, settings or {})
        node = Node(node_id, block_type, settings, (x, y), frozen, group, origin)
        self.nodes[node_id] = node
        return node

    def remove_node(self, node_id: str) -> tuple[Node, list[tuple[int, Edge]]]:
        """Remove a node and its edges; return both (with edge positions) for undo."""
        node = self.nodes.pop(node_id)
        removed = [(i, e) for i, e in enumerate(self.edges) if node_id in (e.source, e.target)]
        self.edges = [e for e in self.edges if node_id not in (e.source, e.target)]
        return node, removed

    def connect(self, source: str, target: str, index: int | None = None) -> Edge:
        """Add an edge; `index` places it in the edge list (input order of `target`)."""
        for nid in (source, target):
            self.node(nid)
        if source == target:
            raise ValueError(f"cannot connect {source} to itself")
        edge = Edge(source, target)
        if edge in self.edges:
            raise ValueError(f"{source} is already connected to {target}")
        if index is None:
            self.edges.append(edge)
        else:
            self.edges.insert(index, edge)
        return edge

    def disconnect(self, source: str, target: str) -> int:
        """Remove an edge; return its former index."""
        index = self.edges.index(Edge(source, target))
        del self.edges[index]
        return index

    def set_settings(self, node_id: str, settings: dict[str, Any]) -> dict[str, Any]:
        """Update some parameters (validated); return the previous values of those keys."""
        node = self.node(node_id)
        merged = {**node.settings, **settings}
        node_params = coerce_settings(node.type, merged)
        old = {k: node.settings[k] for k in settings}
        node.settings = node_params
        return old

    def rename(self, old_id: str, new_id: str) -> None:
        if new_id in self.nodes:
            raise ValueError(f"a node with id {new_id!r} already exists")
        problem = id_problem(new_id)
        if problem is not None:
            raise ValueError(problem)
        node = self.nodes.pop(old_id)
        node.id = new_id
        self.nodes[new_id] = node
        self.edges = [
            Edge(new_id if e.source == old_id else e.source, new_id if e.target == old_id else e.target)
            for e in self.edges
        ]
        if self.output == old_id:
            self.output = new_id

    def declared_output(self) -> str | None:
        """The marked output node if it exists, else None."""
        return self.output if self.output in self.nodes else None

    def copy(self) -> Graph:
        return copy.deepcopy(self)

    # -- conveniences ---------------------------------------------------------------

    def set_input_shape(self, shape: tuple[int, int, int] | str) -> None:
        """Set the Input node's shape, given as (C, H, W) or a preset name."""
        if isinstance(shape, str):
            try:
                shape = INPUT_PRESETS[shape]
            except KeyError:
                raise ValueError(f"unknown preset {shape!r}; presets: {', '.join(INPUT_PRESETS)}") from None
        node = self.input_node()
        if node is None:
            raise ValueError("the graph has no Input node")
        self.set_settings(node.id, {"shape": tuple(shape)})

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Graph):
            return NotImplemented
        return (
            self.name == other.name
            and self.description == other.description
            and self.nodes == other.nodes
            and self.edges == other.edges
            and self.declared_output() == other.declared_output()
        )


def ancestors_in(inputs: dict[str, list[str]], node_id: str) -> set[str]:
    """`node_id` and every node its output depends on, given `Graph.adjacency()`'s inputs
    (for callers that have them already)."""
    seen = {node_id}
    stack = [node_id]
    while stack:
        for p in inputs[stack.pop()]:
            if p not in seen:
                seen.add(p)
                stack.append(p)
    return seen


def depth_first_order(inputs: dict[str, list[str]], outputs: dict[str, list[str]]) -> list[str]:
    """Node ids, every node after its inputs, depth-first: a branch is finished before the
    next one starts, which is how a person reads and writes a network (exported code is laid
    out this way). Nodes on a cycle, or downstream of one, are left out. `inputs` and
    `outputs` are `Graph.adjacency()`.

    (graphlib's TopologicalSorter orders breadth-first, which interleaves branches.)
    """
    indegree = {nid: len(p) for nid, p in inputs.items()}
    ready = [nid for nid, d in indegree.items() if d == 0]
    ready.reverse()
    order = []
    while ready:
        nid = ready.pop()
        order.append(nid)
        for s in reversed(outputs[nid]):
            indegree[s] -= 1
            if indegree[s] == 0:
                ready.append(s)
    return order


def coerce_settings(block_type: str, settings: dict[str, Any]) -> dict[str, Any]:
    """Validate `settings` for `block_type`, fill defaults, return canonical values.

    Raises `SettingError` for the first bad or unknown parameter.
    """
    spec = spec_for(block_type)
    known = {p.name for p in spec.settings}
    for name in settings:
        if name not in known:
            raise SettingError(
                name,
                f"{block_type} has no parameter {name!r}",
                fix=f"use one of: {', '.join(sorted(known)) or 'none (it takes no parameters)'}",
            )
    return {p.name: p.coerce(settings.get(p.name, p.default)) for p in spec.settings}


def chain(
    input_shape: tuple[int, int, int], *blocks: tuple[str, dict[str, Any]] | str, name: str = "Untitled"
) -> Graph:
    """Build a linear stack quickly: ``chain((1, 28, 28), ("Conv2d", {...}), "ReLU", ...)``."""
    graph = Graph(name=name)
    prev = graph.add_node("Input", {"shape": input_shape}).id
    for i, block in enumerate(blocks, start=1):
        block_type, settings = (block, {}) if isinstance(block, str) else block
        node = graph.add_node(block_type, settings, pos=(i * 200.0, 0.0))
        graph.connect(prev, node.id)
        prev = node.id
    return graph
