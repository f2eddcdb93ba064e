"""What the commands share: exit statuses, opening a graph by path or template name, C,H,W."""

from __future__ import annotations

from pathlib import Path

from ..document import load_graph
from ..errors import ConvCanvasError
from ..graph import Graph
from ..templates import template_path

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def open_graph(spec: str) -> Graph:
    """A graph from a file path, or from a bundled template name such as ``lenet5``."""
    if not Path(spec).exists() and not spec.endswith(".json") and "/" not in spec:
        try:
            return load_graph(template_path(spec))
        except KeyError:
            pass
    return load_graph(spec)


def parse_shape(text: str) -> tuple[int, int, int]:
    """``"3,32,32"`` (or ``"3x32x32"``) as ``(3, 32, 32)``; a `ConvCanvasError` otherwise."""
    try:
        c, h, w = (int(v) for v in text.replace("x", ",").split(","))
    except ValueError:
        raise ConvCanvasError(f"--input-shape must be C,H,W such as 3,32,32, got {text!r}") from None
    return (c, h, w)


def terminal_safe(text: str) -> str:
    """`text` with control characters shown escaped: names and messages quote project files,
    and an escape sequence in a file must not drive the user's terminal."""
    return "".join(c if c.isprintable() or c in "\n\t" else repr(c)[1:-1] for c in text)


def os_error_message(e: OSError) -> str:
    """One line naming the file, what went wrong and what to do about it."""
    where = f" {e.filename}" if e.filename else ""
    reason = e.strerror or str(e)
    fixes = {
        28: "free some disk space or choose another folder",  # ENOSPC
        13: "choose a folder you can write to, or change its permissions",  # EACCES
        30: "choose a folder on a writable disk",  # EROFS
        2: "check the path",  # ENOENT
        1: "choose a folder you can write to",  # EPERM
    }
    fix = fixes.get(e.errno or 0, "check the path and try again")
    return f"cannot use{where}: {reason}; {fix}"
