"""`convcanvas templates`: the bundled example networks, one line each."""

from __future__ import annotations

import argparse
import textwrap

from ..inference import infer
from ..templates import list_templates
from .common import EXIT_OK


def configure(p: argparse.ArgumentParser) -> None:
    pass  # no arguments


def run(args: argparse.Namespace) -> int:
    for name, graph in list_templates():
        result = infer(graph)
        shape = "x".join(map(str, result.input_shape or ()))
        line = textwrap.shorten(graph.description, 72, placeholder="...")
        print(f"{name:<16} {shape:>10} {result.total_params:>12,} params  {line}")
    return EXIT_OK
