"""Headless command line: `convcanvas summary|templates|train|export|import` (also `python -m builder`).

`COMMANDS` is the whole table: a help line and the module that implements each command. A
command module exposes ``configure(parser)`` and ``run(args) -> int`` and is imported only when
its command is chosen, so `convcanvas --help` imports none of them and `convcanvas summary`
never loads torch, which only `train`, `export` and `import` need.

Exit status: 0 success / valid graph, 1 invalid graph, 2 unreadable file or bad arguments.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from dataclasses import dataclass
from typing import Any, Protocol, cast

from ..errors import ConvCanvasError
from .common import EXIT_OK, EXIT_USAGE, os_error_message, terminal_safe


@dataclass(frozen=True, slots=True)
class Command:
    help: str
    module: str  # exposes configure(parser) and run(args) -> int


# the order here is the order `convcanvas --help` lists them
COMMANDS: dict[str, Command] = {
    "summary": Command(
        "Print each layer's output shape, parameters and MACs, then problems.", "builder.cli.summary"
    ),
    "templates": Command("List the bundled example networks.", "builder.cli.templates"),
    "export": Command(
        "Write the network as PyTorch code, a training script, ONNX or weights.", "builder.cli.export"
    ),
    "import": Command(
        "Turn an existing PyTorch nn.Module or ONNX file into a ConvCanvas graph.", "builder.cli.import_"
    ),
    "train": Command(
        "Train a network headless and save the run (metrics, checkpoints, weights).", "builder.cli.train"
    ),
}


class CommandModule(Protocol):
    def configure(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


def load_command(name: str) -> CommandModule:
    """The module that implements command `name`, imported now."""
    return cast(CommandModule, importlib.import_module(COMMANDS[name].module))


def subcommands() -> list[str]:
    """The command names, without importing any command module (the app's launcher asks)."""
    return list(COMMANDS)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse exits with 2 too; keep its usage line
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


class _CommandParser(_Parser):
    """A subcommand's parser that adds its arguments only when argparse hands it the command line."""

    def __init__(self, *, command: str, **kwargs: Any):
        super().__init__(**kwargs)
        self._command, self._configured = command, False

    def parse_known_args(self, args=None, namespace=None):
        if not self._configured:
            load_command(self._command).configure(self)
            self._configured = True
        return super().parse_known_args(args, namespace)


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser; each command's arguments are added when that command is parsed."""
    parser = _Parser(
        prog="convcanvas",
        description="ConvCanvas: draw, check, train and export convolutional networks. "
        "Run without a command to open the app.",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_CommandParser)
    for name, command in COMMANDS.items():
        sub.add_parser(name, help=command.help, description=command.help, command=name)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns its exit status (argparse raises SystemExit(2) on bad usage)."""
    args = build_parser().parse_args(argv)
    try:
        return load_command(args.command).run(args)
    except ConvCanvasError as e:
        print(terminal_safe(f"convcanvas {args.command}: {e}"), file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # the reader stopped early (`| head`): not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return EXIT_OK
    except OSError as e:  # a full disk, a read-only or missing folder
        print(terminal_safe(f"convcanvas {args.command}: {os_error_message(e)}"), file=sys.stderr)
        return EXIT_USAGE
    except MemoryError:
        print(
            f"convcanvas {args.command}: out of memory; try a smaller batch size or input, "
            "or close other programs",
            file=sys.stderr,
        )
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
