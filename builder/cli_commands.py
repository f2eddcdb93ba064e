"""Imports the modules that register further CLI commands (each with @command)."""

from . import cli_port, cli_train  # noqa: F401
