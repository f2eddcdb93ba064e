"""Training memory: what one training step of a network holds, read from the catalog.

The activations are the tensors that autograd keeps from the forward pass for the backward
pass, as each block's `Backward` declaration says. They are counted per storage, the way
the allocator holds them: a tensor kept by several blocks counts once, a view (Flatten) or a
block that returns its input (Identity, Dropout with p = 0) costs nothing, and the input
batch counts where a block keeps it (the first convolution does, for its weight gradient).
Blocks that nothing upstream of them trains keep nothing: autograd records no graph there.

Not counted: the loss's own small tensors, tensors that live only during the forward or
backward of one block (workspace, the gradient flowing back), and the allocator's rounding.
No torch here, so the app and `convcanvas summary` can estimate without loading it.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

from .blocks import CATALOG, INT64, MASK, VALUE, Settings
from .graph import Graph, ancestors_in
from .inference import Inference, ValidInference, infer, require_valid
from .training.config import OPTIMIZERS

# Optimizer state per trainable value, in slots of the parameters' dtype. SGD keeps a
# momentum buffer only when momentum is on; Adam and AdamW keep two moments (and a step
# count per parameter tensor, a few bytes, left out).
_STATE_SLOTS = {"sgd": 1, "adam": 2, "adamw": 2}
assert set(_STATE_SLOTS) == set(OPTIMIZERS), "every optimizer training offers has its state here"


@dataclass(frozen=True, slots=True)
class MemoryEstimate:
    """Bytes needed to train one batch, by kind.

    weights: parameters and buffers (BatchNorm running statistics).
    gradients: one per trainable parameter.
    optimizer_state: the optimizer's buffers (momentum, Adam's moments).
    activations: the tensors the forward pass keeps for the backward pass.
    """

    weights: int
    gradients: int
    optimizer_state: int
    activations: int

    @property
    def total(self) -> int:
        return self.weights + self.gradients + self.optimizer_state + self.activations


def memory_estimate(
    graph: Graph,
    batch_size: int,
    optimizer: str = "adam",
    *,
    momentum: float = 0.9,
    device: str = "cuda",
    bytes_per_value: int = 4,
    result: Inference | None = None,
) -> MemoryEstimate:
    """Estimate the memory to train `graph` at `batch_size` with `optimizer` (one of
    `builder.training.OPTIMIZERS`; `momentum` matters to SGD only).

    `device` is the torch device type ("cuda", "cpu", "mps"): dropout keeps a one-byte mask
    on CUDA and a full-width one elsewhere. `result` is `infer(graph)` when the caller has it.
    Counts only the blocks the output depends on, as the built model does. Raises
    `InvalidGraphError` for a network with errors and `ValueError` for an unknown optimizer.
    """
    if optimizer not in _STATE_SLOTS:
        raise ValueError(f"optimizer {optimizer!r}: use one of {', '.join(OPTIMIZERS)}")
    valid = require_valid(result if result is not None else infer(graph))
    sources, _ = graph.adjacency()  # once: the editor estimates after every edit
    used_ids = ancestors_in(sources, valid.output)
    used = [valid.nodes[nid] for nid in used_ids]
    params = sum(n.learnable for n in used)
    trainable = sum(n.trainable for n in used)
    slots = 0 if optimizer == "sgd" and momentum == 0 else _STATE_SLOTS[optimizer]
    return MemoryEstimate(
        weights=(params + sum(n.buffers for n in used)) * bytes_per_value,
        gradients=trainable * bytes_per_value,
        optimizer_state=trainable * slots * bytes_per_value,
        activations=_activation_bytes(graph, valid, sources, used_ids, batch_size, device, bytes_per_value),
    )


def activation_bytes(
    graph: Graph, result: ValidInference, batch_size: int, device: str = "cuda", bytes_per_value: int = 4
) -> int:
    """Bytes of the tensors a training forward pass keeps for backward, each storage once."""
    sources, _ = graph.adjacency()
    used = ancestors_in(sources, result.output)
    return _activation_bytes(graph, result, sources, used, batch_size, device, bytes_per_value)


def _activation_bytes(
    graph: Graph,
    result: ValidInference,
    sources: dict[str, list[str]],
    used: set[str],
    batch_size: int,
    device: str,
    bytes_per_value: int,
) -> int:
    element_bytes = {VALUE: bytes_per_value, INT64: 8, MASK: 1 if device == "cuda" else bytes_per_value}
    storage: dict[str, str] = {}  # node -> the node whose output tensor holds its output
    records: dict[str, bool] = {}  # node -> whether autograd records it (something upstream trains)
    kept: set[str] = set()  # storages kept for backward, by owning node
    other = 0  # bytes of the other tensors kept (indices, masks, batch statistics)
    for nid in result.order:
        if nid not in used:
            continue
        info, settings, inputs = result.nodes[nid], graph.nodes[nid].settings, sources[nid]
        keeps = CATALOG[info.type].backward
        if keeps is None:
            raise ValueError(f"{info.type} does not declare what its backward keeps (LayerSpec.backward)")
        records[nid] = info.trainable > 0 or any(records[s] for s in inputs)
        if _holds(keeps.aliases_input, settings):
            storage[nid] = storage[inputs[0]]
            continue
        storage[nid] = nid
        if not records[nid]:
            continue
        if _holds(keeps.saves_input, settings):
            kept.update(storage[s] for s in inputs)
        if keeps.saves_output:
            kept.add(nid)
        assert info.shape is not None, "a valid network's shapes are known"
        for t in keeps.extra(settings, info.input_shapes, info.shape) if keeps.extra else ():
            other += t.elements * element_bytes[t.dtype] * (batch_size if t.per_sample else 1)
    values = sum(prod(result.nodes[owner].shape or ()) for owner in kept)
    return values * batch_size * bytes_per_value + other


def _holds(flag, settings: Settings) -> bool:
    return flag(settings) if callable(flag) else bool(flag)
