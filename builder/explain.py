"""Human-readable arithmetic for a node: the formulas with its numbers filled in."""

from __future__ import annotations

from .blocks import CATALOG
from .graph import Graph
from .inference import OK, Inference


def explain_node(graph: Graph, result: Inference, node_id: str) -> list[str]:
    """Lines such as ``H: floor((28 - 5 + 2*2) / 1) + 1 = 28`` and ``params: 5*5*1*6 + 6 = 156``.

    For a node that is not `ok`, the lines say why instead.
    """
    node = graph.node(node_id)
    info = result.nodes[node_id]
    if info.status != OK:
        if info.error is not None:
            return [f"error: {info.error.message}", f"fix: {info.error.fix}"]
        return ["shape unknown: a block before this one has an error"]
    spec = CATALOG[node.type]
    analysis = spec.analyze(node.settings, info.input_shapes)  # cheap; inference keeps no copy
    lines = list(spec.explain(node.settings, info.input_shapes, analysis))
    pixels = info.receptive_pixels
    if pixels is None:
        lines.append("receptive field: the whole input")
    else:
        rh, rw = pixels
        jh, jw = info.jump  # a fraction such as 1/2 after an upsampling block
        rf = f"{rh}x{rw}" if rh != rw else f"{rh}x{rh}"
        jump = f"{jh}" if jh == jw else f"{jh}x{jw}"
        lines.append(f"receptive field: {rf} input pixels; cumulative stride {jump}")
    if node.frozen and info.learnable:
        lines.append(f"frozen: its {info.learnable:,} parameters are not trained")
    for w in info.warnings:
        lines.append(f"warning: {w.message}")
    return lines
