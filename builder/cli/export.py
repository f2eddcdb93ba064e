"""`convcanvas export`: the network as PyTorch code, a training script, ONNX or weights.

Only the ONNX and weights formats need torch; it is imported inside `run` for them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..atomic import write_atomic
from ..errors import ConvCanvasError
from ..inference import infer
from .common import EXIT_INVALID, EXIT_OK, open_graph

FORMATS = ("py", "train-py", "onnx", "weights")


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="graph file (.json) or template name")
    p.add_argument(
        "--format",
        choices=FORMATS,
        required=True,
        help="py: the model as PyTorch code; train-py: plus a training script; onnx; "
        "weights: .safetensors or .pt",
    )
    p.add_argument("-o", "--output", required=True, help="file to write")
    p.add_argument(
        "--weights",
        help="trained weights (.safetensors or .pt) for onnx and weights; with train-py they are "
        "written beside the script to fine-tune from",
    )


def run(args: argparse.Namespace) -> int:
    graph = open_graph(args.file)
    result = infer(graph)
    if not result.valid:
        print("cannot export an invalid network:")
        for issue in result.errors:
            print(f"  {issue}")
        return EXIT_INVALID
    out = Path(args.output)
    if args.format == "py":
        from ..interop.code import export_python

        write_atomic(out, export_python(graph, result))
    elif args.format == "train-py":
        from ..interop.training_script import write_training_script
        from ..interop.weights import load_weights

        weights = load_weights(args.weights) if args.weights else None
        for written in write_training_script(out, graph, result=result, weights=weights)[1:]:
            print(f"wrote {written}")
    else:
        import torch

        from ..interop.onnx import export_onnx
        from ..interop.torch_model import build_model
        from ..interop.weights import load_weights, save_weights

        torch.manual_seed(0)
        model = build_model(graph, result)
        if args.weights:
            state = load_weights(args.weights)
            missing, unexpected = model.load_state_dict(state, strict=False)
            if missing or unexpected:
                raise ConvCanvasError(
                    f"{args.weights} does not fit this network: missing {sorted(missing)[:5]}, "
                    f"unexpected {sorted(unexpected)[:5]}"
                )
        if args.format == "onnx":
            export_onnx(model, out, result.input_shape)
        else:
            save_weights(model, out, graph)
    print(f"wrote {out}")
    return EXIT_OK
