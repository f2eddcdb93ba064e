"""Imports the modules that register further CLI commands (each with @command)."""

from . import cli_port  # noqa: F401
