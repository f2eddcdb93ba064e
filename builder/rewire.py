"""Questions an editor asks before it rewires for the user: does a block fit on a wire, and can a
block's neighbours be joined when it is deleted? Each is tried on a copy of the graph and judged
by inference, so the answer is the one the network would get."""

from __future__ import annotations

from typing import Any

from .graph import Graph
from .inference import OK, infer


def insert_fits(
    graph: Graph, source: str, target: str, block_type: str, settings: dict[str, Any] | None = None
) -> bool:
    """Whether a `block_type` block put on the wire source -> target gives both it and the target
    a shape (a wire whose source has no shape yet is no reason to refuse)."""
    trial = graph.copy()
    index = trial.disconnect(source, target)
    node = trial.add_node(block_type, settings or {})
    trial.connect(source, node.id)
    trial.connect(node.id, target, index)
    before, after = infer(graph), infer(trial)
    if before.nodes[source].status != OK:
        return True
    return after.nodes[node.id].status == OK and (
        after.nodes[target].status == OK or before.nodes[target].status != OK
    )


def bypass(graph: Graph, node_id: str) -> list[tuple[str, str, int]]:
    """The wires (source, target, input index) that join the one block feeding `node_id` to the
    blocks it feeds once it is deleted, if that breaks no block (no block that had a shape loses
    it); empty when the neighbours cannot simply be joined."""
    sources, targets = graph.inputs_of(node_id), graph.outputs_of(node_id)
    if len(sources) != 1 or not targets:
        return []
    (source,) = sources
    if any(source in graph.inputs_of(t) for t in targets):
        return []  # a target fed by the source already: a second wire would be no join
    trial = graph.copy()
    trial.remove_node(node_id)
    wires: list[tuple[str, str, int]] = []
    for i, e in enumerate(graph.edges):
        if e.source == node_id:
            # where the node's wire was, counting the wires that stay and those joined already
            index = sum(1 for f in graph.edges[:i] if node_id not in (f.source, f.target)) + len(wires)
            trial.connect(source, e.target, index)
            wires.append((source, e.target, index))
    before, after = infer(graph), infer(trial)
    broken_before = {n for n, info in before.nodes.items() if info.status != OK}
    if any(info.status != OK and n not in broken_before for n, info in after.nodes.items()):
        return []
    return wires
