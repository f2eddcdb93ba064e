"""One-click fixes for problems whose fix is clear, as plans of primitive edits.

A front end applies a plan as one undoable step. Plans are data so that the core needs
no knowledge of undo stacks or widgets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .blocks import CATALOG
from .errors import Issue
from .graph import Graph, Node
from .inference import OK, Inference


@dataclass(frozen=True)
class InsertBetween:
    """Put a new block on the wire source -> target."""

    source: str
    target: str
    block_type: str
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SetSettings:
    node: str
    settings: dict[str, Any]


@dataclass(frozen=True)
class MarkOutput:
    """Mark `node` as the network's output."""

    node: str


@dataclass(frozen=True)
class Fix:
    title: str
    edits: tuple[InsertBetween | SetSettings | MarkOutput, ...]


@dataclass(frozen=True)
class FixRule:
    """A quick fix: the error codes it answers and how it plans the edits for one node."""

    codes: tuple[str, ...]
    plan: Callable[[Graph, Inference, Node], Fix | None]


def fix_for(graph: Graph, result: Inference, issue: Issue) -> Fix | None:
    """The fix for `issue`, or None where the right fix is the user's call.

    Which fixes a block offers is declared in its catalog entry (`LayerSpec.fixes`).
    """
    node = graph.nodes.get(issue.node)
    if node is None:  # a problem of the whole network
        network_rule = NETWORK_FIX_RULES.get(issue.code)
        return network_rule(graph, result) if network_rule is not None else None
    for name in CATALOG[node.type].fixes:
        rule = FIX_RULES[name]
        if issue.code in rule.codes:
            fix = rule.plan(graph, result, node)
            if fix is not None:
                return fix
    return None


def _insert_flatten(graph: Graph, result: Inference, node: Node) -> Fix | None:
    sources = graph.inputs_of(node.id)
    if len(sources) != 1:
        return None
    return Fix(f"Insert Flatten before {node.id}", (InsertBetween(sources[0], node.id, "Flatten"),))


def _same_padding(graph: Graph, result: Inference, node: Node) -> Fix | None:
    if node.settings["stride"] not in (1, (1, 1)):
        return None  # 'same' padding needs stride 1; the user chooses between the two
    return Fix(f"Set {node.id} padding to 'same'", (SetSettings(node.id, {"padding": "same"}),))


def _match_channels(graph: Graph, result: Inference, node: Node) -> Fix | None:
    """Insert a 1x1 convolution on each branch whose channel count differs from the widest."""
    add_id, sources = node.id, graph.inputs_of(node.id)
    shapes = {s: shape for s in sources if (shape := result.nodes[s].shape) is not None and len(shape) == 3}
    if len(shapes) != len(sources):
        return None
    target = max(shape[0] for shape in shapes.values())
    edits = tuple(
        InsertBetween(s, add_id, "Conv2d", {"out_channels": target, "kernel_size": 1, "bias": False})
        for s, shape in shapes.items()
        if shape[0] != target
    )
    if not edits:
        return None
    return Fix(f"Insert a 1x1 convolution to give {add_id} {target} channels on every input", edits)


def _match_sizes(graph: Graph, result: Inference, node: Node) -> Fix | None:
    """Bring every branch down to the smallest height and width: average pooling where the size
    is a whole multiple of it, and on an Add whose branches also differ in channels a strided
    1x1 convolution (a projection shortcut) that matches both."""
    sources = graph.inputs_of(node.id)
    shapes = {s: shape for s in sources if (shape := result.nodes[s].shape) is not None and len(shape) == 3}
    if len(shapes) != len(sources):
        return None
    height, width = min(shape[1] for shape in shapes.values()), min(shape[2] for shape in shapes.values())
    channels = max(shape[0] for shape in shapes.values())
    joins_channels = CATALOG[node.type].forward == "add"
    edits = []
    for s, (c, h, w) in shapes.items():
        if h % height or w % width:
            return None  # not a whole multiple: the user picks the strides
        step = (h // height, w // width)
        size = step[0] if step[0] == step[1] else step
        if joins_channels and c != channels:
            conv = {"out_channels": channels, "kernel_size": 1, "stride": size, "bias": False}
            edits.append(InsertBetween(s, node.id, "Conv2d", conv))
        elif step != (1, 1):
            edits.append(InsertBetween(s, node.id, "AvgPool2d", {"kernel_size": size}))
    if not edits:
        return None
    return Fix(f"Insert pooling to give {node.id} {height}x{width} inputs on every branch", tuple(edits))


FIX_RULES: dict[str, FixRule] = {
    "insert_flatten": FixRule(("needs_flatten",), _insert_flatten),
    "same_padding": FixRule(("kernel_too_large",), _same_padding),
    "match_channels": FixRule(("add_channels",), _match_channels),
    "match_sizes": FixRule(("add_shapes", "concat_spatial"), _match_sizes),
}


def output_candidates(graph: Graph, result: Inference) -> list[str]:
    """The blocks that could be the network's output: those with a shape whose output nothing
    uses, the likeliest first (the one that the most blocks lead to)."""
    used = {e.source for e in graph.edges}
    ends = [
        n
        for n in result.order
        if n not in used and graph.nodes[n].type != "Input" and result.nodes[n].status == OK
    ]
    depth = {n: len(graph.ancestors(n)) for n in ends}
    return sorted(ends, key=lambda n: -depth[n])  # stable: a tie keeps the inference's order


def _mark_output(graph: Graph, result: Inference) -> Fix | None:
    candidates = output_candidates(graph, result)
    if not candidates:
        return None
    return Fix(f"Mark {candidates[0]} as the network's output", (MarkOutput(candidates[0]),))


# fixes for problems of the whole network, which no block's spec declares: keyed by issue code
NETWORK_FIX_RULES: dict[str, Callable[[Graph, Inference], Fix | None]] = {
    "ambiguous_output": _mark_output,
}

# problems of the graph's structure: they are a block's, never one wire's
_STRUCTURE_CODES = frozenset(
    {"no_input", "too_few_inputs", "too_many_inputs", "second_input", "input_has_input", "cycle"}
)


@dataclass(frozen=True)
class WireProblem:
    """A wire whose tensor does not fit the block it feeds: the block's error, and its fix."""

    issue: Issue
    fix: Fix | None


def wire_problems(graph: Graph, result: Inference) -> dict[tuple[str, str], WireProblem]:
    """The wires that carry a tensor their target cannot take, keyed (source, target).

    A block's error counts against its wires when the block's shape rule failed on its inputs
    and no setting of its own is blamed (Linear fed a C x H x W tensor, an Add of two sizes).
    The wires that the fix changes are the ones marked; with no fix, every wire into the block.
    """
    problems: dict[tuple[str, str], WireProblem] = {}
    for issue in result.errors:
        if issue.node not in graph.nodes or issue.code in _STRUCTURE_CODES or issue.setting is not None:
            continue
        fix = fix_for(graph, result, issue)
        wires = [(s, issue.node) for s in graph.inputs_of(issue.node)]
        fixed = [
            (edit.source, edit.target)
            for edit in (fix.edits if fix else ())
            if isinstance(edit, InsertBetween) and edit.target == issue.node
        ]
        for wire in fixed or wires:
            problems[wire] = WireProblem(issue, fix)
    return problems
