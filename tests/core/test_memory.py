"""Torch is the oracle for the training-memory estimate too.

The activations are checked against what autograd really keeps: one training-mode forward
of the built model under `saved_tensors_hooks`, counting each saved storage once and leaving
out parameters and buffers (they are the weights). Every block type has a small case here,
so a new block's `Backward` declaration is checked the way its shapes are.
"""

import pytest
import torch
import torch.nn.functional as F

from builder import CATALOG, Graph, build_model, chain, cli_main, load_template, memory_estimate


def kept_bytes(model: torch.nn.Module, x: torch.Tensor) -> int:
    """Bytes of the storages a training forward saves for backward, each once, without weights."""
    weights = {t.untyped_storage().data_ptr() for t in [*model.parameters(), *model.buffers()]}
    storages: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        storage = t.untyped_storage()
        if storage.data_ptr() not in weights:
            storages[storage.data_ptr()] = storage.nbytes()
        return t

    model.train()
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        model(x)
    return sum(storages.values())


def estimated_and_kept(graph: Graph, batch_size: int) -> tuple[int, int]:
    model = build_model(graph)
    x = torch.randn(batch_size, *model.input_shape)
    estimate = memory_estimate(graph, batch_size, device=x.device.type).activations
    return estimate, kept_bytes(model, x)


# What the estimate said when these were written (bytes, CPU, float32). Torch agreed to the
# byte; the old estimate (every node's output, once) said 110 MiB for VGG-16 at batch 1.
@pytest.mark.parametrize(
    "template,batch_sizes",
    [("lenet5", (2, 8)), ("resnet18", (1, 4)), ("vgg16", (1, 2))],
)
def test_activations_match_what_autograd_keeps(template, batch_sizes):
    graph = load_template(template)
    model = build_model(graph)
    for batch_size in batch_sizes:
        x = torch.randn(batch_size, *model.input_shape)
        estimate = memory_estimate(graph, batch_size, device="cpu").activations
        kept = kept_bytes(model, x)
        assert estimate == pytest.approx(kept, rel=0.1), f"{template} at batch {batch_size}"
        # it is exact today; a looser match means torch changed, or a declaration drifted
        assert estimate == kept, f"{template} at batch {batch_size}: {estimate:,} != {kept:,}"


# One case per block type: settings and the shapes of its inputs. A new block type needs one
# (test_every_block_type_has_a_memory_case), which checks its `Backward` declaration.
MEMORY_CASES: dict[str, list[tuple[dict, list[tuple[int, ...]]]]] = {
    "Input": [({}, [])],
    "Identity": [({}, [(3, 4, 4)])],
    "Conv2d": [({"out_channels": 4, "kernel_size": 3, "padding": 1}, [(3, 6, 6)])],
    "MaxPool2d": [({"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}, [(2, 9, 9)])],
    "AvgPool2d": [({"kernel_size": 2}, [(2, 8, 8)])],
    "AdaptiveAvgPool2d": [({"output_size": 1}, [(2, 7, 9)]), ({"output_size": (2, 3)}, [(2, 7, 9)])],
    "AdaptiveMaxPool2d": [({"output_size": 2}, [(2, 7, 9)])],
    "ReLU": [({}, [(3, 4, 4)])],
    "ReLU6": [({}, [(3, 4, 4)])],
    "LeakyReLU": [({"negative_slope": 0.2}, [(3, 4, 4)])],
    "ELU": [({"alpha": 0.3}, [(3, 4, 4)])],
    "GELU": [({"approximate": "tanh"}, [(3, 4, 4)])],
    "SiLU": [({}, [(3, 4, 4)])],
    "Hardswish": [({}, [(3, 4, 4)])],
    "Hardsigmoid": [({}, [(3, 4, 4)])],
    "Mish": [({}, [(3, 4, 4)])],
    "Sigmoid": [({}, [(3, 4, 4)])],
    "Tanh": [({}, [(3, 4, 4)])],
    "Softmax": [({}, [(10,)]), ({}, [(3, 4, 4)])],
    "BatchNorm2d": [({}, [(3, 4, 4)]), ({"affine": False}, [(3, 4, 4)])],
    "BatchNorm1d": [({}, [(12,)])],
    "LocalResponseNorm": [({"size": 3}, [(6, 4, 4)]), ({"size": 4}, [(5, 3, 2)])],
    "Dropout": [({"p": 0.3}, [(3, 4, 4)]), ({"p": 0.0}, [(12,)]), ({"p": 1.0}, [(12,)])],
    "Dropout2d": [({"p": 0.2}, [(3, 4, 4)]), ({"p": 0.0}, [(3, 4, 4)]), ({"p": 1.0}, [(3, 4, 4)])],
    "StochasticDepth": [
        ({"p": 0.3, "mode": "row"}, [(3, 4, 4)]),
        ({"p": 0.3, "mode": "batch"}, [(3, 4, 4)]),
        ({"p": 0.0, "mode": "row"}, [(3, 4, 4)]),
    ],
    "Flatten": [({}, [(3, 4, 4)])],
    "Linear": [({"out_features": 5}, [(12,)]), ({"out_features": 5, "bias": False}, [(12,)])],
    "Add": [({}, [(3, 4, 4), (3, 4, 4)]), ({}, [(6,), (6,), (6,)])],
    "Concat": [({}, [(3, 4, 4), (2, 4, 4)])],
    "Multiply": [({}, [(3, 4, 4), (3, 4, 4)]), ({}, [(3, 4, 4), (3, 1, 1)])],
    "ConvTranspose2d": [({"out_channels": 3, "kernel_size": 2, "stride": 2}, [(4, 3, 3)])],
    "Upsample": [({}, [(2, 3, 3)]), ({"mode": "bilinear", "align_corners": True}, [(2, 3, 3)])],
    "LayerNorm2d": [({}, [(4, 3, 3)]), ({"affine": False}, [(4, 3, 3)])],
    "LayerScale": [({}, [(4, 3, 3)])],
    "ChannelShuffle": [({"groups": 2}, [(4, 3, 3)])],
    "Slice": [({"start": 1, "end": 3}, [(4, 3, 3)])],
}


def block_graph(
    block_type: str, settings: dict, shapes: list[tuple[int, ...]], feeds_kept: bool = False
) -> Graph:
    """Input -> a trained feed per input shape -> the block -> a block that keeps its input.

    The feeds (1x1 convolutions) make the block's inputs need gradients, as they do inside a
    network; the tail keeps the block's output. With `feeds_kept` a ReLU ends each feed, so
    the block's inputs are kept anyway and an output that aliases its input must count once.
    """
    images = [s for s in shapes if len(s) == 3 and s[1:] != (1, 1)]
    shape = (2, *images[0][1:]) if images else (2, 1, 1)
    graph = Graph(name=block_type)
    last = x = graph.add_node("Input", {"shape": shape}).id
    if block_type != "Input":
        last = graph.add_node(block_type, settings).id
        for s in shapes:
            graph.connect(_feed(graph, x, s, feeds_kept), last)
        shape = CATALOG[block_type].infer(graph.nodes[last].settings, shapes)
    tail = (
        ("Conv2d", {"out_channels": 1, "kernel_size": 1})
        if len(shape) == 3
        else ("Linear", {"out_features": 3})
    )
    graph.connect(last, graph.add_node(*tail).id)
    return graph


def _feed(graph: Graph, x: str, shape: tuple[int, ...], kept: bool) -> str:
    blocks = [("Conv2d", {"out_channels": shape[0], "kernel_size": 1})]
    if shape[1:] != graph.nodes[x].settings["shape"][1:]:  # a C x 1 x 1 gate or a vector
        blocks.append(("AdaptiveAvgPool2d", {"output_size": 1}))
    if len(shape) == 1:
        blocks.append(("Flatten", {}))
    if kept:
        blocks.append(("ReLU", {}))
    last = x
    for block_type, settings in blocks:
        node = graph.add_node(block_type, settings).id
        graph.connect(last, node)
        last = node
    return last


@pytest.mark.parametrize(
    "block_type,settings,shapes",
    [(t, s, shapes) for t, cases in MEMORY_CASES.items() for s, shapes in cases],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_block_keeps_what_it_declares(block_type, settings, shapes):
    # two batch sizes tell per-sample tensors from per-batch ones
    for feeds_kept, batch_size in ((False, 2), (False, 3), (True, 2)):
        graph = block_graph(block_type, settings, shapes, feeds_kept)
        estimate, kept = estimated_and_kept(graph, batch_size)
        where = f"{block_type} {settings} on {shapes} at batch {batch_size}, feeds kept: {feeds_kept}"
        assert estimate == kept, where


def test_every_block_type_has_a_memory_case():
    for block_type, spec in CATALOG.items():
        assert spec.backward is not None, f"{block_type} does not declare what its backward keeps"
        assert block_type in MEMORY_CASES, f"{block_type} has no case in MEMORY_CASES (test_memory.py)"


def test_frozen_blocks_before_any_trained_one_keep_nothing():
    graph = chain(
        (3, 8, 8),
        ("Conv2d", {"out_channels": 4, "kernel_size": 3}),
        "ReLU",
        ("Conv2d", {"out_channels": 4, "kernel_size": 3}),
        "ReLU",
    )
    graph.nodes["conv1"].frozen = True
    estimate, kept = estimated_and_kept(graph, 2)
    assert estimate == kept == 2 * 4 * 6 * 6 * 4 + 2 * 4 * 4 * 4 * 4  # relu1's and relu2's outputs


SMALL = chain(
    (3, 16, 16),
    ("Conv2d", {"out_channels": 8, "padding": 1}),
    "BatchNorm2d",
    "ReLU",
    "MaxPool2d",
    "Flatten",
    ("Linear", {"out_features": 10}),
)


@pytest.mark.parametrize(
    "optimizer,momentum,make",
    [
        ("sgd", 0.0, lambda p: torch.optim.SGD(p, lr=0.1)),
        ("sgd", 0.9, lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9)),
        ("adam", 0.9, lambda p: torch.optim.Adam(p)),
        ("adamw", 0.9, lambda p: torch.optim.AdamW(p)),
    ],
)
def test_weights_gradients_and_optimizer_state_match_a_real_step(optimizer, momentum, make):
    model = build_model(SMALL)
    opt = make(model.parameters())
    x, y = torch.randn(4, 3, 16, 16), torch.randint(0, 10, (4,))
    F.cross_entropy(model(x), y).backward()
    opt.step()
    m = memory_estimate(SMALL, 4, optimizer, momentum=momentum)
    weights = sum(t.nbytes for t in [*model.parameters(), *model.buffers()])
    grads = sum(p.grad.nbytes for p in model.parameters())
    state = sum(t.nbytes for s in opt.state.values() for t in s.values() if isinstance(t, torch.Tensor))
    # BatchNorm's batch counter is one int64 (counted as 4 bytes); Adam's step counts are
    # 0-d tensors, 4 bytes per parameter tensor
    assert m.weights == pytest.approx(weights, abs=4)
    assert m.gradients == grads
    assert m.optimizer_state == pytest.approx(state, abs=4 * len(list(model.parameters())))
    assert m.total == m.weights + m.gradients + m.optimizer_state + m.activations


def test_unknown_optimizer_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="sgd, adam, adamw"):
        memory_estimate(SMALL, 4, "rmsprop")


def test_summary_prints_the_breakdown(capsys):
    assert cli_main(["summary", "vgg16", "--batch-size", "1", "--optimizer", "sgd", "--momentum", "0"]) == 0
    out = capsys.readouterr().out
    assert "training memory at batch 1 (sgd" in out
    for line in ("weights", "gradients", "optimizer state", "activations", "total"):
        assert line in out
    m = memory_estimate(load_template("vgg16"), 1, "sgd", momentum=0)
    assert f"{m.activations / 2**20:,.1f} MiB" in out and f"{m.total / 2**20:,.1f} MiB" in out
    assert m.optimizer_state == 0


def test_summary_json_has_the_estimate(capsys):
    import json

    assert cli_main(["summary", "lenet5", "--batch-size", "8", "--json"]) == 0
    memory = json.loads(capsys.readouterr().out)["memory"]
    m = memory_estimate(load_template("lenet5"), 8)
    assert memory["activations"] == m.activations and memory["total"] == m.total
    assert memory["optimizer"] == "adam"
