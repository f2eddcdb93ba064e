"""Groups of blocks: the tree that the blocks' group paths make, what crosses a group's
boundary, a group's shapes and parameters, and checks for making and removing groups.

A block's `Node.group` is a dotted path, outermost first ("layer2.0" is group "0" inside group
"layer2"); a group exists while some block lies in it or in a group inside it. The canvas draws
a group as a frame and can collapse it to one card (`Graph.collapsed`).

A group must be convex to make one: no path may leave it and come back in. Otherwise its
collapsed card would feed a block that feeds the card again (a cycle on the canvas), and its
"input" and "output" shapes would mean nothing. `grouping` refuses such selections and says
which block lies between the selected ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .blocks import Shape
from .graph import Edge, Graph, path_problem
from .inference import OK, Inference


def parent_of(path: str) -> str:
    """The group that holds `path` ("" for a top-level group)."""
    return path.rpartition(".")[0]


def name_of(path: str) -> str:
    """The last part of a path: the name the canvas shows on the frame."""
    return path.rpartition(".")[2]


def chain(group: str) -> tuple[str, ...]:
    """`group` and the groups around it, outermost first: "layer2.0" -> ("layer2", "layer2.0")."""
    if not group:
        return ()
    parts = group.split(".")
    return tuple(".".join(parts[: i + 1]) for i in range(len(parts)))


def within(group: str, path: str) -> bool:
    """Whether a block whose group is `group` lies in the group `path` (at any depth)."""
    return group == path or group.startswith(path + ".")


def group_paths(graph: Graph) -> list[str]:
    """Every group with a block in it, each after the group around it, in the order of
    their first blocks."""
    seen: dict[str, None] = {}
    for node in graph.nodes.values():
        for path in chain(node.group):
            seen.setdefault(path)
    return list(seen)


def members(graph: Graph, path: str) -> list[str]:
    """The blocks in group `path` and in the groups inside it, in graph order."""
    return [nid for nid, node in graph.nodes.items() if within(node.group, path)]


def hidden_in(graph: Graph, collapsed: Iterable[str] | None = None) -> dict[str, str]:
    """The blocks that a collapsed group hides, each with the outermost collapsed group
    around it (whose card the canvas shows instead). `collapsed` defaults to the graph's."""
    folded = set(graph.collapsed if collapsed is None else collapsed)
    if not folded:
        return {}
    owner: dict[str, str] = {}
    for nid, node in graph.nodes.items():
        for path in chain(node.group):
            if path in folded:
                owner[nid] = path
                break
    return owner


def boundary(graph: Graph, path: str, inside: set[str] | None = None) -> tuple[list[Edge], list[Edge]]:
    """The wires into group `path` from outside and out of it to outside, in wire order."""
    inside = set(members(graph, path)) if inside is None else inside
    into = [e for e in graph.edges if e.target in inside and e.source not in inside]
    out = [e for e in graph.edges if e.source in inside and e.target not in inside]
    return into, out


@dataclass(frozen=True, slots=True)
class GroupSummary:
    """What a collapsed group's card shows. Shapes are None where inference does not know
    them (a block in the way has an error)."""

    path: str
    blocks: tuple[str, ...]
    inputs: tuple[str, ...]  # the blocks outside whose outputs the group takes, in wire order
    outputs: tuple[str, ...]  # the group's blocks whose outputs leave it (or are the network's)
    input_shapes: tuple[Shape | None, ...]
    output_shapes: tuple[Shape | None, ...]
    params: int  # learnable parameters of the group's blocks
    errors: int  # blocks of the group that have an error


def group_summary(graph: Graph, path: str, result: Inference) -> GroupSummary:
    """The inputs, outputs, their shapes and the parameter total of group `path`.

    A group that holds the network's Input takes the Input's shape as an input; one that
    holds the network's output gives that output (nothing outside uses it).
    """
    return group_summaries(graph, [path], result)[path]


def group_summaries(graph: Graph, paths: Iterable[str], result: Inference) -> dict[str, GroupSummary]:
    """`group_summary` of each of `paths`, in one pass over the graph (the canvas asks for
    every collapsed card after every edit)."""
    wanted = set(paths)
    blocks: dict[str, list[str]] = {p: [] for p in wanted}
    sources: dict[str, list[str]] = {p: [] for p in wanted}
    ends: dict[str, list[str]] = {p: [] for p in wanted}
    nodes = graph.nodes
    for nid, node in nodes.items():
        for p in chain(node.group):
            if p in wanted:
                blocks[p].append(nid)
                if node.type == "Input":
                    sources[p].append(nid)
    for e in graph.edges:
        a, b = chain(nodes[e.source].group), chain(nodes[e.target].group)
        for p in wanted.intersection(a).symmetric_difference(wanted.intersection(b)):
            if p in b:
                sources[p].append(e.source)
            else:
                ends[p].append(e.source)
    infos = result.nodes

    def shape(nid: str) -> Shape | None:
        info = infos.get(nid)
        return info.shape if info is not None and info.status == OK else None

    summaries = {}
    for p in wanted:
        into, out = list(dict.fromkeys(sources[p])), list(dict.fromkeys(ends[p]))
        last = result.output
        if last is not None and last not in out and last in nodes and within(nodes[last].group, p):
            out.append(last)
        inside = [infos[n] for n in blocks[p] if n in infos]
        summaries[p] = GroupSummary(
            p,
            tuple(blocks[p]),
            tuple(into),
            tuple(out),
            tuple(shape(n) for n in into),
            tuple(shape(n) for n in out),
            sum(i.learnable for i in inside),
            sum(1 for i in inside if i.error is not None),
        )
    return summaries


class GroupingRefused(ValueError):
    """A selection cannot become a group; the message says why and what to do instead."""


def grouping(graph: Graph, node_ids: Sequence[str], name: str) -> tuple[str, dict[str, str]]:
    """The path of the new group `name` for the selected blocks, and each block's new group.

    The new group goes inside the deepest group that holds all of them; groups inside that
    one keep their place in the new group. Raises `GroupingRefused` for an empty selection, a
    name that is not one part, a name already taken there, a selection that takes part of a
    group (select all of it or none), and a selection that is not convex.
    """
    selected = [n for n in graph.nodes if n in set(node_ids)]
    if not selected:
        raise GroupingRefused("select the blocks to group first")
    problem = path_problem(name, "a group name")
    if problem is not None or not name:
        raise GroupingRefused(problem or "a group needs a name")
    if "." in name:
        raise GroupingRefused(f"a group name is one part, without dots (dots join nested groups): {name!r}")
    chains = [chain(graph.nodes[n].group) for n in selected]
    common: tuple[str, ...] = chains[0]
    for c in chains[1:]:
        k = 0
        while k < min(len(common), len(c)) and common[k] == c[k]:
            k += 1
        common = common[:k]
    outer = common[-1] if common else ""
    chosen = set(selected)
    for path in dict.fromkeys(p for c in chains for p in c[len(common) :]):
        inner = members(graph, path)
        left = [n for n in inner if n not in chosen]
        if left:
            raise GroupingRefused(
                f"the selection takes part of group {path} ({len(inner) - len(left)} of its {len(inner)} "
                f"blocks; {', '.join(left[:3])}{', ...' if len(left) > 3 else ''} left out): "
                "select all of it or none of it"
            )
    new = f"{outer}.{name}" if outer else name
    taken = [n for n in graph.nodes if n not in chosen and within(graph.nodes[n].group, new)]
    if taken:
        where = f"in {outer}" if outer else "at the top level"
        raise GroupingRefused(f"a group named {name!r} already exists {where} (it holds {taken[0]})")
    between = _between(graph, chosen)
    if between is not None:
        raise GroupingRefused(
            f"{between} lies between the selected blocks (it takes an output of the selection and "
            "feeds the selection again), so the group would feed itself when collapsed; "
            f"add {between} to the selection or leave out the blocks after it"
        )
    return new, {n: new + graph.nodes[n].group[len(outer) :] for n in selected}


def ungrouping(graph: Graph, path: str) -> dict[str, str]:
    """The new group of every block of group `path` when that group is removed: its blocks
    and the groups inside it move up into the group around it."""
    blocks = members(graph, path)
    if not blocks:
        raise GroupingRefused(f"there is no group {path!r}")
    parent = parent_of(path)
    result = {}
    for n in blocks:
        rest = graph.nodes[n].group[len(path) + 1 :]
        result[n] = ".".join(p for p in (parent, rest) if p)
    return result


def collapsed_after(graph: Graph, new_groups: dict[str, str], removed: str | None = None) -> set[str]:
    """The collapsed groups once the blocks in `new_groups` have moved to their new groups: a
    collapsed group all of whose blocks moved keeps its state under its new path; `removed`
    (an ungrouped group) is no longer collapsed."""
    result = set()
    for path in graph.collapsed:
        if path == removed:
            continue
        inside = members(graph, path)
        if inside and all(n in new_groups for n in inside):
            old, new = graph.nodes[inside[0]].group, new_groups[inside[0]]
            rest = len(old) - len(path)
            path = new[: len(new) - rest]
        result.add(path)
    return result


def _between(graph: Graph, chosen: set[str]) -> str | None:
    """A block outside `chosen` that is both downstream and upstream of chosen blocks."""
    preds, succs = graph.adjacency()

    def reach(step) -> set[str]:
        seen: set[str] = set()
        stack = [m for n in chosen for m in step[n] if m not in chosen]
        while stack:
            n = stack.pop()
            if n in seen or n in chosen:
                continue
            seen.add(n)
            stack.extend(step[n])
        return seen

    both = reach(succs) & reach(preds)
    return next((n for n in graph.nodes if n in both), None)
