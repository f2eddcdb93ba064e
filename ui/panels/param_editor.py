"""One setting's editing widget, chosen by the setting's kind in the catalog."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from builder import BOOL, CHOICE, FLOAT, INPUT_PRESETS, INT, PADDING, SHAPE, SIZE2, Setting, pair


def _spin(lo: float | None, hi: float | None) -> QSpinBox:
    box = QSpinBox()
    box.setRange(int(lo if lo is not None else 0), int(hi if hi is not None else 1_000_000))
    box.setKeyboardTracking(True)
    box.setAccelerated(True)
    return box


class ParamEditor(QWidget):
    """One setting's widget; emits `edited(value)` with a canonical value."""

    edited = Signal(object)

    def __init__(self, param: Setting, parent=None):
        super().__init__(parent)
        self.setting = param
        self.layout_ = QHBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self._setting = False
        kind = param.kind
        if kind in (INT, FLOAT):
            self._build_number(param)
        elif kind == BOOL:
            self.check = QCheckBox()
            self.check.toggled.connect(lambda v: self._emit(v))
            self.layout_.addWidget(self.check)
        elif kind == CHOICE:
            self.combo = QComboBox()
            self.combo.addItems(param.choices)
            self.combo.currentTextChanged.connect(lambda v: self._emit(v))
            self.layout_.addWidget(self.combo)
        elif kind in (SIZE2, PADDING):
            self._build_size(param)
        elif kind == SHAPE:
            self._build_shape()

    def _build_number(self, param: Setting) -> None:
        if param.kind == INT:
            self.spin = _spin(param.min, param.max)
        else:
            self.spin = QDoubleSpinBox()
            self.spin.setDecimals(6 if (param.max or 1) <= 1 else 3)
            self.spin.setRange(param.min or 0.0, param.max if param.max is not None else 1e6)
            self.spin.setSingleStep(0.05 if (param.max or 1) <= 1 else 0.1)
        self.spin.valueChanged.connect(lambda v: self._emit(v))
        self.layout_.addWidget(self.spin)

    def _build_size(self, param: Setting) -> None:
        """One box for a square size, or height and width boxes once unlinked; a mode box where
        the size may also be a word. Typing 5 into a linked kernel gives 5x5, not 5x3."""
        if param.kind == PADDING or param.optional:
            self.mode = QComboBox()
            self.mode.addItems(["size", "same", "valid"] if param.kind == PADDING else ["= kernel", "size"])
            self.mode.currentTextChanged.connect(lambda _: self._emit_size())
            self.layout_.addWidget(self.mode)
        else:
            self.mode = None
        self.h, self.w = _spin(param.min, param.max), _spin(param.min, param.max)
        self.times = QLabel("×")
        self.link = QToolButton()
        self.link.setText("H=W")
        self.link.setCheckable(True)
        self.link.setChecked(True)
        self.link.setToolTip(
            f"Linked: one value for height and width (a square {param.title}). "
            "Click to give height and width separately."
        )
        self.link.toggled.connect(self._on_link_toggled)
        self._link_known = False  # the first value shown decides: square values start linked
        for box in (self.h, self.w):
            box.valueChanged.connect(lambda _: self._emit_size())
        self.layout_.addWidget(self.h, 1)
        self.layout_.addWidget(self.times)
        self.layout_.addWidget(self.w, 1)
        self.layout_.addWidget(self.link)
        self._show_link()

    @property
    def linked(self) -> bool:
        return self.link.isChecked()

    def _show_link(self) -> None:
        self.w.setVisible(not self.linked)
        self.times.setVisible(not self.linked)
        self.h.setToolTip(self.setting.title if self.linked else "height")
        self.w.setToolTip("width")

    def _on_link_toggled(self, linked: bool) -> None:
        self._show_link()
        if linked and self.w.value() != self.h.value():
            self.w.setValue(self.h.value())  # emits the square size

    def _build_shape(self) -> None:
        """A preset box above channels, height and width."""
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
        self.layout_.addLayout(column)

    def _emit(self, value) -> None:
        if not self._setting:
            self.edited.emit(value)

    def _emit_size(self) -> None:
        mode = self.mode.currentText() if self.mode else "size"
        for widget in (self.h, self.w, self.link):
            widget.setEnabled(mode == "size")
        if mode in ("same", "valid"):
            self._emit(mode)
        elif mode == "= kernel":
            self._emit(None)
        else:
            h, w = self.h.value(), self.w.value()
            if self.linked and w != h:
                self.w.blockSignals(True)
                self.w.setValue(h)
                self.w.blockSignals(False)
                w = h
            self._emit(h if h == w else (h, w))

    def _on_preset_chosen(self, name: str) -> None:
        if name in INPUT_PRESETS:
            self._emit(INPUT_PRESETS[name])

    def set_value(self, value) -> None:
        """Show `value` without emitting `edited`."""
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
                self._show_size(value)
            elif kind == SHAPE:
                preset = next((n for n, s in INPUT_PRESETS.items() if s == tuple(value)), "custom")
                self.preset.setCurrentText(preset)
                for box, v in zip(self.dims, value, strict=True):
                    box.setValue(v)
        finally:
            self._setting = False

    def _show_size(self, value) -> None:
        if isinstance(value, str) or value is None:
            self.mode.setCurrentText("= kernel" if value is None else value)
        else:
            if self.mode is not None:
                self.mode.setCurrentText("size")
            h, w = pair(value)
            if not self._link_known or h != w:
                self.link.setChecked(h == w)  # a rectangle cannot be shown linked
                self._link_known = True
            self.h.setValue(h)
            self.w.setValue(w)
        enabled = not (isinstance(value, str) or value is None)
        for widget in (self.h, self.w, self.link):
            widget.setEnabled(enabled)
