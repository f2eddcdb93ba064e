"""Headless command line: `convcanvas summary|templates|...` (also `python -m builder`).

Exit status: 0 success / valid graph, 1 invalid graph, 2 unreadable file or bad arguments.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections.abc import Callable

from ..errors import ConvCanvasError
from ..graph import Graph
from ..inference import OK, Inference, infer

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2

_COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable]] = {}


def command(name: str, help_text: str, configure: Callable[[argparse.ArgumentParser], None]):
    """Register a subcommand; other modules add theirs (train, export, import) this way."""

    def register(run: Callable[[argparse.Namespace], int]):
        _COMMANDS[name] = (help_text, configure, run)
        return run

    return register


def subcommands() -> list[str]:
    _load_commands()
    return list(_COMMANDS)


def _load_commands() -> None:
    # Commands whose modules pull in torch register lazily so `summary` stays quick.
    from . import port, train  # noqa: F401


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse exits with 2 too; keep its usage line
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    _load_commands()
    parser = _Parser(
        prog="convcanvas",
        description="ConvCanvas: draw, check, train and export convolutional networks. "
        "Run without a command to open the app.",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, (help_text, configure, _run) in _COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        configure(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _help, _configure, run = _COMMANDS[args.command]
    try:
        return run(args)
    except ConvCanvasError as e:
        print(f"convcanvas {args.command}: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


# ---------------------------------------------------------------------------------------
# summary


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
    out = [f"{graph.name}", line(header), rule, *map(line, rows), rule, line(total)]
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
                "receptive_field": list(info.receptive_field) if info.receptive_field else None,
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


def _configure_summary(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="graph file (.json), or a template name such as lenet5")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument("--input-shape", metavar="C,H,W", help="override the Input shape, e.g. 3,32,32")
    p.add_argument("--batch-size", type=int, default=None, help="also print a training memory estimate")


def parse_shape(text: str) -> tuple[int, int, int]:
    try:
        c, h, w = (int(v) for v in text.replace("x", ",").split(","))
    except ValueError:
        raise ConvCanvasError(f"--input-shape must be C,H,W such as 3,32,32, got {text!r}") from None
    return (c, h, w)


def open_graph(spec: str) -> Graph:
    """A graph from a file path, or from a bundled template name."""
    from pathlib import Path

    from ..document import load_graph
    from ..templates import template_path

    if not Path(spec).exists() and not spec.endswith(".json") and "/" not in spec:
        try:
            return load_graph(template_path(spec))
        except KeyError:
            pass
    return load_graph(spec)


@command(
    "summary", "Print each layer's output shape, parameters and MACs, then problems.", _configure_summary
)
def _run_summary(args: argparse.Namespace) -> int:
    graph = open_graph(args.file)
    if args.input_shape:
        graph.set_input_shape(parse_shape(args.input_shape))
    result = infer(graph)
    if args.json:
        print(json.dumps(summary_json(result), indent=2))
    else:
        print(summary_table(graph, result))
        if args.batch_size:
            from ..inference import memory_estimate

            m = memory_estimate(result, args.batch_size)
            mib = 1024 * 1024
            print(
                f"\ntraining memory at batch {args.batch_size} (Adam, float32): "
                f"{m.total / mib:,.1f} MiB = weights {m.weights / mib:,.1f} + gradients "
                f"{m.gradients / mib:,.1f} + optimizer {m.optimizer_state / mib:,.1f} + activations "
                f"{m.activations / mib:,.1f}"
            )
    return EXIT_OK if result.valid else EXIT_INVALID


def _configure_templates(p: argparse.ArgumentParser) -> None:
    pass


@command("templates", "List the bundled example networks.", _configure_templates)
def _run_templates(args: argparse.Namespace) -> int:
    from ..templates import list_templates

    for name, graph in list_templates():
        result = infer(graph)
        shape = "x".join(map(str, result.input_shape or ()))
        line = textwrap.shorten(graph.description, 72, placeholder="...")
        print(f"{name:<16} {shape:>10} {result.total_params:>12,} params  {line}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
