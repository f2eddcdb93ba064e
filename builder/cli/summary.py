"""`convcanvas summary`: each layer's output shape, parameters and MACs, then the problems."""

from __future__ import annotations

import argparse
import json

from ..graph import Graph
from ..inference import OK, Inference, infer
from ..memory import MemoryEstimate, memory_estimate
from ..training.config import OPTIMIZERS, TrainConfig
from .common import EXIT_INVALID, EXIT_OK, open_graph, parse_shape, terminal_safe


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="graph file (.json), or a template name such as lenet5")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument("--input-shape", metavar="C,H,W", help="override the Input shape, e.g. 3,32,32")
    p.add_argument(
        "--batch-size", type=int, default=None, help="also estimate the memory to train a batch this size"
    )
    d = TrainConfig()
    p.add_argument(
        "--optimizer", choices=OPTIMIZERS, default=d.optimizer, help="the optimizer of the memory estimate"
    )
    p.add_argument(
        "--momentum", type=float, default=d.momentum, help="SGD's momentum (0: SGD keeps no state)"
    )


def run(args: argparse.Namespace) -> int:
    graph = open_graph(args.file)
    if args.input_shape:
        graph.set_input_shape(parse_shape(args.input_shape))
    result = infer(graph)
    memory = None
    if args.batch_size and result.valid:
        memory = memory_estimate(
            graph, args.batch_size, args.optimizer, momentum=args.momentum, result=result
        )
    if args.json:
        data = summary_json(result)
        if memory is not None:
            settings = {"batch_size": args.batch_size, "optimizer": args.optimizer}
            data["memory"] = {**settings, **_memory_fields(memory)}
        print(json.dumps(data, indent=2))
    else:
        print(summary_table(graph, result))
        if memory is not None:
            print("\n" + memory_table(memory, args.batch_size, args.optimizer))
    return EXIT_OK if result.valid else EXIT_INVALID


def _memory_fields(m: MemoryEstimate) -> dict[str, int]:
    return {
        "weights": m.weights,
        "gradients": m.gradients,
        "optimizer_state": m.optimizer_state,
        "activations": m.activations,
        "total": m.total,
    }


def memory_table(m: MemoryEstimate, batch_size: int, optimizer: str) -> str:
    """The training-memory estimate, one line per kind, in MiB."""
    lines = [f"training memory at batch {batch_size} ({optimizer}, float32, on CUDA):"]
    names = {"optimizer_state": "optimizer state", "activations": "activations (kept for backward)"}
    fields = _memory_fields(m)
    width = max(len(names.get(k, k)) for k in fields)
    for key, value in fields.items():
        lines.append(f"  {names.get(key, key):<{width}}  {value / 2**20:>10,.1f} MiB")
    return "\n".join(lines)


def _fmt_shape(shape) -> str:
    return " x ".join(map(str, shape)) if shape else "?"


def summary_table(graph: Graph, result: Inference) -> str:
    """A course-notes style table: layer, type, output shape, params, activations, MACs."""
    header = ("layer", "type", "output (C x H x W)", "params", "activations", "MACs")
    rows = []
    for nid in result.order:
        info = result.nodes[nid]
        shape = _fmt_shape(info.shape) if info.status == OK else ("error" if info.error else "unknown")
        rows.append((nid, info.type, shape, f"{info.learnable:,}", f"{info.activations:,}", f"{info.macs:,}"))
    frozen = result.total_params - result.trainable_params
    total = (
        "total",
        "",
        _fmt_shape(result.output_shape),
        f"{result.total_params:,}",
        f"{result.total_activations:,}",
        f"{result.total_macs:,}",
    )
    widths = [max(len(r[i]) for r in [header, *rows, total]) for i in range(len(header))]
    right = {3, 4, 5}

    def line(row) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    out = [terminal_safe(graph.name), line(header), rule, *map(line, rows), rule, line(total)]
    out.append(f"trainable params: {result.trainable_params:,}" + (f" ({frozen:,} frozen)" if frozen else ""))
    if result.errors:
        out.append("")
        out.append(f"{len(result.errors)} error(s):")
        out += [f"  {issue}" for issue in result.errors]
    if result.warnings:
        out.append("")
        out.append(f"{len(result.warnings)} warning(s):")
        out += [f"  {issue}" for issue in result.warnings]
    if result.valid:
        out.append("")
        out.append("valid network")
    return "\n".join(out)


def summary_json(result: Inference) -> dict:
    """The summary as one JSON-ready dict: layers, totals, errors and warnings."""

    def issue(i) -> dict:
        return {"node": i.node, "message": i.message, "fix": i.fix, "code": i.code}

    return {
        "valid": result.valid,
        "input": list(result.input_shape) if result.input_shape else None,
        "output": list(result.output_shape) if result.output_shape else None,
        "layers": [
            {
                "id": nid,
                "type": info.type,
                "output_shape": list(info.shape) if info.shape else None,
                "params": info.learnable,
                "trainable_params": info.trainable,
                "activations": info.activations,
                "macs": info.macs,
                "receptive_field": list(info.receptive_pixels) if info.receptive_pixels else None,
                "error": info.error.message if info.error else None,
            }
            for nid, info in ((n, result.nodes[n]) for n in result.order)
        ],
        "total_params": result.total_params,
        "trainable_params": result.trainable_params,
        "total_macs": result.total_macs,
        "errors": [issue(i) for i in result.errors],
        "warnings": [issue(i) for i in result.warnings],
    }
