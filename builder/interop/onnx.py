"""ONNX export through torch.export, checked with onnx.checker."""

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
        program.save(f"{tmp}/model.onnx")
        data = Path(f"{tmp}/model.onnx").read_bytes()
    onnx.checker.check_model(onnx.load_from_string(data), full_check=True)
    write_atomic(path, data)
