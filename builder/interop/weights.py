"""Weights on disk: ``.safetensors`` (with the graph in the metadata) or ``.pt`` state dicts."""

from __future__ import annotations

import io
from pathlib import Path

from ..atomic import write_atomic
from ..document import dumps_graph
from ..graph import Graph


def save_weights(model, path: str | Path, graph: Graph | None = None) -> None:
    """Save a model's weights: ``.safetensors`` (with the graph in its metadata) or ``.pt``."""
    save_state_dict(model.state_dict(), path, graph)


def save_state_dict(state: dict, path: str | Path, graph: Graph | None = None) -> None:
    import torch

    path = Path(path)
    state = {k: v.detach().cpu().contiguous() for k, v in state.items()}
    if path.suffix == ".safetensors":
        from safetensors.torch import save

        metadata = {"format": "convcanvas-weights"}
        if graph is not None:
            metadata["graph"] = dumps_graph(graph)
        write_atomic(path, save(state, metadata=metadata))
    else:
        buffer = io.BytesIO()
        torch.save(state, buffer)
        write_atomic(path, buffer.getvalue())


def load_weights(path: str | Path) -> dict:
    """A state dict from a ``.safetensors`` or ``.pt`` file."""
    import torch

    path = Path(path)
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return load_file(str(path))
    return torch.load(path, map_location="cpu", weights_only=True)
