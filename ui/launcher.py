"""The `convcanvas` entry point: a subcommand runs headless, anything else opens the app.

No Qt import at module level, so `convcanvas summary` works where Qt cannot load.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    from builder.cli import cli_main, subcommands

    if argv and (argv[0] in subcommands() or argv[0] in ("-h", "--help")):
        return cli_main(argv)
    from ui.app import run_app

    return run_app(argv)


if __name__ == "__main__":
    sys.exit(main())
