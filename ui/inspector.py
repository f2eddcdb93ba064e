"""Edits the selected block with widgets generated from the catalog; shows its arithmetic."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from builder import (
    BOOL,
    CATALOG,
    CHOICE,
    FLOAT,
    INPUT_PRESETS,
    INT,
    PADDING,
    SHAPE,
    SIZE2,
    Setting,
    SettingError,
    explain_node,
    pair,
)

from .controller import GraphController

_ERROR_STYLE = "color: #c62828;"


def _spin(lo: float | None, hi: float | None) -> QSpinBox:
    box = QSpinBox()
    box.setRange(int(lo if lo is not None else 0), int(hi if hi is not None else 1_000_000))
    box.setKeyboardTracking(True)
    box.setAccelerated(True)
    return box


class ParamEditor(QWidget):
    """One parameter's widget; emits `edited(value)` with a canonical value."""

    edited = Signal(object)

    def __init__(self, param: Setting, parent=None):
        super().__init__(parent)
        self.setting = param
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self._setting = False
        kind = param.kind
        if kind == INT:
            self.spin = _spin(param.min, param.max)
            self.spin.valueChanged.connect(lambda v: self._emit(v))
            layout.addWidget(self.spin)
        elif kind == FLOAT:
            self.spin = QDoubleSpinBox()
            self.spin.setDecimals(6 if (param.max or 1) <= 1 else 3)
            self.spin.setRange(param.min or 0.0, param.max if param.max is not None else 1e6)
            self.spin.setSingleStep(0.05 if (param.max or 1) <= 1 else 0.1)
            self.spin.valueChanged.connect(lambda v: self._emit(v))
            layout.addWidget(self.spin)
        elif kind == BOOL:
            self.check = QCheckBox()
            self.check.toggled.connect(lambda v: self._emit(v))
            layout.addWidget(self.check)
        elif kind == CHOICE:
            self.combo = QComboBox()
            self.combo.addItems(param.choices)
            self.combo.currentTextChanged.connect(lambda v: self._emit(v))
            layout.addWidget(self.combo)
        elif kind in (SIZE2, PADDING):
            if kind == PADDING or param.optional:
                self.mode = QComboBox()
                self.mode.addItems(["size", "same", "valid"] if kind == PADDING else ["= kernel", "size"])
                self.mode.currentTextChanged.connect(lambda _: self._emit_size())
                layout.addWidget(self.mode)
            else:
                self.mode = None
            self.h, self.w = _spin(param.min, param.max), _spin(param.min, param.max)
            self.h.setToolTip("height")
            self.w.setToolTip("width")
            for box in (self.h, self.w):
                box.valueChanged.connect(lambda _: self._emit_size())
            layout.addWidget(self.h)
            layout.addWidget(QLabel("×"))
            layout.addWidget(self.w)
        elif kind == SHAPE:
            self.preset = QComboBox()
            self.preset.addItems([*INPUT_PRESETS, "custom"])
            self.preset.currentTextChanged.connect(self._on_preset_chosen)
            self.dims = [_spin(1, 100_000) for _ in range(3)]
            for box, tip in zip(self.dims, ("channels", "height", "width"), strict=True):
                box.setToolTip(tip)
                box.valueChanged.connect(lambda _: self._emit(tuple(b.value() for b in self.dims)))
            column = QVBoxLayout()
            row = QHBoxLayout()
            for box in self.dims:
                row.addWidget(box)
            column.addWidget(self.preset)
            column.addLayout(row)
            layout.addLayout(column)

    def _emit(self, value) -> None:
        if not self._setting:
            self.edited.emit(value)

    def _emit_size(self) -> None:
        mode = self.mode.currentText() if self.mode else "size"
        for box in (self.h, self.w):
            box.setEnabled(mode == "size")
        if mode in ("same", "valid"):
            self._emit(mode)
        elif mode == "= kernel":
            self._emit(None)
        else:
            h, w = self.h.value(), self.w.value()
            self._emit(h if h == w else (h, w))

    def _on_preset_chosen(self, name: str) -> None:
        if name in INPUT_PRESETS:
            self._emit(INPUT_PRESETS[name])

    def set_value(self, value) -> None:
        self._setting = True
        try:
            kind = self.setting.kind
            if kind in (INT, FLOAT):
                self.spin.setValue(value)
            elif kind == BOOL:
                self.check.setChecked(value)
            elif kind == CHOICE:
                self.combo.setCurrentText(value)
            elif kind in (SIZE2, PADDING):
                if isinstance(value, str) or value is None:
                    self.mode.setCurrentText("= kernel" if value is None else value)
                else:
                    if self.mode is not None:
                        self.mode.setCurrentText("size")
                    h, w = pair(value)
                    self.h.setValue(h)
                    self.w.setValue(w)
                enabled = not (isinstance(value, str) or value is None)
                self.h.setEnabled(enabled)
                self.w.setEnabled(enabled)
            elif kind == SHAPE:
                preset = next((n for n, s in INPUT_PRESETS.items() if s == tuple(value)), "custom")
                self.preset.setCurrentText(preset)
                for box, v in zip(self.dims, value, strict=True):
                    box.setValue(v)
        finally:
            self._setting = False


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

    def show_node(self, node_id: str | None) -> None:
        self.node_id = node_id if node_id in self.controller.graph.nodes else None
        while self.form.rowCount():
            self.form.removeRow(0)
        self.editors.clear()
        self.field_errors.clear()
        if self.node_id is None:
            self.header.setText(
                "<b>No block selected</b><br>Select a block on the canvas to edit it, "
                "or drag one from the palette."
            )
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
            editor.setToolTip(f"{param.help} ({param.describe_range()})")
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
