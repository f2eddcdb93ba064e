"""Each rule an invalid network can break is reported on the right node, with the
numbers and a fix; nodes after the break are unknown, not further errors."""

from builder import Graph, chain, explain_node, infer, memory_estimate


def only_error(result):
    assert len(result.errors) == 1, [str(e) for e in result.errors]
    return result.errors[0]


def test_kernel_larger_than_padded_input_quotes_the_numbers():
    g = chain((1, 4, 4), ("Conv2d", {"kernel_size": 5}), "ReLU", name="t")
    g.rename("conv1", "conv3")
    result = infer(g)
    error = only_error(result)
    assert error.node == "conv3" and error.code == "kernel_too_large"
    assert str(error).startswith(
        "conv3: kernel 5x5 is larger than its padded input 4x4 (input 4 + 2*0 padding)"
    )
    assert "floor((4 - 5 + 2*0) / 1) + 1 = 0" in error.message
    assert result.nodes["relu1"].status == "unknown" and result.nodes["relu1"].error is None


def test_output_size_rule_and_params_are_written_out():
    g = chain((1, 28, 28), ("Conv2d", {"out_channels": 6, "kernel_size": 5, "padding": 2}))
    lines = explain_node(g, infer(g), "conv1")
    assert "H, W: floor((28 - 5 + 2*2) / 1) + 1 = 28" in lines
    assert "params: 5*5*1*6 + 6 = 156" in lines
    assert any(line.startswith("receptive field: 5x5") for line in lines)


def test_dropped_rows_warning_agrees_with_torch():
    """Where the warning says the last rows are never seen, changing them must not change
    torch's output; where it says nothing, the last row must matter."""
    import torch

    from builder import build_model

    # (size, kernel, stride, padding): with padding, only windows that miss real rows count
    cases = [
        (13, 4, 3, 0),
        (13, 5, 2, 0),
        (13, 3, 2, 1),
        (13, 2, 2, 0),
        (13, 3, 3, 0),
        (13, 5, 3, 2),
        (13, 4, 3, 1),
        (14, 3, 2, 1),
        (224, 7, 2, 3),
        (56, 1, 2, 0),
        (12, 3, 4, 1),
        (15, 3, 4, 1),
    ]
    outcomes = set()
    for size, kernel, stride, padding in cases:
        g = chain(
            (1, size, size),
            ("Conv2d", {"out_channels": 2, "kernel_size": kernel, "stride": stride, "padding": padding}),
        )
        result = infer(g)
        model = build_model(g, result).eval()
        x = torch.randn(1, 1, size, size)
        y = x.clone()
        y[:, :, -1, :] += 1.0
        unchanged = torch.equal(model(x), model(y))
        warned = [w for w in result.warnings if w.code == "dropped_rows"]
        assert bool(warned) == unchanged, (size, kernel, stride, padding)
        outcomes.add(unchanged)
        if warned:
            assert warned[0].node == "conv1" and "never seen" in warned[0].message
    assert outcomes == {True, False}


def test_divisible_stride_gives_no_warning():
    g = chain((1, 28, 28), ("Conv2d", {"kernel_size": 4, "stride": 4}))
    assert infer(g).warnings == []
    g = chain((1, 28, 28), ("Conv2d", {"kernel_size": 5, "stride": 2}))
    w = infer(g).warnings[0]
    assert "(28 - 5 + 2*0) = 23 is not divisible by stride 2" in w.message
    assert "the last row and column of the input are never seen" in w.message
    # ResNet's stem: the unseen row is padding, so nothing of the image is lost
    stem = chain((3, 224, 224), ("Conv2d", {"kernel_size": 7, "stride": 2, "padding": 3}))
    assert infer(stem).warnings == []


def test_linear_fed_an_image_asks_for_flatten():
    g = chain((16, 5, 5), ("Linear", {"out_features": 10}), "ReLU")
    error = only_error(infer(g))
    assert error.node == "fc1" and error.code == "needs_flatten"
    assert "Flatten" in error.fix and "400" in error.fix


def test_add_of_different_shapes_names_both_shapes():
    g = chain((3, 8, 8), ("Conv2d", {"out_channels": 4, "padding": 1}))
    g.add_node("Conv2d", {"out_channels": 8, "padding": 1})
    g.connect("input", "conv2")
    g.add_node("Add")
    g.connect("conv1", "add1")
    g.connect("conv2", "add1")
    error = only_error(infer(g))
    assert error.node == "add1" and error.code == "add_channels"
    assert "4 x 8 x 8" in error.message and "8 x 8 x 8" in error.message
    assert "1x1 convolution" in error.fix


def test_concat_with_different_spatial_sizes():
    g = chain((3, 8, 8), ("Conv2d", {"out_channels": 4}))
    g.add_node("Conv2d", {"out_channels": 4, "padding": 1})
    g.connect("input", "conv2")
    g.add_node("Concat")
    g.connect("conv1", "concat1")
    g.connect("conv2", "concat1")
    error = only_error(infer(g))
    assert error.code == "concat_spatial" and "4 x 6 x 6" in error.message


def test_channels_not_divisible_by_groups():
    error = only_error(infer(chain((3, 8, 8), ("Conv2d", {"out_channels": 4, "groups": 2}))))
    assert error.code == "groups" and "3" in error.message and "2" in error.message


def test_cycle_is_reported_on_its_nodes_and_downstream_is_unknown():
    g = chain((1, 8, 8), "ReLU", "Tanh", "Sigmoid")
    g.add_node("Add")
    g.connect("relu1", "add1")
    g.connect("sigmoid1", "add1")
    g.disconnect("relu1", "tanh1")
    g.connect("add1", "tanh1")
    g.add_node("ELU")
    g.connect("sigmoid1", "elu1")
    result = infer(g)
    codes = {e.node: e.code for e in result.errors}
    assert codes == {"add1": "cycle", "tanh1": "cycle", "sigmoid1": "cycle"}
    assert "add1 -> tanh1 -> sigmoid1 -> add1" in result.nodes["add1"].error.message
    assert result.nodes["elu1"].status == "unknown"


def test_unreachable_node_and_missing_input():
    g = chain((1, 8, 8), "ReLU")
    g.add_node("Conv2d")
    g.add_node("Tanh")
    g.connect("conv1", "tanh1")
    result = infer(g)
    assert {e.node: e.code for e in result.errors} == {"conv1": "no_input"}
    assert "not reachable from the Input" in result.nodes["conv1"].error.message
    assert result.nodes["tanh1"].status == "unknown"


def test_merge_with_one_input():
    g = chain((1, 8, 8), "ReLU", "Add")
    error = only_error(infer(g))
    assert error.node == "add1" and error.code == "too_few_inputs"


def test_second_input_into_a_one_input_block():
    g = chain((1, 8, 8), "ReLU", "Tanh")
    g.connect("input", "tanh1")
    error = only_error(infer(g))
    assert error.node == "tanh1" and error.code == "too_many_inputs"
    assert "relu1" in error.message and "input" in error.message and "Add or Concat" in error.fix


def test_second_input_block_and_no_input_block():
    g = chain((1, 8, 8), "ReLU")
    g.add_node("Input", {"shape": [1, 8, 8]})
    assert only_error(infer(g)).code == "second_input"
    g = Graph()
    g.add_node("ReLU")
    codes = {e.code for e in infer(g).errors}
    assert codes == {"no_input", "no_input_block"}


def test_empty_graph_and_lone_input_say_what_to_do():
    result = infer(Graph())
    assert not result.valid and [e.code for e in result.errors] == ["empty"]
    result = infer(chain((1, 8, 8)))
    assert not result.valid and [(e.node, e.code) for e in result.errors] == [("input", "no_layers")]


def test_two_unused_ends_are_ambiguous_until_one_is_marked_as_output():
    g = chain((1, 8, 8), "ReLU", "Tanh")
    g.add_node("Sigmoid")
    g.connect("relu1", "sigmoid1")
    result = infer(g)
    (error,) = result.errors
    assert error.code == "ambiguous_output" and "tanh1, sigmoid1" in error.message
    assert "mark" in error.fix

    g.output = "tanh1"
    result = infer(g)
    assert result.valid and result.output == "tanh1"
    assert [(w.node, w.code) for w in result.warnings] == [("sigmoid1", "unused_output")]


def test_a_marked_output_survives_a_stray_block_and_is_dropped_with_its_block():
    g = chain((1, 8, 8), "ReLU", "Tanh")
    g.output = "tanh1"
    g.add_node("Conv2d")  # pasted and not wired: cut off from the Input, an error of its own
    g.add_node("Sigmoid")
    g.connect("relu1", "sigmoid1")
    result = infer(g)
    assert result.output == "tanh1"
    assert {e.code for e in result.errors} == {"no_input"}
    g.remove_node("conv1")
    assert infer(g).valid
    g.remove_node("tanh1")
    assert infer(g).output == "sigmoid1" and g.declared_output() is None


def test_frozen_nodes_are_not_trainable_and_totals_add_up():
    g = chain(
        (1, 28, 28),
        ("Conv2d", {"out_channels": 6, "kernel_size": 5}),
        "Flatten",
        ("Linear", {"out_features": 10}),
    )
    g.nodes["conv1"].frozen = True
    result = infer(g)
    assert result.total_params == 156 + 6 * 24 * 24 * 10 + 10
    assert result.trainable_params == result.total_params - 156
    assert result.total_macs == 24 * 24 * 6 * 25 + 6 * 24 * 24 * 10


def test_receptive_field_of_a_vgg_stack():
    # two 3x3 convs see 5x5; a 2x2 pool then doubles the step: a third 3x3 conv sees 10x10
    g = chain(
        (3, 32, 32),
        ("Conv2d", {"padding": 1}),
        ("Conv2d", {"padding": 1}),
        ("MaxPool2d", {"kernel_size": 2}),
        ("Conv2d", {"padding": 1}),
    )
    r = infer(g)
    assert r.nodes["conv2"].receptive_field == (5, 5)
    assert r.nodes["pool1"].receptive_field == (6, 6) and r.nodes["pool1"].jump == (2, 2)
    assert r.nodes["conv3"].receptive_field == (10, 10)


def test_memory_estimate_counts_weights_gradients_optimizer_and_activations():
    g = chain((1, 28, 28), "Flatten", ("Linear", {"out_features": 10}))
    m = memory_estimate(g, batch_size=32, optimizer="adam", result=infer(g))
    params = 784 * 10 + 10
    assert m.weights == params * 4 and m.gradients == params * 4
    assert m.optimizer_state == 2 * params * 4
    # Linear keeps its input for the weight gradient: the batch itself, seen through Flatten's
    # view; nothing else is kept (tests/core/test_memory.py checks this against autograd)
    assert m.activations == 784 * 32 * 4
    assert m.total == m.weights + m.gradients + m.optimizer_state + m.activations


def test_quick_fixes_repair_the_graph():
    from builder import SetSettings, fix_for

    def apply(graph, fix):
        for edit in fix.edits:
            if isinstance(edit, SetSettings):
                graph.set_settings(edit.node, edit.settings)
            else:
                new = graph.add_node(edit.block_type, edit.settings)
                index = graph.disconnect(edit.source, edit.target)
                graph.connect(edit.source, new.id)
                graph.connect(new.id, edit.target, index=index)

    g = chain((16, 5, 5), ("Linear", {"out_features": 10}))
    r = infer(g)
    fix = fix_for(g, r, r.errors[0])
    assert fix.title == "Insert Flatten before fc1"
    apply(g, fix)
    assert infer(g).valid

    g = chain((1, 4, 4), ("Conv2d", {"kernel_size": 5}))
    r = infer(g)
    apply(g, fix_for(g, r, r.errors[0]))
    assert infer(g).valid and g.nodes["conv1"].settings["padding"] == "same"

    g = chain((3, 8, 8), ("Conv2d", {"out_channels": 4, "padding": 1}))
    g.add_node("Conv2d", {"out_channels": 8, "padding": 1})
    g.connect("input", "conv2")
    g.add_node("Add")
    g.connect("conv1", "add1")
    g.connect("conv2", "add1")
    r = infer(g)
    apply(g, fix_for(g, r, r.errors[0]))
    r = infer(g)
    assert r.valid and r.nodes["add1"].shape == (8, 8, 8)
    assert g.inputs_of("add1") == ["conv3", "conv2"]  # input order kept

    g = chain((1, 8, 8), "ReLU", "Tanh")
    g.connect("input", "tanh1")
    r = infer(g)
    assert fix_for(g, r, r.errors[0]) is None  # which wire to drop is the user's call


def _measured_receptive_field(graph):
    """The most input rows and columns that one output value depends on, measured with
    autograd on positive weights (so no contribution cancels), over every output position."""
    import torch

    from builder import build_model

    model = build_model(graph).double()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.abs() + 0.1)
    x = torch.randn(1, *model.input_shape, dtype=torch.float64, requires_grad=True)
    y = model(x)
    n = y.shape[2] * y.shape[3]
    picks = torch.zeros(n, *y.shape[:2], n, dtype=torch.float64)  # one output value each
    picks[torch.arange(n), 0, 0, torch.arange(n)] = 1
    (grads,) = torch.autograd.grad(y, x, picks.view(n, *y.shape), is_grads_batched=True)
    most = (0, 0)
    for grad in grads.abs():
        rows = grad.sum(dim=(0, 1, 3)).nonzero().flatten()
        cols = grad.sum(dim=(0, 1, 2)).nonzero().flatten()
        if not len(rows):  # a dilated transposed convolution leaves some outputs bias only
            continue
        extent = (int(rows[-1] - rows[0]) + 1, int(cols[-1] - cols[0]) + 1)
        most = (max(most[0], extent[0]), max(most[1], extent[1]))
    return most


def test_receptive_field_through_upsampling_blocks_agrees_with_autograd():
    """After a transposed convolution or an Upsample the cumulative stride is a fraction of a
    pixel; the field, rounded up, is the most input pixels that one output value sees."""
    stacks = [
        [("ConvTranspose2d", {"out_channels": 2, "kernel_size": 4, "stride": 2, "padding": 1})],
        [("ConvTranspose2d", {"out_channels": 2, "kernel_size": 3, "stride": 2, "dilation": 3})],
        # taps 0 and 3 never reach one output together: each output sees one input pixel
        [("ConvTranspose2d", {"out_channels": 2, "kernel_size": 2, "stride": 2, "dilation": 3})],
        [("ConvTranspose2d", {"out_channels": 2, "kernel_size": (5, 2), "stride": (3, 2)})],
        [("Upsample", {"scale_factor": 2}), ("Conv2d", {"out_channels": 2, "kernel_size": 2})],
        [("Upsample", {"scale_factor": 3}), ("Conv2d", {"out_channels": 2, "kernel_size": 5})],
        [
            ("Upsample", {"scale_factor": 2, "mode": "bilinear"}),
            ("Conv2d", {"out_channels": 2, "kernel_size": 3}),
        ],
        [
            ("Conv2d", {"out_channels": 2, "kernel_size": 3, "stride": 2}),
            ("ConvTranspose2d", {"out_channels": 2, "kernel_size": 2, "stride": 2}),
            ("Conv2d", {"out_channels": 2, "kernel_size": 3}),
        ],
    ]
    for stack in stacks:
        g = chain((1, 9, 9), *stack)
        result = infer(g)
        info = result.nodes[result.output]
        assert info.receptive_pixels == _measured_receptive_field(g), stack


def test_upsampling_blocks_never_warn_of_dropped_rows_and_explain_their_size():
    # (9 - 1)*3 - 2*1 + 2*(3 - 1) + 2 + 1 = 29: a stride of 3 that would drop rows in a Conv2d
    g = chain(
        (1, 9, 9),
        (
            "ConvTranspose2d",
            {"kernel_size": 3, "stride": 3, "padding": 1, "output_padding": 2, "dilation": 2},
        ),
        ("Upsample", {"scale_factor": 3}),
    )
    result = infer(g)
    assert result.valid and result.warnings == []
    assert result.nodes["tconv1"].shape[1:] == (29, 29) and result.nodes["up1"].shape[1:] == (87, 87)
    lines = explain_node(g, result, "tconv1")
    assert "H, W: (9 - 1)*3 - 2*1 + 2*(3 - 1) + 2 + 1 = 29" in lines
    assert "params: 3*3*1*16 + 16 = 160" in lines
    assert any(line.endswith("cumulative stride 1/3") for line in lines)
    assert "H: 29*3 = 87, W: 29*3 = 87" in explain_node(g, result, "up1")


def test_inference_from_the_previous_result_recomputes_what_each_edit_changes():
    """The editor passes the previous result; every kind of edit must still show, and what
    an edit cannot change is passed on as the same objects (views skip those)."""
    from builder import load_template

    graph = load_template("lenet5")
    graph.output = "fc2"
    result = infer(graph)
    same_as_before = dict(result.nodes)

    def step() -> None:
        nonlocal result
        result = infer(graph, result)
        assert result == infer(graph)

    graph.nodes["conv1"].frozen = True
    step()
    assert result.nodes["conv1"].trainable == 0 < result.nodes["conv1"].learnable
    graph.nodes["conv2"].settings["out_channels"] = 20  # changed in place
    step()
    assert result.nodes["conv3"].learnable == 5 * 5 * 20 * 120 + 120
    # upstream of the edit and past the point where shapes stop changing: the same objects
    for nid in ("input", "tanh1", "avgpool1", "fc1", "fc2"):
        assert result.nodes[nid] is same_as_before[nid], nid
    assert result.nodes["conv2"] is not same_as_before["conv2"]
    graph.set_settings("avgpool2", {"kernel_size": 4})  # a new settings dict
    step()
    assert not result.valid and result.errors[0].node == "conv3"
    graph.set_settings("avgpool2", {"kernel_size": 2})
    graph.disconnect("tanh4", "fc2")
    step()
    assert result.output == "fc2" and result.nodes["fc2"].status == "error"
    graph.connect("tanh4", "fc2")
    graph.output = "tanh4"
    step()
    assert result.output == "tanh4" and "not used" in result.nodes["fc2"].warnings[0].message
    assert not same_as_before["fc2"].warnings  # the warning went on a new info, not the old one


def test_the_dropped_rows_advice_fits_the_block():
    """Ceil mode is offered only by the blocks that have it; a kernel smaller than its stride
    (ResNet's strided 1x1 shortcut) is said to skip rows anyway, by design."""

    def advice(block_type, size=13, **settings):
        result = infer(chain((1, size, size), (block_type, settings)))
        (warning,) = [w for w in result.warnings if w.code == "dropped_rows"]
        return warning.fix

    assert advice("MaxPool2d", kernel_size=2, stride=2).endswith("or enable ceil mode")
    conv = advice("Conv2d", out_channels=2, kernel_size=5, stride=3)
    assert "ceil mode" not in conv and "by design" not in conv
    shortcut = advice("Conv2d", size=56, out_channels=2, kernel_size=1, stride=2)
    assert "ceil mode" not in shortcut and "every second row and column anyway" in shortcut
    assert "by design" in shortcut
