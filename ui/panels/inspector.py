"""Edits the selected block with widgets generated from the catalog; shows its arithmetic."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QCheckBox, QFormLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from builder import CATALOG, SettingError, explain_node

from ..editor.controller import GraphController
from .param_editor import ParamEditor

_ERROR_STYLE = "color: #c62828;"
_NONE_SELECTED = (
    "<b>No block selected</b><br>Select a block on the canvas to edit it, or drag one from the palette."
)


class Inspector(QScrollArea):
    """Shows and edits the selected block."""

    def __init__(self, controller: GraphController, parent=None):
        super().__init__(parent)
        self.controller = controller
        self.node_id: str | None = None
        self.setWidgetResizable(True)
        self.body = QWidget()
        self.setWidget(self.body)
        self.layout_ = QVBoxLayout(self.body)
        self.layout_.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.header = QLabel()
        self.header.setWordWrap(True)
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.layout_.addWidget(self.header)
        self.form_host = QWidget()
        self.form = QFormLayout(self.form_host)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.layout_.addWidget(self.form_host)
        self.frozen = QCheckBox("Frozen (not trained)")
        self.frozen.toggled.connect(self._on_frozen_toggled)
        self.layout_.addWidget(self.frozen)
        self.arithmetic = QLabel()
        self.arithmetic.setWordWrap(True)
        self.arithmetic.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        mono = QFont("DejaVu Sans Mono")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        mono.setPointSizeF(8.5)
        self.arithmetic.setFont(mono)
        self.arithmetic.setStyleSheet("background: #f5f7fa; border: 1px solid #dde3ea; padding: 6px;")
        self.layout_.addWidget(self.arithmetic)
        self.editors: dict[str, ParamEditor] = {}
        self.field_errors: dict[str, QLabel] = {}
        controller.inferred.connect(self._on_inferred)
        controller.node_removed.connect(self._on_node_removed)
        controller.graph_reset.connect(lambda: self.show_node(None))
        self.show_node(None)

    def show_node(self, node_id: str | None, selected: list[str] | None = None) -> None:
        """Edit `node_id`; with none, say what is selected (`selected`: several blocks)."""
        self.node_id = node_id if node_id in self.controller.graph.nodes else None
        while self.form.rowCount():
            self.form.removeRow(0)
        self.editors.clear()
        self.field_errors.clear()
        if self.node_id is None:
            self.header.setText(self._several(selected) if selected else _NONE_SELECTED)
            self.frozen.hide()
            self.arithmetic.hide()
            return
        node = self.controller.graph.nodes[self.node_id]
        spec = CATALOG[node.type]
        self.header.setText(
            f"<b>{node.id}</b> &nbsp;<span style='color:#555'>{node.type}</span><br>"
            f"<span style='color:#555'>{spec.description}</span>"
        )
        for param in spec.settings:
            editor = ParamEditor(param)
            editor.setToolTip(f"{param.help} ({param.describe_range()}){_code_name(spec, param)}")
            editor.edited.connect(lambda value, name=param.name: self._on_edited(name, value))
            error = QLabel()
            error.setStyleSheet(_ERROR_STYLE)
            error.setWordWrap(True)
            error.hide()
            column = QWidget()
            box = QVBoxLayout(column)
            box.setContentsMargins(0, 0, 0, 0)
            box.addWidget(editor)
            box.addWidget(error)
            self.form.addRow(param.title, column)
            self.editors[param.name] = editor
            self.field_errors[param.name] = error
        self.frozen.setVisible(bool(spec.settings) and node.type != "Input")
        self.arithmetic.show()
        self._on_inferred(self.controller.result)

    def _several(self, selected: list[str]) -> str:
        """What several selected blocks are, in sum (the names come from a file: escaped)."""
        result = self.controller.result
        selected = [n for n in self.controller.graph.nodes if n in set(selected)]  # in network order
        params = sum(result.nodes[n].learnable for n in selected if n in result.nodes)
        names = ", ".join(html.escape(n) for n in selected[:6]) + (" …" if len(selected) > 6 else "")
        return (
            f"<b>{len(selected)} blocks selected</b><br>{names}<br>"
            f"<span style='color:#555'>{params:,} parameters in all. Select one block to edit it; "
            "Edit &gt; Group makes these a group.</span>"
        )

    def _on_edited(self, name: str, value) -> None:
        if self.node_id is None:
            return
        try:
            self.controller.set_settings(self.node_id, {name: value})
        except SettingError as e:
            label = self.field_errors[name]
            label.setText(f"{e.message}. {e.fix}")
            label.show()

    def _on_frozen_toggled(self, frozen: bool) -> None:
        if self.node_id is not None:
            self.controller.set_frozen(self.node_id, frozen)

    def _on_node_removed(self, node_id: str) -> None:
        if node_id == self.node_id:
            self.show_node(None)

    def _on_inferred(self, result) -> None:
        if self.node_id is None or self.node_id not in self.controller.graph.nodes:
            return
        node = self.controller.graph.nodes[self.node_id]
        for name, editor in self.editors.items():
            editor.set_value(node.settings[name])
        self.frozen.blockSignals(True)
        self.frozen.setChecked(node.frozen)
        self.frozen.blockSignals(False)
        info = result.nodes.get(self.node_id)
        for label in self.field_errors.values():
            label.hide()
        if info is not None and info.error is not None and info.error.setting in self.field_errors:
            label = self.field_errors[info.error.setting]
            label.setText(f"{info.error.message}. Fix: {info.error.fix}")
            label.show()
        lines = explain_node(self.controller.graph, result, self.node_id)
        self.arithmetic.setText("\n".join(lines))


def _code_name(spec, param) -> str:
    """Where PyTorch (and so the exported code) calls the setting something else, say so: the
    inspector's "filters" is `out_channels` in the code."""
    torch = spec.torch
    arg = next((a for a in torch.args if a.setting == param.name), None) if torch is not None else None
    if arg is None or arg.name.replace("_", " ") == param.title:
        return ""
    return f". In PyTorch code: {arg.name}"
