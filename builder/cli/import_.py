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
        "spec", help="package.module:Class, path/to/file.py:Class, torchvision:resnet18 or model.onnx"
    )
    p.add_argument("-o", "--output", required=True, help="graph file to write (.json)")
    p.add_argument(
        "--input-shape", metavar="C,H,W", help="e.g. 3,224,224 (a module needs it; an ONNX file has its own)"
    )
    p.add_argument("--weights-out", help="also save the module's weights under the graph's names")


def run(args: argparse.Namespace) -> int:
    from ..interop.importer import import_module, load_module_spec
    from ..interop.weights import save_state_dict

    if args.spec.lower().endswith(".onnx"):
        state, imported = _import_onnx(args)
    else:
        if args.input_shape is None:
            raise ConvCanvasError("give --input-shape C,H,W (such as 3,224,224) to import a module")
        module, name = load_module_spec(args.spec)
        imported = import_module(module, parse_shape(args.input_shape), name)
        state = imported.state_dict_from(module)
    save_graph(imported.graph, args.output)
    result = infer(imported.graph)
    print(f"wrote {args.output}: {len(imported.graph.nodes)} blocks, {result.total_params:,} parameters")
    if args.weights_out:
        save_state_dict(state, args.weights_out, imported.graph)
        print(f"wrote {args.weights_out}")
    return EXIT_OK


def _import_onnx(args: argparse.Namespace):
    """The file's graph and weights; --input-shape, if given, must be the file's own."""
    from ..interop.onnx_import import import_onnx

    imported = import_onnx(args.spec)
    shape = imported.graph.input_node().settings["shape"]  # type: ignore[union-attr]
    if args.input_shape is not None and parse_shape(args.input_shape) != tuple(shape):
        raise ConvCanvasError(
            f"the file's input is {' x '.join(map(str, shape))}; leave out --input-shape or re-export "
            "the model for the size you want"
        )
    return imported.state_dict, imported
