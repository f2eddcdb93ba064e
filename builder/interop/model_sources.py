"""One way in for every kind of existing model: a torchvision CNN by name, an `nn.Module`
class in a Python file or package, or an ONNX file. The app's File > Import and
`convcanvas import` both call `import_model`, so they accept and refuse the same things.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConvCanvasError
from ..graph import Graph


@dataclass
class ImportedModel:
    """An imported network and its weights under the graph's names."""

    graph: Graph
    weights: dict[str, Any]  # state dict for `build_model(graph)`
    source: str  # what it was imported from, for titles and messages: "torchvision resnet18"


def is_onnx(spec: str) -> bool:
    return spec.lower().endswith(".onnx")


def import_model(spec: str, input_shape: tuple[int, int, int] | None = None) -> ImportedModel:
    """Import `spec`: ``torchvision:resnet18``, ``path/to/file.py:Class``, ``package.module:Class``
    or ``path/to/model.onnx``. `input_shape` (C, H, W) is required for Python modules; a
    torchvision model defaults to the size its published weights use, and an ONNX file
    states its own (a different one is refused).

    Raises `ImportFailed` for a model that cannot be represented exactly and
    `ConvCanvasError` for a source that cannot be read; both say what to do.
    """
    if is_onnx(spec):
        from .onnx_import import import_onnx

        onnx_result = import_onnx(spec)
        imported = onnx_result.graph.input_node()
        if input_shape is not None and imported is not None:
            declared = tuple(imported.settings["shape"])
            if declared != tuple(input_shape):
                raise ConvCanvasError(
                    f"the file's input is {' x '.join(map(str, declared))}, not "
                    f"{' x '.join(map(str, input_shape))}; leave out the input shape, or re-export the "
                    "model for the size you want"
                )
        return ImportedModel(onnx_result.graph, onnx_result.state_dict, Path(spec).name)

    from .importer import import_module, load_module_spec

    where, _, name = spec.rpartition(":")
    if where == "torchvision":
        from .zoo import torchvision_model, zoo_model

        module = torchvision_model(name)
        if input_shape is None:
            input_shape = zoo_model(name).input_shape
        source = f"torchvision {name}"
    else:
        if input_shape is None:
            raise ConvCanvasError(f"{spec}: give the input shape (channels, height, width), e.g. 3,224,224")
        module, name = load_module_spec(spec)
        source = f"{Path(where).name}:{name}"
    result = import_module(module, input_shape, name)
    return ImportedModel(result.graph, result.state_dict_from(module), source)


def module_classes(path: str | Path) -> list[str]:
    """Names of the classes a Python file defines, read without running it (the file runs
    only when the user imports one of them)."""
    import ast

    path = Path(path)
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, UnicodeDecodeError) as e:
        raise ConvCanvasError(f"{path} cannot be read: {e}") from None
    except SyntaxError as e:
        raise ConvCanvasError(f"{path} is not valid Python (line {e.lineno}: {e.msg})") from None
    return [node.name for node in tree.body if isinstance(node, ast.ClassDef)]
