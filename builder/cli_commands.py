"""Imports the modules that register further CLI commands (each with @command)."""
