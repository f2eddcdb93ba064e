"""The command line: ``convcanvas summary|templates|train|export|import``.

Importing this package loads only the command table; a command's module loads when it runs.
"""

from .main import COMMANDS, Command, subcommands
from .main import main as cli_main

__all__ = ["COMMANDS", "Command", "cli_main", "subcommands"]
