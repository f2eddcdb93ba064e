"""The command line: ``convcanvas summary|templates|train|export|import``."""

from .main import main as cli_main
from .main import subcommands

__all__ = ["cli_main", "subcommands"]
