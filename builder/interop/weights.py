"""Weights on disk: ``.safetensors`` (with the graph in the metadata) or ``.pt`` state dicts."""

from __future__ import annotations

import io
import pickle
import struct
import zipfile
from pathlib import Path

from ..atomic import write_atomic
from ..document import dumps_graph
from ..errors import ConvCanvasError
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


# what torch.load raises on a file that is cut short, damaged or not a torch file at all
TORCH_LOAD_ERRORS = (
    pickle.UnpicklingError,
    RuntimeError,
    EOFError,
    ValueError,
    IndexError,
    KeyError,
    TypeError,
    AttributeError,
    OverflowError,
    struct.error,
    zipfile.BadZipFile,
)


class WeightsError(ConvCanvasError):
    """A weights file cannot be read or holds something other than weights."""


def load_weights(path: str | Path) -> dict:
    """A state dict from a ``.safetensors`` or ``.pt`` file; `WeightsError` naming the file and
    what to use instead when it is not one. (OSError for a missing or unreadable file.)"""
    import torch
    from safetensors import SafetensorError

    path = Path(path)
    fix = (
        "choose a .safetensors or .pt file of weights (saved by ConvCanvas or torch.save(model.state_dict()))"
    )
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(path))
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
    except (SafetensorError, *TORCH_LOAD_ERRORS) as e:
        if isinstance(e, pickle.UnpicklingError) or "Weights only load failed" in str(e):
            reason = "not a saved state dict, or damaged"  # torch's own text is about its settings
        else:
            reason = str(e).strip().splitlines()[0][:120] if str(e).strip() else type(e).__name__
        raise WeightsError(f"{path} is not a weights file ({reason}); {fix}") from None
    if isinstance(state, dict) and "model" in state and isinstance(state["model"], dict):
        state = state["model"]  # a training checkpoint: its weights
    if not isinstance(state, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise WeightsError(f"{path} holds {type(state).__name__}, not a dictionary of named tensors; {fix}")
    return state


def fitting_weights(model_state: dict, weights: dict) -> tuple[dict, list[str]]:
    """The entries of `weights` that fit a model whose state dict is `model_state` (same name
    and shape), and the names of the model's blocks that get none of theirs and so start
    from fresh values: blocks added or changed since the weights were made."""
    fitting = {
        k: v for k, v in weights.items() if k in model_state and tuple(v.shape) == tuple(model_state[k].shape)
    }
    fresh = sorted({k.split(".", 1)[0] for k in model_state if k not in fitting})
    return fitting, fresh


def fresh_blocks_message(fresh: list[str], source: str) -> str:
    """One line for a run or export that starts some blocks from fresh values."""
    shown = ", ".join(fresh[:6]) + (f" and {len(fresh) - 6} more" if len(fresh) > 6 else "")
    return (
        f"{len(fresh)} block(s) start from fresh values, not from {source}: {shown} "
        "(added or changed since those weights were made)"
    )
