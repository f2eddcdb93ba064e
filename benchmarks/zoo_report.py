"""Imports every torchvision classification CNN and checks the result against torchvision.

For each model: does it import, are its parameters and buffers exactly torchvision's, are its
multiply-accumulates equal to torch's FlopCounterMode, does the model built from the graph
(with torchvision's weights loaded, randomly initialised here) give torchvision's eval output,
does the exported PyTorch code give it too, does its ONNX export give it in onnxruntime, and
how long the import takes. Outputs must agree within 1e-4, relative to the largest output
when that exceeds 1: with random weights (nothing is downloaded) deep networks' outputs are
huge (inception_v3's reach 1e12), and float32 kernels of torch and onnxruntime differ in the
last digits. Vision transformers are out of scope.

    python benchmarks/zoo_report.py                 # every model, with ONNX (over an hour on 2 cores)
    python benchmarks/zoo_report.py --no-onnx       # without the ONNX check (about 20 minutes)
    python benchmarks/zoo_report.py resnet18 vgg11  # a few
"""

from __future__ import annotations

import argparse
import contextlib
import io
import time
import warnings

import torch
import torchvision
from torch.utils.flop_counter import FlopCounterMode

from builder import (
    TORCHVISION_CNNS,
    ImportFailed,
    build_model,
    class_name_for,
    export_onnx,
    export_python,
    import_module,
    infer,
)

ZOO = TORCHVISION_CNNS  # the models ConvCanvas lists for import
# the auxiliary heads of these two train only; the eval network is the one without them
WITHOUT_AUX = {
    "googlenet": {"aux_logits": False, "init_weights": False},
    "inception_v3": {"aux_logits": False},
}


def input_shape(name: str) -> tuple[int, int, int]:
    return (3, 299, 299) if name == "inception_v3" else (3, 224, 224)


def macs(model: torch.nn.Module, shape) -> int:
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.randn(1, *shape))
    return counter.get_total_flops() // 2


def check(name: str, check_onnx: bool = True) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = torchvision.models.get_model(name, weights=None, **WITHOUT_AUX.get(name, {})).eval()
    shape = input_shape(name)
    row: dict = {"model": name}
    start = time.perf_counter()
    try:
        imported = import_module(model, shape, name)
    except ImportFailed as e:
        row.update(imported=False, problem=f"{len(e.problems)} problem(s), first: {e.problems[0][:90]}")
        return row
    row["seconds"] = time.perf_counter() - start
    result = infer(imported.graph)
    state = imported.state_dict_from(model)
    # learnable parameters plus buffers (BatchNorm statistics and batch counters)
    row["params"] = result.total_params + sum(n.buffers for n in result.nodes.values())
    row["params_exact"] = row["params"] == sum(t.numel() for t in model.state_dict().values())
    row["macs"] = result.total_macs
    row["macs_exact"] = result.total_macs == macs(model, shape)
    rebuilt = build_model(imported.graph).eval()
    rebuilt.load_state_dict(state)
    x = torch.randn(2, *shape)
    with torch.no_grad():
        reference = model(x)
        row["scale"] = float(reference.abs().max())
        row["diff"] = (rebuilt(x) - reference).abs().max().item()
        namespace: dict = {}
        with contextlib.redirect_stdout(io.StringIO()):
            exec(export_python(imported.graph), namespace)
        exported = namespace[class_name_for(imported.graph.name)]().eval()
        exported.load_state_dict(rebuilt.state_dict())
        row["export_diff"] = (exported(x) - reference).abs().max().item()
    row["onnx_diff"] = float("nan")
    if check_onnx:
        try:
            row["onnx_diff"] = onnx_diff(rebuilt, shape, x, reference)
        except Exception as e:  # report it in the table and go on with the next model
            row["onnx_problem"] = f"{type(e).__name__}: {str(e).splitlines()[0][:100]}"
    row["imported"] = True
    return row


def onnx_diff(model: torch.nn.Module, shape, x: torch.Tensor, reference: torch.Tensor) -> float:
    """Export the built model to ONNX as the app does and run it in onnxruntime."""
    import tempfile

    import onnxruntime

    with tempfile.TemporaryDirectory() as folder, contextlib.redirect_stderr(io.StringIO()):
        path = f"{folder}/m.onnx"
        export_onnx(model, path, shape)
        session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
        out = session.run(None, {"input": x.numpy()})[0]
    return float((torch.from_numpy(out) - reference).abs().max())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", help="torchvision model names (default: the whole zoo)")
    parser.add_argument("--no-onnx", action="store_true", help="skip the ONNX export check (it is slow)")
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_grad_enabled(False)
    names = args.models or ZOO
    print(
        f"{'model':22} {'imported':8} {'params':>12} {'exact':5} {'MACs':>15} {'exact':5} "
        f"{'max diff':>9} {'export':>9} {'onnx':>9} {'max |out|':>9} {'import s':>8}"
    )
    rows = []
    for name in names:
        row = check(name, not args.no_onnx)
        rows.append(row)
        if not row["imported"]:
            print(f"{name:22} {'no':8} {row['problem']}", flush=True)
            continue
        print(
            f"{name:22} {'yes':8} {row['params']:>12,} {'yes' if row['params_exact'] else 'NO':5} "
            f"{row['macs']:>15,} {'yes' if row['macs_exact'] else 'NO':5} {row['diff']:9.1e} "
            f"{row['export_diff']:9.1e} {row['onnx_diff']:9.1e} {row['scale']:9.1e} {row['seconds']:8.2f}",
            flush=True,
        )
        if "onnx_problem" in row:
            print(f"{'':22} ONNX export failed: {row['onnx_problem']}", flush=True)
    ok = [r for r in rows if r["imported"]]
    diffs = ("diff", "export_diff") if args.no_onnx else ("diff", "export_diff", "onnx_diff")
    # relative to the output's size: with random weights a deep network's outputs are huge
    # (about 1e12 for inception_v3), and float32 kernels differ in their last digits
    exact = [
        r
        for r in ok
        if r["params_exact"] and r["macs_exact"] and max(r[d] for d in diffs) <= 1e-4 * max(1.0, r["scale"])
    ]
    checked = "model and exported code" + ("" if args.no_onnx else " and ONNX")
    print(
        f"total: {len(ok)} of {len(rows)} imported; {len(exact)} exact in parameters and MACs with outputs "
        f"within 1e-4, relative to the largest output where it exceeds 1 ({checked})"
    )


if __name__ == "__main__":
    main()
