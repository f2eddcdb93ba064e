"""The `convcanvas` entry point: a subcommand runs headless, anything else opens the app.

No Qt import at module level, so `convcanvas summary` works where Qt cannot load.
"""

from __future__ import annotations

import sys
from pathlib import Path


def is_command(argv: list[str]) -> bool:
    """Whether `argv` is for the command line: help, or a first word that is not a file.

    The app opens files; a bare word that names no file (no dot, no slash) is a subcommand,
    or a mistyped one that the command line's usage message explains.
    """
    if not argv:
        return False
    first = argv[0]
    if first in ("-h", "--help"):
        return True
    return not first.startswith("-") and not any(c in first for c in "./\\") and not Path(first).exists()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if is_command(argv):
        from builder import cli_main

        return cli_main(argv)
    from ui.app import run_app

    return run_app(argv)


if __name__ == "__main__":
    sys.exit(main())
