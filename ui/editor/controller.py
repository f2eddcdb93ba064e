"""The one place that changes the graph: every edit is a command on one QUndoStack.

Views subscribe to the signals; after every change of the stack the graph is re-inferred
and `inferred` carries the result.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from builder import (
    CATALOG,
    Fix,
    Graph,
    GraphFormatError,
    Inference,
    InsertBetween,
    MarkOutput,
    SettingError,
    ShapeError,
    auto_layout,
    bypass,
    coerce_settings,
    graph_to_dict,
    infer,
    loads_graph,
)
from builder import SetSettings as SetSettingsEdit

from . import commands, placement

CLIPBOARD_MIME = "application/x-convcanvas-blocks"


class PasteRefused(ValueError):
    """The clipboard's text cannot be pasted; the message says why. Nothing was changed."""


class GraphController(QObject):
    graph_reset = Signal()
    node_added = Signal(str)
    node_removed = Signal(str)
    node_changed = Signal(str)
    node_moved = Signal(str)
    edge_added = Signal(str, str)
    edge_removed = Signal(str, str)
    output_changed = Signal()  # the block marked as the network's output changed
    renamed = Signal(str)  # the network's name (title, export class, file name suggestion)
    inferred = Signal(object)  # Inference
    groups_changed = Signal()  # blocks moved between groups, or a group collapsed or expanded

    def __init__(self, graph: Graph | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.graph = graph if graph is not None else Graph()
        self.undo_stack = QUndoStack(self)
        self.result: Inference = infer(self.graph)
        self._adopt_output()
        self._macro_depth = 0
        self._pushing = 0
        self._inferences = 0  # re-inferences so far: a push re-infers once, see _push
        self.undo_stack.indexChanged.connect(self._reinfer)

    # -- whole graph ---------------------------------------------------------------

    def load(self, graph: Graph) -> None:
        """Replace the graph (new or opened file); the history starts afresh.

        Clearing the history moves its index, which would re-infer and tell the views about
        a graph they have not been reset to yet: that waits until `graph_reset` has rebuilt them.
        """
        self._macro_depth += 1  # no re-inference while the history is cleared
        try:
            self.undo_stack.clear()
            self.undo_stack.setClean()
            self.graph = graph
            self.result = infer(graph)
            self._adopt_output()
        finally:
            self._macro_depth -= 1
        self.graph_reset.emit()
        self.inferred.emit(self.result)

    # -- edits --------------------------------------------------------------------

    def add_node(self, block_type: str, pos=(0.0, 0.0), settings: dict | None = None) -> str:
        settings = coerce_settings(block_type, settings or {})
        node_id = self.graph.new_id(block_type)
        self._push(commands.AddNode(self, block_type, settings, tuple(pos), node_id))
        return node_id

    def append_after(self, node_id: str | None, block_type: str) -> str:
        """Add a block below `node_id`, taking over its outgoing wires (so it lands in a chain)."""
        if node_id is None or node_id not in self.graph.nodes:
            return self.add_node(block_type, placement.first_row(self))
        with self.macro(f"Append {block_type} after {node_id}"):
            new_id = self.add_node(block_type, placement.spot_after(self, node_id))
            for target in self.graph.outputs_of(node_id):
                index = self._edge_index(node_id, target)
                self._push(commands.Disconnect(self, node_id, target))
                self._push(commands.Connect(self, new_id, target, index))
            if CATALOG[block_type].max_inputs != 0:
                self._push(commands.Connect(self, node_id, new_id))
        return new_id

    def insert_on_edge(self, source: str, target: str, block_type: str, settings=None) -> str:
        """Put a new block on the wire source -> target, keeping the target's input order; it goes
        one row after the source, and the cards from there on move on to make room."""
        # a missing wire or a bad setting fails here, before any command is pushed
        index = self._edge_index(source, target)
        settings = coerce_settings(block_type, settings or {})
        with self.macro(f"Insert {block_type} between {source} and {target}"):
            new_id = self.add_node(block_type, placement.spot_after(self, source), settings)
            self._push(commands.Disconnect(self, source, target))
            self._push(commands.Connect(self, source, new_id))
            self._push(commands.Connect(self, new_id, target, index))
        return new_id

    def remove(self, node_ids=(), edges=()) -> None:
        node_ids = [n for n in node_ids if n in self.graph.nodes]
        edges = [(s, t) for s, t in edges if s not in node_ids and t not in node_ids and self._has_edge(s, t)]
        if not node_ids and not edges:
            return
        with self.macro(_describe("Delete", node_ids, edges)):
            for source, target in edges:
                self._push(commands.Disconnect(self, source, target))
            for node_id in node_ids:
                self._push(commands.RemoveNode(self, node_id))

    def can_connect(self, source: str, target: str) -> tuple[bool, str]:
        """Whether a wire source -> target would be accepted, and why not."""
        graph = self.graph
        if source == target:
            return False, "a block cannot feed itself"
        spec = CATALOG[graph.nodes[target].type]
        sources = graph.inputs_of(target)
        if source in sources:
            return False, "already connected"
        if spec.max_inputs == 0:
            return False, "the Input takes no inputs"
        if spec.max_inputs is not None and len(sources) >= spec.max_inputs:
            return False, f"{target} already has its input"
        if self._reaches(target, source):
            return False, "the wire would make a cycle"
        return True, ""

    def shape_problem(self, source: str, target: str) -> str:
        """Why the target's arithmetic cannot take the wire source -> target ("" if it can). Such a
        wire can still be made: the canvas draws it red with its message and fix."""
        graph = self.graph
        spec = CATALOG[graph.nodes[target].type]
        sources = [s for s in graph.inputs_of(target) if s != source]
        shape = self.result.nodes[source].shape if source in self.result.nodes else None
        if shape is not None and (spec.max_inputs == 1 or all(self.result.nodes[s].shape for s in sources)):
            shapes = [*(self.result.nodes[s].shape for s in sources), shape]
            if len(shapes) >= spec.min_inputs:
                try:
                    spec.infer(graph.nodes[target].settings, shapes)
                except ShapeError as e:  # a wire the target's arithmetic cannot take
                    return e.message
        return ""

    def connect(self, source: str, target: str) -> None:
        """Wire source -> target; does nothing for a wire the graph cannot take (see `can_connect`
        for the reasons the canvas shows)."""
        nodes = self.graph.nodes
        if source == target or source not in nodes or target not in nodes or self._has_edge(source, target):
            return
        self._push(commands.Connect(self, source, target))

    def disconnect(self, source: str, target: str) -> None:
        if self._has_edge(source, target):
            self._push(commands.Disconnect(self, source, target))

    def set_settings(self, node_id: str, settings: dict[str, Any], mergeable: bool = True) -> None:
        """Validate then change parameters; raises SettingError (nothing changes) if invalid."""
        node = self.graph.nodes[node_id]
        merged = coerce_settings(node.type, {**node.settings, **settings})
        if all(node.settings[k] == merged[k] for k in settings):
            return
        self._push(commands.SetSettings(self, node_id, settings, mergeable))

    def set_output(self, node_id: str) -> None:
        """Mark `node_id` as the network's output (undoable)."""
        if self.graph.declared_output() != node_id:
            self._push(commands.SetOutput(self, node_id))

    def rename(self, name: str) -> None:
        """Rename the network (undoable); surrounding blanks are dropped, an empty name refused."""
        name = name.strip()
        if not name:
            raise ValueError("a network needs a name")
        if name != self.graph.name:
            self._push(commands.RenameNetwork(self, name))

    def rename_node(self, node_id: str, new_id: str) -> None:
        """Give a block another id; raises ValueError (nothing changes) for an id that is taken
        or not a valid name."""
        new_id = new_id.strip()
        if node_id not in self.graph.nodes or new_id == node_id:
            return
        self.graph.copy().rename(node_id, new_id)  # fails here, before any command is pushed
        self._push(commands.RenameNode(self, node_id, new_id))

    def nudge(self, node_ids, dx: float, dy: float) -> None:
        """Move blocks by (dx, dy); a burst of nudges of the same blocks is one undo step."""
        moves = {}
        for n in node_ids:
            if n in self.graph.nodes:
                x, y = self.graph.nodes[n].pos
                moves[n] = ((x, y), (x + dx, y + dy))
        if moves:
            self._push(commands.NudgeNodes(self, moves))

    def add_block(self, block_type: str, want, after: str | None = None) -> str:
        """Add a block near `want` where it covers no card; with `after`, wired from that block
        and placed one row after it (the cards below move on)."""
        if after is None or after not in self.graph.nodes:
            return self.add_node(block_type, placement.nearest_free(self, tuple(want)))
        with self.macro(f"Add {block_type} after {after}"):
            new_id = self.add_node(block_type, placement.spot_after(self, after))
            self._push(commands.Connect(self, after, new_id))
        return new_id

    def remove_and_reconnect(self, node_id: str) -> bool:
        """Delete a block and join its input to its outputs, if the shapes allow (see `bypass`);
        False (nothing changes) where they do not."""
        wires = bypass(self.graph, node_id) if node_id in self.graph.nodes else []
        if not wires:
            return False
        with self.macro(f"Delete {node_id} and reconnect"):
            self._push(commands.RemoveNode(self, node_id))
            for source, target, index in wires:
                self._push(commands.Connect(self, source, target, index))
        return True

    def reconnect(self, wires) -> None:
        """Add the wires (source, target, index) that a deletion left out, as one step."""
        wires = [w for w in wires if w[0] in self.graph.nodes and w[1] in self.graph.nodes]
        wires = [w for w in wires if not self._has_edge(w[0], w[1])]
        if wires:
            with self.macro(f"Reconnect {wires[0][0]}"):
                for source, target, index in wires:
                    self._push(commands.Connect(self, source, target, min(index, len(self.graph.edges))))

    @property
    def pushing(self) -> bool:
        """True while an edit is being pushed (not an undo or a redo): views that follow the
        history tell the two apart by it."""
        return self._pushing > 0

    def set_frozen(self, node_id: str, frozen: bool) -> None:
        if node_id in self.graph.nodes and self.graph.nodes[node_id].frozen != frozen:
            self._push(commands.SetFrozen(self, node_id, frozen))

    def move_nodes(self, moves: dict[str, tuple[tuple, tuple]], text: str = "") -> None:
        moves = {k: v for k, v in moves.items() if tuple(v[0]) != tuple(v[1]) and k in self.graph.nodes}
        if moves:
            self._push(commands.MoveNodes(self, moves, text))

    def auto_layout(self, direction: str = "TB") -> None:
        positions = auto_layout(self.graph, direction)
        self.move_nodes(
            {n: (self.graph.nodes[n].pos, p) for n, p in positions.items()},
            f"Arrange {'top to bottom' if direction == 'TB' else 'left to right'}",
        )

    def set_input_shape(self, shape) -> None:
        node = self.graph.input_node()
        if node is not None:
            self.set_settings(node.id, {"shape": tuple(shape)}, mergeable=False)

    def apply_fix(self, fix: Fix) -> None:
        with self.macro(fix.title):
            for edit in fix.edits:
                if isinstance(edit, SetSettingsEdit):
                    self.set_settings(edit.node, edit.settings, mergeable=False)
                elif isinstance(edit, InsertBetween):
                    self.insert_on_edge(edit.source, edit.target, edit.block_type, settings=edit.settings)
                elif isinstance(edit, MarkOutput):
                    self.set_output(edit.node)

    # -- clipboard ----------------------------------------------------------------

    def copy(self, node_ids) -> str:
        """The selected blocks and the wires between them, as JSON text."""
        ids = [n for n in self.graph.nodes if n in set(node_ids)]
        part = Graph(name=self.graph.name)
        part.nodes = {n: self.graph.nodes[n] for n in ids}
        part.edges = [e for e in self.graph.edges if e.source in part.nodes and e.target in part.nodes]
        return json.dumps(graph_to_dict(part))

    def paste(self, text: str, offset=(40.0, 40.0)) -> list[str]:
        """Add copied blocks with fresh ids; returns the new ids.

        Everything is checked on a copy of the graph before any command is pushed, so an undo
        command can never fail halfway; text that cannot be pasted raises `PasteRefused` with
        the reason, and nothing changes.
        """
        adds, wires = self._plan_paste(text, offset)
        if not adds:
            return []
        dx, dy = placement.place_group(self, [add[2] for add in adds])  # cover no card
        adds = [(t, s, (pos[0] + dx, pos[1] + dy), n, f) for t, s, pos, n, f in adds]
        with self.macro(f"Paste {len(adds)} block(s)"):
            for block_type, settings, pos, new_id, frozen in adds:
                self._push(commands.AddNode(self, block_type, settings, pos, new_id, frozen))
            for source, target in wires:
                self._push(commands.Connect(self, source, target))
        return [add[3] for add in adds]

    def _plan_paste(self, text: str, offset) -> tuple[list[tuple], list[tuple[str, str]]]:
        """The blocks and wires a paste adds, tried on a copy of the graph first."""
        if not text.strip():
            raise PasteRefused("the clipboard is empty")
        if not text.lstrip().startswith("{"):
            raise PasteRefused("the clipboard holds no ConvCanvas blocks; copy blocks on the canvas first")
        try:
            part = loads_graph(text, "the clipboard")
        except GraphFormatError as e:
            shown = "; ".join(e.problems[:3]) + (
                f" (and {len(e.problems) - 3} more)" if len(e.problems) > 3 else ""
            )
            raise PasteRefused(f"the clipboard's blocks are damaged: {shown}") from None
        if len(part.topological_order()) < len(part.nodes):
            raise PasteRefused("the clipboard's wires make a cycle; a network must flow one way")
        trial = self.graph.copy()
        adds, renamed = [], {}
        try:
            for old_id, node in part.nodes.items():
                if node.type == "Input" and trial.input_node() is not None:
                    continue  # a network has one Input
                pos = (node.pos[0] + offset[0], node.pos[1] + offset[1])
                new_id = trial.new_id(node.type)
                trial.add_node(node.type, dict(node.settings), pos, new_id, node.frozen)
                adds.append((node.type, dict(node.settings), pos, new_id, node.frozen))
                renamed[old_id] = new_id
            wires = [
                (renamed[e.source], renamed[e.target])
                for e in part.edges
                if e.source in renamed and e.target in renamed
            ]
            for source, target in wires:
                spec = CATALOG[trial.nodes[target].type]
                if spec.max_inputs is not None and len(trial.inputs_of(target)) >= spec.max_inputs:
                    most = f"at most {spec.max_inputs} input(s)" if spec.max_inputs else "no inputs"
                    raise ValueError(f"{target} ({spec.type}) takes {most}")
                trial.connect(source, target)
        except (ValueError, SettingError) as e:  # what the commands would have failed on
            raise PasteRefused(f"the clipboard's blocks cannot be added: {e}") from None
        return adds, wires

    def duplicate(self, node_ids) -> list[str]:
        return self.paste(self.copy(node_ids))

    # -- plumbing -----------------------------------------------------------------

    @contextmanager
    def macro(self, text: str):
        self._pushing += 1
        self.undo_stack.beginMacro(text)
        self._macro_depth += 1
        try:
            yield
        finally:
            self._macro_depth -= 1
            self.undo_stack.endMacro()  # the outermost one moves the index: _reinfer runs
            self._pushing -= 1

    def _push(self, command) -> None:
        inferences = self._inferences
        self._pushing += 1
        try:
            self.undo_stack.push(command)
        finally:
            self._pushing -= 1
        # a command merged into the previous one may not move the index (Qt then emits
        # indexChanged or not, by version and case): re-infer once, if the stack did not
        if self._inferences == inferences and self._macro_depth == 0:
            self._reinfer()

    def _reinfer(self, *_args) -> None:
        if self._macro_depth:
            return
        self._inferences += 1
        self.result = infer(self.graph, self.result)  # recomputes only what the edit can change
        self.inferred.emit(self.result)

    def _adopt_output(self) -> None:
        """A network opened without a marked output gets the mark on the block that is its output
        now, so that a block added later (a paste, a side branch) does not take its place."""
        if self.graph.declared_output() is None and self.result.valid and self.result.output:
            self.graph.output = self.result.output

    def _has_edge(self, source: str, target: str) -> bool:
        return any(e.source == source and e.target == target for e in self.graph.edges)

    def _edge_index(self, source: str, target: str) -> int:
        return [(e.source, e.target) for e in self.graph.edges].index((source, target))

    def _reaches(self, start: str, goal: str) -> bool:
        succ: dict[str, list[str]] = {}
        for e in self.graph.edges:
            succ.setdefault(e.source, []).append(e.target)
        stack, seen = [start], {start}
        while stack:
            node = stack.pop()
            if node == goal:
                return True
            for s in succ.get(node, ()):
                if s not in seen:
                    seen.add(s)
                    stack.append(s)
        return False


def _describe(verb: str, node_ids, edges) -> str:
    if node_ids and not edges and len(node_ids) == 1:
        return f"{verb} {node_ids[0]}"
    parts = []
    if node_ids:
        parts.append(f"{len(node_ids)} block(s)")
    if edges:
        parts.append(f"{len(edges)} wire(s)")
    return f"{verb} {' and '.join(parts)}"
