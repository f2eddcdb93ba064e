"""`convcanvas import`: an existing PyTorch nn.Module or ONNX file as a ConvCanvas graph.

Named `import_` because `import` is a keyword; torch is imported inside `run`.
"""

from __future__ import annotations

import argparse

from ..document import save_graph
from ..errors import ConvCanvasError
from ..inference import infer
from .common import EXIT_OK, parse_shape


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "spec",
        nargs="?",
        help="torchvision:resnet18, path/to/file.py:Class, package.module:Class or model.onnx",
    )
    p.add_argument("-o", "--output", help="graph file to write (.json)")
    p.add_argument(
        "--input-shape",
        metavar="C,H,W",
        help="e.g. 3,224,224: a Python module needs it; torchvision models default to their "
        "weights' size; an ONNX file has its own",
    )
    p.add_argument("--weights-out", help="also save the model's weights under the graph's names")
    p.add_argument("--list", action="store_true", help="list the torchvision CNNs that import")


def run(args: argparse.Namespace) -> int:
    if args.list:
        return _list()
    if args.spec is None or args.output is None:
        raise ConvCanvasError(
            "give the model and -o graph.json, e.g. convcanvas import torchvision:resnet18 -o r.json"
        )
    from ..interop.model_sources import import_model
    from ..interop.weights import save_state_dict

    shape = parse_shape(args.input_shape) if args.input_shape else None
    imported = import_model(args.spec, shape)
    save_graph(imported.graph, args.output)
    result = infer(imported.graph)
    print(f"wrote {args.output}: {len(imported.graph.nodes)} blocks, {result.total_params:,} parameters")
    if args.weights_out:
        save_state_dict(imported.weights, args.weights_out, imported.graph)
        print(f"wrote {args.weights_out}")
    return EXIT_OK


def _list() -> int:
    from ..interop.zoo import torchvision_cnns

    for model in torchvision_cnns():
        shape = "x".join(map(str, model.input_shape))
        print(f"{model.spec:36} {model.parameters / 1e6:8.1f} M parameters   input {shape}")
    return EXIT_OK
