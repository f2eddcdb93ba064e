"""Torch is the oracle: every block's inferred shape, parameter and buffer counts, and
MACs must equal what the real torch module does, over a grid of settings. Where torch
refuses a setting, inference must report an error, and the other way round."""

import itertools

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from builder import CATALOG, ShapeError, coerce_settings


@pytest.fixture(autouse=True)
def _no_grad():
    with torch.no_grad():
        yield


def run_torch(block_type, params, shapes):
    """Output shape, params, buffers, MACs of the torch module; None if torch refuses."""
    spec = CATALOG[block_type]
    try:
        module = spec.build_module(params, shapes)
        xs = [torch.randn(2, *s) for s in shapes]
        with FlopCounterMode(display=False) as counter:
            y = module(*xs)
    except (RuntimeError, ValueError):
        return None
    if y.numel() == 0:
        return None
    n_params = sum(p.numel() for p in module.parameters())
    n_buffers = sum(b.numel() for b in module.buffers())
    return tuple(y.shape[1:]), n_params, n_buffers, counter.get_total_flops() // 2 // 2


def run_inference(block_type, params, shapes):
    spec = CATALOG[block_type]
    try:
        a = spec.analyze(params, shapes)
    except ShapeError as e:
        assert e.message and e.fix, "every shape error says what is wrong and how to fix it"
        return None
    return a.shape, a.learnable, a.buffers, a.macs


def check(block_type, raw_params, shapes, compare_macs=True):
    params = coerce_settings(block_type, raw_params)
    expected = run_torch(block_type, params, shapes)
    got = run_inference(block_type, params, shapes)
    if expected is None or got is None:
        assert expected == got, f"{block_type} {raw_params} on {shapes}: torch {expected}, inferred {got}"
        return got is not None
    if not compare_macs:
        expected, got = expected[:3], got[:3]
    assert got == expected, f"{block_type} {raw_params} on {shapes}"
    return True


def grid_outcomes(block_type, shapes, fixed=None, compare_macs=True, **axes) -> list[bool]:
    """`check` over every combination of `shapes` and the setting values in `axes` (each a
    list), with the settings in `fixed` held; one outcome per combination."""
    names = list(axes)
    return [
        check(block_type, {**(fixed or {}), **dict(zip(names, values, strict=True))}, [shape], compare_macs)
        for shape, *values in itertools.product(shapes, *axes.values())
    ]


IMAGES = [(1, 28, 28), (3, 7, 9), (4, 5, 5), (2, 1, 8), (6, 3, 3)]


def test_conv2d_matches_torch_over_grid():
    outcomes = grid_outcomes(
        "Conv2d",
        IMAGES,
        {"out_channels": 4},
        kernel_size=[1, 3, (2, 5), 5],
        stride=[1, 2, (3, 1)],
        padding=[0, 1, "same", "valid", (2, 0)],
        dilation=[1, 2],
        groups=[1, 2],
        bias=[True, False],
    )
    valid, invalid = outcomes.count(True), outcomes.count(False)
    # the grid must exercise both sides of every rule
    assert valid > 500 and invalid > 500


def test_conv_transpose2d_matches_torch_over_grid():
    outcomes = grid_outcomes(
        "ConvTranspose2d",
        IMAGES,
        {"out_channels": 4},
        kernel_size=[1, 3, (2, 4)],
        stride=[1, 2, (3, 1)],
        padding=[0, 1, (2, 0)],
        output_padding=[0, 1, (0, 2)],
        dilation=[1, 2],
        groups=[1, 2],
        bias=[True, False],
    )
    valid, invalid = outcomes.count(True), outcomes.count(False)
    # both sides of every rule: groups, output padding below stride or dilation, cropping
    assert valid > 1000 and invalid > 1000


def test_upsample_matches_torch_over_grid():
    outcomes = set(
        grid_outcomes(
            "Upsample",
            IMAGES,
            scale_factor=[1, 2, (2, 3), 4],
            mode=["nearest", "bilinear"],
            align_corners=[False, True],
        )
    )
    assert outcomes == {True, False}  # nearest with align corners is refused by both


def test_channel_shuffle_and_layer_norm_match_torch_over_grid():
    assert set(grid_outcomes("ChannelShuffle", [*IMAGES, (12, 2, 3)], groups=[1, 2, 3, 4])) == {True, False}
    assert all(grid_outcomes("LayerNorm2d", IMAGES, eps=[1e-5, 1e-6], affine=[True, False]))


@pytest.mark.parametrize("block_type", ["MaxPool2d", "AvgPool2d"])
def test_pooling_matches_torch_over_grid(block_type):
    # torch's MACs counter does not count pooling; compare shapes and counts
    outcomes = grid_outcomes(
        block_type,
        [*IMAGES, (1, 1, 1), (1, 6, 11)],
        compare_macs=False,
        kernel_size=[1, 2, 3, (2, 3)],
        stride=[None, 1, 2, (1, 2), 3],
        padding=[0, 1, (1, 0)],
        ceil_mode=[False, True],
    )
    assert set(outcomes) == {True, False}


@pytest.mark.parametrize("block_type", ["AdaptiveAvgPool2d", "AdaptiveMaxPool2d"])
def test_adaptive_pooling(block_type):
    assert all(grid_outcomes(block_type, IMAGES, compare_macs=False, output_size=[1, 2, (3, 1), 6]))


@pytest.mark.parametrize(
    "block_type,params",
    [
        ("ReLU", {}),
        ("LeakyReLU", {"negative_slope": 0.2}),
        ("ELU", {"alpha": 0.5}),
        ("GELU", {"approximate": "tanh"}),
        ("Sigmoid", {}),
        ("Tanh", {}),
        ("SiLU", {}),
        ("ReLU6", {}),
        ("Hardswish", {}),
        ("Hardsigmoid", {}),
        ("Mish", {}),
        ("Identity", {}),
        ("Softmax", {}),
        ("Dropout", {"p": 0.3}),
        ("Flatten", {}),
    ],
)
def test_shape_preserving_and_flatten_blocks(block_type, params):
    for shape in [*IMAGES, (10,), (1,)]:
        assert check(block_type, params, [shape], compare_macs=False)


@pytest.mark.parametrize("affine", [True, False])
def test_batchnorm(affine):
    for shape in IMAGES:
        assert check("BatchNorm2d", {"affine": affine}, [shape], compare_macs=False)
    for shape in [(10,), (3,)]:
        assert check("BatchNorm1d", {"affine": affine}, [shape], compare_macs=False)


def test_image_only_blocks_refuse_vectors():
    for block_type in [
        "Conv2d",
        "MaxPool2d",
        "BatchNorm2d",
        "Dropout2d",
        "LocalResponseNorm",
        "AdaptiveAvgPool2d",
    ]:
        spec = CATALOG[block_type]
        with pytest.raises(ShapeError) as e:
            spec.infer(spec.defaults(), [(120,)])
        assert "120" in e.value.message and e.value.fix


def test_lrn_and_dropout2d():
    for shape in IMAGES:
        assert check("LocalResponseNorm", {"size": 3}, [shape], compare_macs=False)
        assert check("Dropout2d", {"p": 0.2}, [shape], compare_macs=False)


def test_linear_matches_torch():
    for features, out, bias in itertools.product([1, 7, 400], [1, 10, 84], [True, False]):
        assert check("Linear", {"out_features": out, "bias": bias}, [(features,)])


def test_linear_on_image_asks_for_flatten():
    with pytest.raises(ShapeError) as e:
        CATALOG["Linear"].infer({"out_features": 10, "bias": True}, [(16, 5, 5)])
    assert e.value.code == "needs_flatten"
    assert "Flatten" in e.value.fix and "400" in e.value.fix


def test_add_and_concat_match_torch():
    a, b = (8, 6, 6), (4, 6, 6)
    assert CATALOG["Add"].infer({}, [a, a, a]) == tuple((torch.randn(1, *a) * 3).shape[1:])
    cat = torch.cat([torch.randn(1, *a), torch.randn(1, *b)], dim=1)
    assert CATALOG["Concat"].infer({}, [a, b]) == tuple(cat.shape[1:])
    with pytest.raises(ShapeError) as e:
        CATALOG["Add"].infer({}, [a, b])
    assert e.value.code == "add_channels"
    with pytest.raises(ShapeError) as e:
        CATALOG["Concat"].infer({}, [a, (4, 5, 6)])
    assert e.value.code == "concat_spatial"
    with pytest.raises(RuntimeError):
        torch.cat([torch.randn(1, *a), torch.randn(1, 4, 5, 6)], dim=1)


# ---------------------------------------------------------------------------------------
# Every catalog entry is complete: an oracle case, an import round trip, card text.
# The grids above cover the settings; these cases are one representative per block type,
# and a block type missing here fails `test_every_block_type_is_fully_declared`.

ORACLE_CASES = {
    "Conv2d": [
        ({"out_channels": 4, "kernel_size": (3, 2), "stride": 2, "padding": 1, "bias": False}, (3, 9, 9)),
        ({"out_channels": 6, "kernel_size": 3, "padding": "same", "dilation": 2, "groups": 3}, (3, 9, 9)),
    ],
    "MaxPool2d": [({"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}, (2, 9, 9))],
    "AvgPool2d": [({"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False}, (2, 9, 9))],
    "AdaptiveAvgPool2d": [({"output_size": (2, 3)}, (2, 7, 9))],
    "AdaptiveMaxPool2d": [({"output_size": 1}, (2, 7, 9))],
    "ReLU": [({}, (3, 4, 4))],
    "ReLU6": [({}, (3, 4, 4))],
    "LeakyReLU": [({"negative_slope": 0.2}, (3, 4, 4))],
    "ELU": [({"alpha": 0.3}, (3, 4, 4))],
    "GELU": [({"approximate": "tanh"}, (3, 4, 4))],
    "SiLU": [({}, (3, 4, 4))],
    "Hardswish": [({}, (3, 4, 4))],
    "Hardsigmoid": [({}, (3, 4, 4))],
    "Mish": [({}, (3, 4, 4))],
    "Sigmoid": [({}, (3, 4, 4))],
    "Tanh": [({}, (3, 4, 4))],
    "Softmax": [({}, (10,))],
    "BatchNorm2d": [({"eps": 1e-3, "momentum": 0.2, "affine": False}, (3, 4, 4))],
    "BatchNorm1d": [({"eps": 1e-3}, (12,))],
    "LocalResponseNorm": [({"size": 3, "alpha": 2e-4, "beta": 0.5, "k": 2.0}, (6, 4, 4))],
    "Dropout": [({"p": 0.3}, (3, 4, 4))],
    "Dropout2d": [({"p": 0.2}, (3, 4, 4))],
    "StochasticDepth": [({"p": 0.3, "mode": "batch"}, (3, 4, 4))],
    "Flatten": [({}, (3, 4, 4))],
    "Linear": [({"out_features": 5, "bias": False}, (12,))],
    "Identity": [({}, (3, 4, 4))],
    "ConvTranspose2d": [
        ({"out_channels": 4, "kernel_size": 3, "stride": 2, "padding": 1, "output_padding": 1}, (2, 5, 5)),
        ({"out_channels": 6, "kernel_size": (2, 3), "stride": (2, 1), "dilation": 2, "groups": 2}, (4, 3, 4)),
    ],
    "Upsample": [
        ({"scale_factor": 2}, (2, 3, 4)),
        ({"scale_factor": (2, 3), "mode": "bilinear"}, (2, 3, 4)),
        ({"scale_factor": 2, "mode": "bilinear", "align_corners": True}, (2, 3, 4)),
    ],
    "ChannelShuffle": [({"groups": 3}, (6, 2, 2))],
    "LayerNorm2d": [({"eps": 1e-6}, (5, 3, 4)), ({"affine": False}, (5, 3, 4))],
}
# blocks that are not torch modules: an expression (`LayerSpec.merge`), checked against its
# `run` in test_expression_blocks, or the Input
NOT_MODULES = {"Input", "Add", "Concat", "Multiply", "Slice", "LayerScale"}
EXPRESSION_CASES = {
    "Add": [({}, [(3, 4, 4), (3, 4, 4), (3, 4, 4)]), ({}, [(6,), (6,)])],
    "Concat": [({}, [(3, 4, 4), (2, 4, 4)]), ({}, [(3,), (5,)])],
    "Multiply": [({}, [(3, 4, 4), (3, 1, 1)]), ({}, [(3, 1, 1), (3, 4, 4)])],
    "Slice": [
        ({"start": 0, "end": 2}, [(5, 3, 3)]),
        ({"start": 2, "end": 5}, [(5, 3, 3)]),
        ({"start": 3, "end": 4}, [(6,)]),
    ],
    "LayerScale": [({"init": 0.5}, [(4, 3, 3)])],
}


def test_every_block_type_is_fully_declared():
    for block_type, spec in CATALOG.items():
        assert spec.card_text(spec.defaults()), f"{block_type} has no card text"
        assert spec.description, f"{block_type} has no description"
        # checked against autograd by test_memory.py's MEMORY_CASES
        assert spec.backward is not None, f"{block_type} does not declare what its backward keeps"
        if spec.torch is None:
            assert block_type in NOT_MODULES, f"{block_type}: not a torch module and not tested as one"
            if spec.merge is not None:
                assert block_type in EXPRESSION_CASES, f"{block_type} has no case in EXPRESSION_CASES"
            continue
        assert block_type in ORACLE_CASES, f"{block_type} has no oracle case in ORACLE_CASES"
        for name in spec.fixes:
            from builder.fixes import FIX_RULES

            assert name in FIX_RULES, f"{block_type} declares an unknown fix {name!r}"


@pytest.mark.parametrize("block_type", sorted(ORACLE_CASES))
def test_oracle_case(block_type):
    for settings, shape in ORACLE_CASES[block_type]:
        assert check(block_type, settings, [shape])


class _Wrapped(torch.nn.Module):
    """`block` after an optional flatten, so vector blocks can follow a (C, H, W) Input."""

    def __init__(self, block, flatten):
        super().__init__()
        self.flatten = torch.nn.Flatten() if flatten else torch.nn.Identity()
        self.block = block

    def forward(self, x):
        return self.block(self.flatten(x))


def _functional_module(name, fn, kwargs, flatten):
    """A module whose forward calls `fn` by a global name, as model code does (fx records
    plain-Python functions found in a forward's globals, not ones reached through attributes)."""
    namespace = {name: fn, "torch": torch, "kwargs": kwargs}
    exec(
        "def forward(self, x):\n"
        + ("    x = torch.flatten(x, 1)\n" if flatten else "")
        + f"    return {name}(x, **kwargs)\n",
        namespace,
    )
    return type("_Functional", (torch.nn.Module,), {"forward": namespace["forward"]})()


def _image(shape):
    return shape if len(shape) == 3 else (shape[0], 1, 1)


def _imported_block(graph):
    from builder import infer

    return graph.nodes[infer(graph).output]


@pytest.mark.parametrize("block_type", sorted(ORACLE_CASES))
def test_import_round_trip_of_the_module(block_type):
    from builder import build_model, import_module

    spec = CATALOG[block_type]
    for raw, shape in ORACLE_CASES[block_type]:
        settings = coerce_settings(block_type, raw)
        module = _Wrapped(spec.build_module(settings, [shape]), flatten=len(shape) == 1).eval()
        imported = import_module(module, _image(shape))
        node = imported.graph.nodes["block"]
        assert (node.type, node.settings) == (block_type, settings)
        rebuilt = build_model(imported.graph).eval()
        rebuilt.load_state_dict(imported.state_dict_from(module))
        x = torch.randn(3, *_image(shape))
        assert torch.equal(rebuilt(x), module(x))


FUNCTIONAL_CASES = [
    (spec.type, text) for spec in CATALOG.values() if spec.torch for text in spec.torch.functions
]


@pytest.mark.parametrize("block_type,signature", FUNCTIONAL_CASES)
def test_import_of_each_functional_spelling(block_type, signature):
    """A functional call with every argument the block declares imports to the same settings."""
    import importlib

    from builder import build_model, import_module

    spec = CATALOG[block_type]
    path = signature.split("(", 1)[0]
    module_name, _, attr = path.rpartition(".")
    fn = getattr(importlib.import_module(module_name), attr)
    for raw, shape in ORACLE_CASES[block_type]:
        settings = coerce_settings(block_type, raw)
        names = signature.split("(", 1)[1]
        kwargs = {
            a.name: a.value(settings, [shape]) for a in spec.torch.args if not a.ignored and not a.from_input
        }
        kwargs = {k: v for k, v in kwargs.items() if f"{k}" in names}
        if "training" in names:
            kwargs["training"] = False
        module = _functional_module(attr, fn, kwargs, flatten=len(shape) == 1).eval()
        imported = import_module(module, _image(shape))
        node = _imported_block(imported.graph)
        assert (node.type, node.settings) == (block_type, settings), signature
        x = torch.randn(3, *_image(shape))
        assert torch.equal(build_model(imported.graph).eval()(x), module(x))


def test_multiply_broadcasts_a_channel_gate_like_torch():
    a, gate = (8, 6, 5), (8, 1, 1)
    x, g = torch.randn(2, *a), torch.randn(2, *gate)
    assert CATALOG["Multiply"].infer({}, [a, gate]) == tuple((x * g).shape[1:])
    assert CATALOG["Multiply"].infer({}, [gate, a]) == tuple((g * x).shape[1:])
    assert CATALOG["Multiply"].infer({}, [a, a]) == a
    for bad in [(4, 1, 1), (8, 6, 1), (8,)]:
        with pytest.raises(ShapeError) as e:
            CATALOG["Multiply"].infer({}, [a, bad])
        assert e.value.fix


@pytest.mark.parametrize("block_type", sorted(EXPRESSION_CASES))
def test_expression_blocks(block_type):
    """A block that is an expression: its shape and parameters equal what its `run` gives, and
    its exported `code` computes the same values."""
    spec = CATALOG[block_type]
    for raw, shapes in EXPRESSION_CASES[block_type]:
        settings = coerce_settings(block_type, raw)
        a = spec.analyze(settings, shapes)
        xs = [torch.randn(2, *s) for s in shapes]
        names = [f"x{i}" for i in range(len(xs))]
        own = spec.merge.parameter
        if own is not None:
            shape = own.shape(settings, shapes)
            tensor = torch.full(shape, own.fill(settings))
            xs, names = [tensor, *xs], ["w", *names]
            assert a.learnable == tensor.numel()
        else:
            assert a.learnable == 0
        y = spec.merge.run(xs, settings)
        assert tuple(y.shape[1:]) == a.shape
        code = spec.merge.code(names, settings)
        assert torch.equal(eval(code, {"torch": torch, **dict(zip(names, xs, strict=True))}), y)


def test_slice_refuses_ranges_outside_the_input():
    spec = CATALOG["Slice"]
    for settings, setting in [({"start": 2, "end": 7}, "end"), ({"start": 3, "end": 3}, "start")]:
        with pytest.raises(ShapeError) as e:
            spec.analyze(coerce_settings("Slice", settings), [(6, 4, 4)])
        assert e.value.setting == setting and str(settings["end"]) in e.value.message
