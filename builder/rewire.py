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
    blocks it feeds once it is deleted, if every one of them then has the shape it had (or a
    shape where it had none); empty when the neighbours cannot simply be joined."""
    sources, targets = graph.inputs_of(node_id), graph.outputs_of(node_id)
    if len(sources) != 1 or not targets:
        return []
    (source,) = sources
    trial = graph.copy()
    indices = {t: [(e.source, e.target) for e in trial.edges].index((node_id, t)) for t in targets}
    trial.remove_node(node_id)
    wires = []
    for target in targets:
        if source in trial.inputs_of(target):
            return []  # the target is fed by the source already: a second wire is no join
        # the index the wire had before the node's other wires went
        index = sum(1 for i, e in enumerate(graph.edges) if i < indices[target] and node_id not in e)
        trial.connect(source, target, index)
        wires.append((source, target, index))
    before, after = infer(graph), infer(trial)
    for target in targets:
        was, now = before.nodes[target], after.nodes[target]
        if now.status != OK or (was.status == OK and was.shape != now.shape):
            return []
    return wires
