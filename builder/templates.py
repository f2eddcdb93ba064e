"""The bundled example networks in resources/templates."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from .document import load_graph
from .graph import Graph


def templates_dir() -> Path:
    return Path(str(resources.files("resources") / "templates"))


def list_templates() -> list[tuple[str, Graph]]:
    """(name, graph) of every bundled template, sorted by file name."""
    return [(p.stem, load_graph(p)) for p in sorted(templates_dir().glob("*.json"))]


def template_path(name: str) -> Path:
    path = templates_dir() / f"{name}.json"
    if not path.exists():
        known = ", ".join(p.stem for p in sorted(templates_dir().glob("*.json")))
        raise KeyError(f"no template named {name!r}; templates: {known}")
    return path


def load_template(name: str) -> Graph:
    return load_graph(template_path(name))
