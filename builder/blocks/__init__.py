"""The block catalog: one `LayerSpec` per block type, grouped by family, read by everything else.

Adding a block type is adding one declaration to a family module and listing it in that
module's ``BLOCKS``; the palette, cards, inspector, inference, model builder, code exporter,
importer and quick fixes all pick it up from here. A test fails if the new entry lacks an
oracle case, an import round trip or card text.

Shapes leave out the batch dimension: ``(C, H, W)`` for images, ``(F,)`` for vectors.
"""

from __future__ import annotations

from . import (
    activation,
    channels,
    conv,
    dense,
    input,
    merge,
    normalization,
    pooling,
    regularization,
    upsampling,
)
from .input import INPUT_PRESETS
from .spec import (
    ADD,
    CONCAT,
    GLOBAL,
    INPUT,
    INT64,
    MASK,
    MODULE,
    MULTIPLY,
    REQUIRED,
    SCALE,
    SLICE,
    VALUE,
    Analysis,
    Arg,
    Backward,
    Category,
    ChannelsLast,
    Kept,
    LayerSpec,
    Merge,
    OwnTensor,
    Settings,
    Shape,
    TorchForm,
    Window,
)

CATEGORIES: dict[str, Category] = {
    c.name: c
    for c in (
        Category("input", "Input", "#5c6bc0"),
        Category("convolution", "Convolution", "#1e88e5"),
        Category("pooling", "Pool & upsample", "#00897b"),
        Category("activation", "Activation", "#ef6c00"),
        Category("normalization", "Normalization", "#8e24aa"),
        Category("regularization", "Regularization", "#6d4c41"),
        Category("dense", "Dense", "#43a047"),
        Category("merge", "Merge and split", "#546e7a"),
        Category("utility", "Utility", "#757575"),
    )
}

CATALOG: dict[str, LayerSpec] = {
    spec.type: spec
    for family in (
        input,
        conv,
        pooling,
        upsampling,
        activation,
        normalization,
        regularization,
        dense,
        merge,
        channels,
    )
    for spec in family.BLOCKS
}


def _check_declarations() -> None:
    for spec in CATALOG.values():
        if spec.category not in CATEGORIES:
            raise ValueError(f"{spec.type}: unknown category {spec.category!r}; declare it in CATEGORIES")
        names = {s.name for s in spec.settings}
        for arg in spec.torch.args if spec.torch else ():
            if arg.setting is not None and arg.setting not in names:
                raise ValueError(f"{spec.type}: torch argument {arg.name} names no setting {arg.setting!r}")


_check_declarations()


def spec_for(block_type: str) -> LayerSpec:
    """Return the spec of `block_type`, or raise KeyError listing the known types."""
    try:
        return CATALOG[block_type]
    except (KeyError, TypeError):
        raise KeyError(
            f"unknown block type {block_type!r}; known types: {', '.join(sorted(CATALOG))}"
        ) from None


__all__ = [
    "ADD",
    "CATALOG",
    "CATEGORIES",
    "CONCAT",
    "GLOBAL",
    "INPUT",
    "INPUT_PRESETS",
    "INT64",
    "MASK",
    "MODULE",
    "MULTIPLY",
    "REQUIRED",
    "SCALE",
    "SLICE",
    "VALUE",
    "Analysis",
    "Arg",
    "Backward",
    "Category",
    "ChannelsLast",
    "Kept",
    "LayerSpec",
    "Merge",
    "OwnTensor",
    "Settings",
    "Shape",
    "TorchForm",
    "Window",
    "spec_for",
]
