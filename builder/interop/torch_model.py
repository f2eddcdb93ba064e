"""Turn a valid graph into a `torch.nn.Module` that follows it exactly.

Submodules are named after node ids (so ``state_dict`` keys read ``conv1.weight``) and the
forward pass walks the graph in topological order, releasing each intermediate tensor as
soon as its last consumer has run.
"""

from __future__ import annotations

import torch
from torch import nn

from ..blocks import CATALOG, INPUT, MODULE
from ..graph import Graph
from ..inference import Inference, infer, require_valid


class NetworkModule(nn.Module):
    """A network built from a ConvCanvas graph."""

    def __init__(self, graph: Graph, result: Inference | None = None):
        super().__init__()
        result = require_valid(result or infer(graph))
        self.input_shape = tuple(result.input_shape)
        self.output_id = result.output
        reachable = graph.ancestors(result.output)
        inputs, _ = graph.adjacency()
        steps: list[tuple[str, str, tuple[str, ...]]] = []
        self._merges = {}
        last_use: dict[str, int] = {}
        for nid in result.order:
            if nid not in reachable:
                continue  # a dangling branch (reported as a warning) does not affect the output
            node = graph.nodes[nid]
            spec = CATALOG[node.type]
            info = result.nodes[nid]
            sources = tuple(inputs[nid])
            if spec.forward == MODULE:
                module = spec.build_module(node.settings, info.input_shapes)
                if node.frozen:
                    module.requires_grad_(False)
                self.add_module(nid, module)
            if spec.merge is not None:
                own = spec.merge.parameter
                if own is not None:  # registered under the node id, as exported code does
                    shape = own.shape(node.settings, info.input_shapes)
                    tensor = nn.Parameter(torch.full(shape, own.fill(node.settings)))
                    tensor.requires_grad_(not node.frozen)
                    self.register_parameter(nid, tensor)
                self._merges[nid] = (spec.merge, node.settings, own is not None)
            for s in sources:
                last_use[s] = len(steps)
            steps.append((nid, spec.forward, sources))
        self._steps = [
            (nid, kind, sources, tuple(s for s in sources if last_use[s] == i))
            for i, (nid, kind, sources) in enumerate(steps)
        ]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_all(x, keep=())[self.output_id]

    def forward_all(self, x: torch.Tensor, keep=None) -> dict[str, torch.Tensor]:
        """Run the network and return the outputs of the nodes in `keep` (all if None),
        always including the network's output. Used for feature maps and tests."""
        values: dict[str, torch.Tensor] = {}
        kept: dict[str, torch.Tensor] = {}
        for nid, kind, sources, release in self._steps:
            if kind == INPUT:
                out = x
            elif kind == MODULE:
                out = getattr(self, nid)(values[sources[0]])
            else:
                merge, settings, owns = self._merges[nid]
                tensors = [values[s] for s in sources]
                out = merge.run([getattr(self, nid), *tensors] if owns else tensors, settings)
            values[nid] = out
            if keep is None or nid in keep:
                kept[nid] = out
            for s in release:
                del values[s]
        kept[self.output_id] = values[self.output_id]
        return kept


def build_model(graph: Graph, result: Inference | None = None) -> NetworkModule:
    """Build the torch module for `graph`; raise `InvalidGraphError` listing its errors."""
    return NetworkModule(graph, result)
