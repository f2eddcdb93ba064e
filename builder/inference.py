"""Analytic shape and parameter inference over a whole graph.

No torch here: the editing path re-infers after every edit, so this is plain arithmetic
over the catalog's rules (a few microseconds per node), and given the previous result it
recomputes only the blocks an edit can have changed. Each node ends up `ok`,
`error` (it breaks a rule; the message names the numbers and the fix) or `unknown` (it is
downstream of an error, so its shape cannot be known; it is not a second error).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from math import ceil, prod

from .blocks import CATALOG, Shape, Window
from .blocks.window import unseen_rows
from .errors import InvalidGraphError, Issue, ShapeError
from .graph import Graph, depth_first_order

OK = "ok"
ERROR = "error"
UNKNOWN = "unknown"
Pixels = int | Fraction  # a Fraction only after an upsampling block


@dataclass(slots=True)
class NodeInfo:
    """What inference knows of one node. Counts are per sample (no batch dimension)."""

    id: str
    type: str
    status: str = UNKNOWN
    shape: Shape | None = None
    input_shapes: Sequence[Shape] = ()
    learnable: int = 0  # learnable parameters (torch's parameters())
    trainable: int = 0  # learnable parameters that training updates (not frozen)
    buffers: int = 0  # non-learned state such as BatchNorm running statistics
    activations: int = 0  # values in the output tensor
    macs: int = 0  # multiply-accumulates
    # in input pixels; None: the whole input. After an upsampling block both are exact
    # fractions (a step of 1/2 pixel); `receptive_pixels` rounds the field up.
    receptive_field: tuple[Pixels, Pixels] | None = None
    jump: tuple[Pixels, Pixels] = (1, 1)  # cumulative stride: input pixels per output step
    error: Issue | None = None
    warnings: Sequence[Issue] = ()  # a list once there is one

    @property
    def receptive_pixels(self) -> tuple[int, int] | None:
        """The receptive field in whole input pixels: the most that one output value sees
        (a field of 5/2 pixels after an upsampling reaches 3 pixels at some positions)."""
        if self.receptive_field is None:
            return None
        h, w = self.receptive_field
        return (ceil(h), ceil(w))


@dataclass(slots=True)
class Inference:
    """The result of inferring a graph."""

    nodes: dict[str, NodeInfo]
    order: list[str]  # topological order (nodes on cycles last)
    errors: list[Issue]
    warnings: list[Issue]
    output: str | None  # the node whose output is the network's output
    # what each node's arithmetic was computed from, so that the next `infer` can reuse it
    memo: _Memo | None = field(default=None, repr=False, compare=False)

    @property
    def valid(self) -> bool:
        return not self.errors  # a graph with no output always has an error saying so

    @property
    def total_params(self) -> int:
        return sum(n.learnable for n in self.nodes.values())

    @property
    def trainable_params(self) -> int:
        return sum(n.trainable for n in self.nodes.values())

    @property
    def total_macs(self) -> int:
        return sum(n.macs for n in self.nodes.values())

    @property
    def total_activations(self) -> int:
        return sum(n.activations for n in self.nodes.values())

    @property
    def input_shape(self) -> Shape | None:
        for info in self.nodes.values():
            if info.type == "Input":
                return info.shape
        return None

    @property
    def output_shape(self) -> Shape | None:
        return self.nodes[self.output].shape if self.output else None

    def issues_for(self, node_id: str) -> list[Issue]:
        info = self.nodes[node_id]
        return ([info.error] if info.error else []) + list(info.warnings)


@dataclass(slots=True)
class ValidInference(Inference):
    """The inference of a network without errors: it has an output, and every shape on the
    way to it is known. `infer` returns one whenever the graph is valid."""

    output: str

    @property
    def input_shape(self) -> Shape:
        for info in self.nodes.values():
            if info.type == "Input" and info.shape is not None:
                return info.shape
        raise AssertionError("a valid network has an Input")

    @property
    def output_shape(self) -> Shape:
        shape = self.nodes[self.output].shape
        assert shape is not None, "a valid network's output has a shape"
        return shape


def require_valid(result: Inference) -> ValidInference:
    """`result` as a `ValidInference`, or `InvalidGraphError` listing its errors."""
    if not isinstance(result, ValidInference):
        raise InvalidGraphError(result.errors)
    return result


@dataclass(slots=True)
class _Step:
    """One node's arithmetic as last computed: reused while the node's type, settings and
    frozen flag and its inputs' infos are what they were."""

    type: str
    settings: dict
    frozen: bool
    upstream: tuple[NodeInfo, ...]
    info: NodeInfo  # before the whole-network checks add their warnings


@dataclass(slots=True)
class _Memo:
    nodes: tuple[str, ...]
    edges: tuple
    preds: dict[str, list[str]]
    succs: dict[str, list[str]]
    order: list[str]
    steps: dict[str, _Step]


def infer(graph: Graph, previous: Inference | None = None) -> Inference:
    """Infer every node's output shape, counts and receptive field; never raises.

    With `previous` (an earlier result for this graph, before some edits), the nodes whose
    settings and inputs are unchanged keep their arithmetic and only the rest is recomputed;
    the result is the same as without it. A recomputed node whose info comes out equal to
    the one before passes the old object on, so an edit stops spreading where shapes stop
    changing, and views can tell unchanged nodes by identity.
    """
    nodes = graph.nodes
    memo = previous.memo if previous is not None else None
    node_key, edge_key = tuple(nodes), tuple(graph.edges)
    if memo is not None and memo.nodes == node_key and memo.edges == edge_key:
        preds, succs, order = memo.preds, memo.succs, list(memo.order)
    else:
        preds, succs = graph.adjacency()
        order = depth_first_order(preds, succs)
    old_steps = memo.steps if memo is not None else {}
    steps: dict[str, _Step] = {}
    new_memo = _Memo(node_key, edge_key, preds, succs, list(order), steps)
    infos: dict[str, NodeInfo] = {}
    errors: list[Issue] = []
    warnings: list[Issue] = []
    input_seen: str | None = None

    for nid in order:
        node = nodes[nid]
        spec = CATALOG[node.type]
        sources = preds[nid]
        if len(sources) == 1 and spec.max_inputs == 1:  # the common case: no structural issue
            only = infos[sources[0]]
            if only.status != OK:
                infos[nid] = NodeInfo(nid, node.type)
                continue
            upstream: tuple[NodeInfo, ...] = (only,)
        else:
            issue = _structure_issue(nid, spec, sources, input_seen)
            if spec.forward == "input" and input_seen is None:
                input_seen = nid
            if issue is not None:
                infos[nid] = NodeInfo(nid, node.type, ERROR, error=issue)
                errors.append(issue)
                continue
            upstream = tuple(infos[s] for s in sources)
            if any(u.status != OK for u in upstream):
                infos[nid] = NodeInfo(nid, node.type)
                continue
        old = old_steps.get(nid)
        if (
            old is not None
            and old.type == node.type
            and old.frozen == node.frozen
            and old.settings == node.settings
            and old.upstream == upstream  # mostly the same objects: tuples compare those first
        ):
            step = old
        else:
            step = _Step(
                node.type, dict(node.settings), node.frozen, upstream, _analyze(nid, node, spec, upstream)
            )
            if old is not None and step.info == old.info:
                step.info = old.info  # unchanged: what follows can be reused too
        steps[nid] = step
        info = infos[nid] = step.info
        if info.error is not None:
            errors.append(info.error)
        warnings.extend(info.warnings)

    unreached = [nid for nid in nodes if nid not in infos]  # on a cycle, or downstream of one
    for nid in unreached:
        infos[nid] = NodeInfo(nid, nodes[nid].type)
        order.append(nid)
    for issue in _cycle_issues(unreached, succs):
        infos[issue.node].status = ERROR
        infos[issue.node].error = issue
        errors.append(issue)

    if input_seen is None and nodes:
        errors.append(
            Issue(
                "network",
                "there is no Input block",
                "add an Input block and connect it",
                code="no_input_block",
            )
        )
    output = _output_node(graph.declared_output(), order, succs, infos, warnings, errors)
    if output is None and not errors:
        if nodes:
            errors.append(
                Issue(
                    input_seen or "network",
                    "the network has no blocks after the Input",
                    "drag blocks from the palette and connect them",
                    code="no_layers",
                )
            )
        else:
            errors.append(
                Issue(
                    "network",
                    "the network is empty",
                    "start from a template, or add an Input block",
                    code="empty",
                )
            )
    if not errors and output is not None:
        return ValidInference(infos, order, errors, warnings, output, new_memo)
    return Inference(infos, order, errors, warnings, output, new_memo)


def _analyze(nid: str, node, spec, upstream: tuple[NodeInfo, ...]) -> NodeInfo:
    """The node's own arithmetic, given its inputs' infos (all ok)."""
    shapes = [u.shape for u in upstream if u.shape is not None]  # all are ok here
    try:
        a = spec.analyze(node.settings, shapes)
    except ShapeError as e:
        return NodeInfo(nid, node.type, ERROR, error=Issue(nid, e.message, e.fix, e.code, e.setting))
    rf, jump = _receptive_field(a.window, upstream)
    info = NodeInfo(
        nid,
        node.type,
        OK,
        a.shape,
        shapes,
        a.learnable,
        0 if node.frozen else a.learnable,
        a.buffers,
        prod(a.shape),
        a.macs,
        rf,
        jump,
    )
    if isinstance(a.window, Window) and a.window.tiles_exactly:
        remainders = unseen_rows(a.window, shapes[0])
        if remainders:
            has_ceil_mode = any(setting.name == "ceil_mode" for setting in spec.settings)
            info.warnings = [_dropped_warning(nid, remainders, has_ceil_mode)]
    return info


def _structure_issue(nid: str, spec, sources: list[str], input_seen: str | None) -> Issue | None:
    n = len(sources)
    if spec.forward == "input":
        if input_seen is not None:
            return Issue(
                nid,
                f"a second Input block (the network's input is {input_seen})",
                "delete this block; a network has one Input",
                code="second_input",
            )
        if n:
            return Issue(
                nid,
                f"the Input block cannot take inputs, but {', '.join(sources)} is connected to it",
                "remove the wire into the Input",
                code="input_has_input",
            )
        return None
    if n == 0:
        return Issue(
            nid,
            "is not reachable from the Input: nothing is connected to it",
            "drag a wire from another block's output to its input, or delete it",
            code="no_input",
        )
    if n < spec.min_inputs:
        return Issue(
            nid,
            f"{spec.type} joins at least {spec.min_inputs} inputs but has {n} ({sources[0]})",
            "connect another branch to it, or delete it",
            code="too_few_inputs",
        )
    if spec.max_inputs is not None and n > spec.max_inputs:
        return Issue(
            nid,
            f"{spec.type} takes one input but {n} are connected ({', '.join(sources)})",
            "remove the extra wires, or join the branches with an Add or Concat block first",
            code="too_many_inputs",
        )
    return None


def _receptive_field(
    window: Window | str | None, upstream
) -> tuple[tuple[Pixels, Pixels] | None, tuple[Pixels, Pixels]]:
    """(receptive field, cumulative stride) of a node; None for the field means the whole input."""
    if not upstream:  # the Input
        return (1, 1), (1, 1)
    if len(upstream) == 1:
        rf, jump = upstream[0].receptive_field, upstream[0].jump
    else:
        fields = [u.receptive_field for u in upstream]
        rf = None if None in fields else (max(f[0] for f in fields), max(f[1] for f in fields))
        jump = (max(u.jump[0] for u in upstream), max(u.jump[1] for u in upstream))
    if window is None:
        return rf, jump
    if not isinstance(window, Window):  # GLOBAL
        return None, jump
    (kh, kw), (sh, sw) = window.kernel, window.stride
    if rf is not None:
        rf = (rf[0] + (kh - 1) * jump[0], rf[1] + (kw - 1) * jump[1])
    return rf, (jump[0] * sh, jump[1] * sw)


def _dropped_warning(nid: str, remainders, has_ceil_mode: bool) -> Issue:
    same_both = len(remainders) == 2 and remainders[0][1:] == remainders[1][1:]
    parts = []
    for axis, n, f, pad, stride, left in remainders[:1] if same_both else remainders:
        what = "row and column" if same_both else "row" if axis == "H" else "column"
        if left > 1:
            what = "rows and columns" if same_both else what + "s"
        count = "" if left == 1 else f"{left} "
        verb = "are" if same_both or left > 1 else "is"
        parts.append(
            f"{'H, W' if same_both else axis}: (N - F + 2P) = ({n} - {f} + 2*{pad}) = "
            f"{n - f + 2 * pad} is not divisible by stride {stride}, so the last {count}{what} "
            f"of the input {verb} never seen"
        )
    fix = "adjust padding or stride so the windows tile the input exactly" + (
        ", or enable ceil mode" if has_ceil_mode else ""
    )
    _, _, f, _, stride, _ = remainders[0]
    if f < stride:  # the gaps between windows are skipped anyway: say so, it is often meant
        fix += (
            f". A kernel of {f} with stride {stride} reads only every {_ordinal(stride)} row and column "
            "anyway; a strided 1x1 shortcut (ResNet's downsampling) does this by design, and then "
            "this warning can be left"
        )
    return Issue(
        nid,
        "; ".join(parts),
        fix,
        code="dropped_rows",
        setting="stride",
        severity="warning",
    )


def _ordinal(n: int) -> str:
    return {2: "second", 3: "third", 4: "fourth"}.get(n, f"{n}th")


def _cycle_issues(unreached: list[str], succs) -> list[Issue]:
    """One issue per node that lies on a cycle; nodes merely downstream of one stay unknown."""
    left = set(unreached)
    issues = []
    for nid in unreached:
        path = _path_back_to(nid, succs, left)
        if path:
            issues.append(
                Issue(
                    nid,
                    f"is part of a cycle ({' -> '.join(path)}); a network must flow one way",
                    "remove one of the wires that loop back",
                    code="cycle",
                )
            )
    return issues


def _path_back_to(start: str, succs, allowed: set[str]) -> list[str] | None:
    stack = [(start, [start])]
    seen = set()
    while stack:
        nid, path = stack.pop()
        for s in succs[nid]:
            if s == start:
                return [*path, start]
            if s in allowed and s not in seen:
                seen.add(s)
                stack.append((s, [*path, s]))
    return None


def _output_node(declared, order, succs, infos, warnings, errors) -> str | None:
    ends = [nid for nid in order if not succs[nid] and infos[nid].type != "Input"]
    # blocks that are broken or cut off have their own errors; they make no candidate
    candidates = [nid for nid in ends if infos[nid].status == OK]
    if declared is None and len(candidates) > 1:
        names = ", ".join(candidates)
        errors.append(
            Issue(
                "network",
                f"the network has {len(candidates)} blocks whose output nothing uses ({names}), "
                "so which one is its output is ambiguous",
                "mark the block that gives the network's result as its output, "
                "or connect or delete the others",
                code="ambiguous_output",
            )
        )
        return None
    output = declared or next(iter(candidates), None) or (ends[-1] if ends else None)
    for nid in ends:
        if nid == output:
            continue
        w = Issue(
            nid,
            f"its output is not used: the network's output is {output}",
            "connect it to the rest of the network, or delete it",
            code="unused_output",
            severity="warning",
        )
        # a new info, not the memo's: the next inference may reuse that one
        infos[nid] = replace(infos[nid], warnings=[*infos[nid].warnings, w])
        warnings.append(w)
    return output


def scores_node(graph: Graph, result: Inference) -> str | None:
    """The node whose output is the class scores: the network's output, or the block that
    feeds a final probability head (a Softmax), which training and prediction skip."""
    output = result.output
    if output is None or not CATALOG[graph.nodes[output].type].outputs_probabilities:
        return output
    sources = graph.inputs_of(output)
    return sources[0] if len(sources) == 1 else output
