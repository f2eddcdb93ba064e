"""Exceptions and issue records shared by the whole core."""

from __future__ import annotations

from dataclasses import dataclass


def quoted(value: object, limit: int = 60) -> str:
    """A value from a file or a user, for a message: its repr, cut to `limit` characters.

    Messages quote what they got, and a file can hold anything: a megabyte of text, or an
    integer with more digits than Python will print.
    """
    try:
        text = repr(value)
    except ValueError:
        return f"a {type(value).__name__} value too long to show"
    return text if len(text) <= limit else text[: limit - 3] + "..."


class ConvCanvasError(Exception):
    """Base class for every error the core raises on purpose."""


class SettingError(ConvCanvasError):
    """A block setting has a value of the wrong kind or out of its range."""

    def __init__(self, setting: str, message: str, fix: str = ""):
        super().__init__(message)
        self.setting = setting
        self.message = message
        self.fix = fix


class ShapeError(ConvCanvasError):
    """A block cannot accept the shapes fed into it.

    `code` identifies the rule that was broken so that a user interface can offer a
    one-click fix; `setting` names the block setting that causes it, when there is one.
    """

    def __init__(self, message: str, fix: str = "", *, code: str = "shape", setting: str | None = None):
        super().__init__(message)
        self.message = message
        self.fix = fix
        self.code = code
        self.setting = setting


class GraphFormatError(ConvCanvasError):
    """A graph document cannot be read; `problems` lists every reason found."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"cannot read {source}:\n{lines}")


class InvalidGraphError(ConvCanvasError):
    """An operation needs a valid graph and got one with errors."""

    def __init__(self, issues: list[Issue]):
        self.issues = issues
        lines = "\n".join(f"  - {i}" for i in issues)
        super().__init__(f"the network has {len(issues)} error(s):\n{lines}")


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem found in a graph, attached to a node.

    `code` is a stable identifier of the broken rule (e.g. ``"needs_flatten"``)
    that front ends use to offer fixes; `setting` names the offending block setting.
    """

    node: str
    message: str
    fix: str = ""
    code: str = "shape"
    setting: str | None = None
    severity: str = "error"

    def __str__(self) -> str:
        text = f"{self.node}: {self.message}"
        return f"{text}. Fix: {self.fix}" if self.fix else text
