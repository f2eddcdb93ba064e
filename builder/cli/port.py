"""`convcanvas export` and `convcanvas import`."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import ConvCanvasError
from ..inference import infer
from .main import EXIT_INVALID, EXIT_OK, command, open_graph, parse_shape

FORMATS = ("py", "train-py", "onnx", "weights")


def _configure_export(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="graph file (.json) or template name")
    p.add_argument(
        "--format",
        choices=FORMATS,
        required=True,
        help="py: the model as PyTorch code; train-py: plus a training script; onnx; "
        "weights: .safetensors or .pt",
    )
    p.add_argument("-o", "--output", required=True, help="file to write")
    p.add_argument("--weights", help="trained weights (.safetensors or .pt) for onnx and weights")


@command(
    "export", "Write the network as PyTorch code, a training script, ONNX or weights.", _configure_export
)
def _run_export(args: argparse.Namespace) -> int:
    graph = open_graph(args.file)
    result = infer(graph)
    if not result.valid:
        print("cannot export an invalid network:")
        for issue in result.errors:
            print(f"  {issue}")
        return EXIT_INVALID
    out = Path(args.output)
    if args.format in ("py", "train-py"):
        from ..atomic import write_atomic

        if args.format == "py":
            from ..interop.code import export_python

            text = export_python(graph, result)
        else:
            from ..interop.training_script import export_training_script

            text = export_training_script(graph, result=result)
        write_atomic(out, text)
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


def _configure_import(p: argparse.ArgumentParser) -> None:
    p.add_argument("spec", help="package.module:Class, path/to/file.py:Class or torchvision:resnet18")
    p.add_argument("-o", "--output", required=True, help="graph file to write (.json)")
    p.add_argument("--input-shape", required=True, metavar="C,H,W", help="e.g. 3,224,224")
    p.add_argument("--weights-out", help="also save the module's weights under the graph's names")


@command("import", "Turn an existing PyTorch nn.Module into a ConvCanvas graph.", _configure_import)
def _run_import(args: argparse.Namespace) -> int:
    from ..document import save_graph
    from ..interop.importer import import_module, load_module_spec
    from ..interop.weights import save_state_dict

    module, name = load_module_spec(args.spec)
    imported = import_module(module, parse_shape(args.input_shape), name)
    save_graph(imported.graph, args.output)
    result = infer(imported.graph)
    print(f"wrote {args.output}: {len(imported.graph.nodes)} blocks, {result.total_params:,} parameters")
    if args.weights_out:
        save_state_dict(imported.state_dict_from(module), args.weights_out, imported.graph)
        print(f"wrote {args.weights_out}")
    return EXIT_OK
