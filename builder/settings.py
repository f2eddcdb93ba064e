"""Typed block parameters: their kinds, defaults, ranges and validation.

Values are kept in a canonical JSON-compatible form: a square size is an ``int``, a
rectangular one a ``(height, width)`` tuple (written to JSON as a list).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .errors import SettingError, quoted

# Kinds of parameter. The UI maps each to a widget; validation maps each to a rule.
INT = "int"
FLOAT = "float"
BOOL = "bool"
CHOICE = "choice"
SIZE2 = "size2"  # int or (height, width)
PADDING = "padding"  # int, (height, width), "same" or "valid"
SHAPE = "shape"  # (C, H, W)


@dataclass(frozen=True, slots=True)
class Setting:
    """Declaration of one block parameter."""

    name: str
    kind: str
    default: Any
    label: str = ""
    help: str = ""
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()
    optional: bool = False  # None is allowed and means "derived" (e.g. pool stride = kernel)

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ")

    def coerce(self, value: Any) -> Any:
        """Return `value` in canonical form, or raise `SettingError` saying what is wrong."""
        if value is None:
            if self.optional:
                return None
            raise SettingError(
                self.name,
                f"{self.title}: a value is required",
                fix=f"set {self.title} to {self.describe_range()}",
            )
        coerce = _COERCERS[self.kind]
        return coerce(self, value)

    def _error(self, value: Any, expected: str) -> SettingError:
        return SettingError(
            self.name,
            f"{self.title}: expected {expected}, got {quoted(value)}",
            fix=f"set {self.title} to {self.describe_range()}",
        )

    def describe_range(self) -> str:
        """Human description of what values are accepted, e.g. 'an integer from 1 to 4096'."""
        if self.kind == CHOICE:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.kind == BOOL:
            return "true or false"
        if self.kind == SHAPE:
            return "[channels, height, width], each at least 1"
        lo, hi = self.min, self.max
        noun = "a number" if self.kind == FLOAT else "an integer"
        if self.kind == SIZE2:
            noun = "an integer or [height, width]"
        elif self.kind == PADDING:
            noun = "an integer, [height, width], 'same' or 'valid'"
        if lo is not None and hi is not None:
            return f"{noun} from {_fmt(lo)} to {_fmt(hi)}"
        if lo is not None:
            return f"{noun} of at least {_fmt(lo)}"
        return noun

    def _check_int(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                raise self._error(value, self.describe_range())
        if (self.min is not None and value < self.min) or (self.max is not None and value > self.max):
            raise self._error(value, self.describe_range())
        return value


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _coerce_int(p: Setting, value: Any) -> int:
    return p._check_int(value)


def _coerce_float(p: Setting, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise p._error(value, p.describe_range())
    try:
        value = float(value)
    except OverflowError:  # an integer beyond any float
        raise p._error(value, p.describe_range()) from None
    if not math.isfinite(value):
        raise p._error(value, p.describe_range())
    if (p.min is not None and value < p.min) or (p.max is not None and value > p.max):
        raise p._error(value, p.describe_range())
    return value


def _coerce_bool(p: Setting, value: Any) -> bool:
    if not isinstance(value, bool):
        raise p._error(value, "true or false")
    return value


def _coerce_choice(p: Setting, value: Any) -> str:
    if value not in p.choices:
        raise p._error(value, p.describe_range())
    return value


def _coerce_size2(p: Setting, value: Any) -> int | tuple[int, int]:
    if isinstance(value, list | tuple):
        if len(value) != 2:
            raise p._error(value, p.describe_range())
        h, w = (p._check_int(v) for v in value)
        return h if h == w else (h, w)
    return p._check_int(value)


def _coerce_padding(p: Setting, value: Any) -> int | str | tuple[int, int]:
    if isinstance(value, str):
        if value not in ("same", "valid"):
            raise p._error(value, p.describe_range())
        return value
    return _coerce_size2(p, value)


def _coerce_shape(p: Setting, value: Any) -> tuple[int, int, int]:
    if not isinstance(value, list | tuple) or len(value) != 3:
        raise p._error(value, p.describe_range())
    out = []
    for v in value:
        if isinstance(v, bool) or not isinstance(v, int) or v < 1 or v > 1_000_000:
            raise p._error(value, p.describe_range())
        out.append(v)
    c, h, w = out
    return (c, h, w)


_COERCERS = {
    INT: _coerce_int,
    FLOAT: _coerce_float,
    BOOL: _coerce_bool,
    CHOICE: _coerce_choice,
    SIZE2: _coerce_size2,
    PADDING: _coerce_padding,
    SHAPE: _coerce_shape,
}


def pair(value: int | tuple[int, int]) -> tuple[int, int]:
    """Expand a canonical size to ``(height, width)``."""
    if type(value) is tuple:  # faster than isinstance on this hot path; sizes are exact types
        return value
    return (value, value)  # type: ignore[return-value]
