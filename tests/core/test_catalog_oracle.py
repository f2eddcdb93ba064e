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
        module = spec.torch(params, shapes).build()
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
        out = spec.infer(params, shapes)
    except ShapeError as e:
        assert e.message and e.fix, "every shape error says what is wrong and how to fix it"
        return None
    n_params, n_buffers = spec.count(params, shapes)
    return out, n_params, n_buffers, spec.macs(params, shapes, out)


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


IMAGES = [(1, 28, 28), (3, 7, 9), (4, 5, 5), (2, 1, 8), (6, 3, 3)]


def test_conv2d_matches_torch_over_grid():
    valid = invalid = 0
    for shape, kernel, stride, padding, dilation, groups, bias in itertools.product(
        IMAGES,
        [1, 3, (2, 5), 5],
        [1, 2, (3, 1)],
        [0, 1, "same", "valid", (2, 0)],
        [1, 2],
        [1, 2],
        [True, False],
    ):
        ok = check(
            "Conv2d",
            dict(
                out_channels=4,
                kernel_size=kernel,
                stride=stride,
                padding=padding,
                dilation=dilation,
                groups=groups,
                bias=bias,
            ),
            [shape],
        )
        valid += ok
        invalid += not ok
    # the grid must exercise both sides of every rule
    assert valid > 500 and invalid > 500


@pytest.mark.parametrize("block_type", ["MaxPool2d", "AvgPool2d"])
def test_pooling_matches_torch_over_grid(block_type):
    outcomes = set()
    for shape, kernel, stride, padding, ceil_mode in itertools.product(
        [*IMAGES, (1, 1, 1), (1, 6, 11)],
        [1, 2, 3, (2, 3)],
        [None, 1, 2, (1, 2), 3],
        [0, 1, (1, 0)],
        [False, True],
    ):
        # torch's MACs counter does not count pooling; compare shapes and counts
        outcomes.add(
            check(
                block_type,
                dict(kernel_size=kernel, stride=stride, padding=padding, ceil_mode=ceil_mode),
                [shape],
                compare_macs=False,
            )
        )
    assert outcomes == {True, False}


@pytest.mark.parametrize("block_type", ["AdaptiveAvgPool2d", "AdaptiveMaxPool2d"])
def test_adaptive_pooling(block_type):
    for shape, size in itertools.product(IMAGES, [1, 2, (3, 1), 6]):
        assert check(block_type, {"output_size": size}, [shape], compare_macs=False)


@pytest.mark.parametrize(
    "block_type,params",
    [
        ("ReLU", {}),
        ("LeakyReLU", {"negative_slope": 0.2}),
        ("ELU", {"alpha": 0.5}),
        ("GELU", {"approximate": "tanh"}),
        ("Sigmoid", {}),
        ("Tanh", {}),
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
