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
from .inference import Inference


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
class Fix:
    title: str
    edits: tuple[InsertBetween | SetSettings, ...]


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
    if node is None:
        return None
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


FIX_RULES: dict[str, FixRule] = {
    "insert_flatten": FixRule(("needs_flatten",), _insert_flatten),
    "same_padding": FixRule(("kernel_too_large",), _same_padding),
    "match_channels": FixRule(("add_channels",), _match_channels),
}
