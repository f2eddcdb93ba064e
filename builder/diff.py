"""What changed between two versions of a network: blocks added, removed and changed (with
each setting's old and new value), wires added and removed, and the parameter counts.

Blocks are matched by id: ids are stable in ConvCanvas (a block keeps its id through every
edit but a rename), so two runs of one project compare block by block.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .graph import Edge, Graph
from .inference import infer


@dataclass(frozen=True, slots=True)
class SettingChange:
    node: str
    setting: str
    before: Any
    after: Any


@dataclass
class GraphDiff:
    added: list[str] = field(default_factory=list)  # ids in the second graph only
    removed: list[str] = field(default_factory=list)  # ids in the first graph only
    retyped: list[tuple[str, str, str]] = field(default_factory=list)  # (id, type before, type after)
    changed: list[SettingChange] = field(default_factory=list)
    frozen: list[tuple[str, bool]] = field(default_factory=list)  # (id, frozen after)
    wires_added: list[Edge] = field(default_factory=list)
    wires_removed: list[Edge] = field(default_factory=list)
    output_before: str | None = None
    output_after: str | None = None
    params_before: int = 0  # of the blocks the output depends on, as the built model has
    params_after: int = 0
    types: dict[str, str] = field(default_factory=dict)  # id -> block type, for either graph

    @property
    def same(self) -> bool:
        """No difference that changes the network (positions and names do not count)."""
        return not (
            self.added
            or self.removed
            or self.retyped
            or self.changed
            or self.frozen
            or self.wires_added
            or self.wires_removed
            or self.output_before != self.output_after
        )

    def lines(self) -> list[str]:
        """The differences as short sentences, for a list or a message."""
        out = [f"added {n} ({self.types[n]})" for n in self.added]
        out += [f"removed {n} ({self.types[n]})" for n in self.removed]
        out += [f"{n}: {before} became {after}" for n, before, after in self.retyped]
        out += [f"{c.node}: {c.setting} {_text(c.before)} → {_text(c.after)}" for c in self.changed]
        out += [f"{n}: {'frozen' if f else 'no longer frozen'}" for n, f in self.frozen]
        out += [f"wire {e.source} → {e.target} added" for e in self.wires_added]
        out += [f"wire {e.source} → {e.target} removed" for e in self.wires_removed]
        if self.output_before != self.output_after:
            out.append(
                f"the output is {self.output_after or 'not marked'}, was {self.output_before or 'not marked'}"
            )
        return out


def _text(value: Any) -> str:
    if isinstance(value, tuple):
        return "×".join(map(str, value))
    return str(value)


def graph_diff(before: Graph, after: Graph) -> GraphDiff:
    """How `after` differs from `before`."""
    diff = GraphDiff()
    old, new = before.nodes, after.nodes
    diff.types = {**{n: v.type for n, v in old.items()}, **{n: v.type for n, v in new.items()}}
    diff.added = [n for n in new if n not in old]
    diff.removed = [n for n in old if n not in new]
    for node_id in (n for n in new if n in old):
        a, b = old[node_id], new[node_id]
        if a.type != b.type:
            diff.retyped.append((node_id, a.type, b.type))
            continue
        diff.changed += [
            SettingChange(node_id, name, a.settings[name], b.settings[name])
            for name in b.settings
            if a.settings.get(name) != b.settings[name]
        ]
        if a.frozen != b.frozen:
            diff.frozen.append((node_id, b.frozen))
    old_edges, new_edges = set(before.edges), set(after.edges)
    diff.wires_added = [e for e in after.edges if e not in old_edges]
    diff.wires_removed = [e for e in before.edges if e not in new_edges]
    diff.output_before, diff.params_before = _output_and_params(before)
    diff.output_after, diff.params_after = _output_and_params(after)
    return diff


def _output_and_params(graph: Graph) -> tuple[str | None, int]:
    result = infer(graph)
    if result.output is None:
        return None, result.total_params
    used = graph.ancestors(result.output)
    return result.output, sum(result.nodes[n].learnable for n in used)
