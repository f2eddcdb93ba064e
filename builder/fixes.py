"""One-click fixes for problems whose fix is clear, as plans of primitive edits.

A front end applies a plan as one undoable step. Plans are data so that the core needs
no knowledge of undo stacks or widgets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import Issue
from .graph import Graph
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


def fix_for(graph: Graph, result: Inference, issue: Issue) -> Fix | None:
    """The fix for `issue`, or None where the right fix is the user's call."""
    node = graph.nodes.get(issue.node)
    if node is None:
        return None
    sources = graph.inputs_of(node.id)
    if issue.code == "needs_flatten" and len(sources) == 1:
        return Fix(f"Insert Flatten before {node.id}", (InsertBetween(sources[0], node.id, "Flatten"),))
    if issue.code == "kernel_too_large" and node.type == "Conv2d":
        stride = node.settings["stride"]
        if stride in (1, (1, 1)):
            return Fix(f"Set {node.id} padding to 'same'", (SetSettings(node.id, {"padding": "same"}),))
        return None
    if issue.code == "add_channels":
        return _match_channels(graph, result, node.id, sources)
    return None


def _match_channels(graph: Graph, result: Inference, add_id: str, sources: list[str]) -> Fix | None:
    """Insert a 1x1 convolution on each branch whose channel count differs from the widest."""
    shapes = {s: result.nodes[s].shape for s in sources}
    if any(shape is None or len(shape) != 3 for shape in shapes.values()):
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
