"""ONNX export through torch.export, checked with onnx.checker.

A model over protobuf's 2 GB limit (regnet_y_128gf) keeps its weights in a second file,
``NAME.onnx.data``, beside ``NAME.onnx``: the exporter names it after the file it saves, so
the export is made under the target's own name and both files are moved into place.
"""

from __future__ import annotations

from pathlib import Path

from ..atomic import write_atomic


def export_onnx(model, path: str | Path, input_shape, opset: int = 18) -> None:
    """Export with torch.export and a dynamic batch dimension; check with onnx.checker."""
    import contextlib
    import io
    import tempfile

    import onnx
    import torch

    model = model.eval()
    example = torch.randn(2, *input_shape)
    chatter = io.StringIO()  # the exporter reports its progress on stdout
    with contextlib.redirect_stdout(chatter), tempfile.TemporaryDirectory() as tmp:
        program = torch.onnx.export(
            model,
            (example,),
            dynamo=True,
            input_names=["input"],
            output_names=["output"],
            dynamic_shapes=({0: torch.export.Dim("batch")},),
            opset_version=opset,
        )
        assert program is not None, "torch.onnx.export with dynamo=True returns the program"
        made = Path(tmp) / Path(path).name
        program.save(str(made))
        onnx.checker.check_model(str(made), full_check=True)  # reads external data beside it
        # the weights file (if any) first: a finished .onnx never points at a missing one
        for extra in sorted(p for p in Path(tmp).iterdir() if p != made):
            write_atomic(Path(path).with_name(extra.name), extra.read_bytes())
        write_atomic(path, made.read_bytes())
