"""`convcanvas import`: an existing PyTorch nn.Module as a ConvCanvas graph.

Named `import_` because `import` is a keyword; torch is imported inside `run`.
"""

from __future__ import annotations

import argparse

from ..document import save_graph
from ..inference import infer
from .common import EXIT_OK, parse_shape


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("spec", help="package.module:Class, path/to/file.py:Class or torchvision:resnet18")
    p.add_argument("-o", "--output", required=True, help="graph file to write (.json)")
    p.add_argument("--input-shape", required=True, metavar="C,H,W", help="e.g. 3,224,224")
    p.add_argument("--weights-out", help="also save the module's weights under the graph's names")


def run(args: argparse.Namespace) -> int:
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
