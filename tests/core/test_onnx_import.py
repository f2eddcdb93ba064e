"""ONNX import: our exports and torch's come back as the same blocks with the same outputs,
and what cannot be represented exactly is refused with the ONNX node's name."""

import contextlib
import hashlib
import io
import warnings

import numpy as np
import pytest
import torch
from torch import nn

from builder import (
    ConvCanvasError,
    ImportFailed,
    ImportResult,
    build_model,
    export_onnx,
    import_onnx,
    infer,
    load_template,
)
from builder import cli_main as main

onnxruntime = pytest.importorskip("onnxruntime")

TEMPLATES = ["lenet5", "lenet5_modern", "mnist_cnn", "cifar_cnn", "inception_block", "resnet18"]


def _randomise_batch_norms(model: nn.Module) -> None:
    """Statistics that are not the identity, so that a BatchNorm folded into the Conv before it
    changes that Conv's weights and bias."""
    generator = torch.Generator().manual_seed(0)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d | nn.BatchNorm1d):
            with torch.no_grad():
                m.running_mean.normal_(0, 0.1, generator=generator)
                m.running_var.uniform_(0.5, 1.5, generator=generator)
                m.weight.uniform_(0.5, 1.5, generator=generator)
                m.bias.normal_(0, 0.1, generator=generator)


def _inference_signature(graph) -> list[str]:
    """Every node's type, settings and inputs, hashed recursively so that ids do not matter.

    It describes what the network computes at inference, the way ONNX files hold it: a Dropout
    passes its input through, and a BatchNorm after a Conv is that Conv with a bias."""
    keys: dict[str, str] = {}
    passed_through = set()  # nodes whose key is their input's
    for node_id in graph.topological_order():
        node, inputs = graph.nodes[node_id], graph.inputs_of(node_id)
        settings = node.settings
        users = [graph.nodes[u].type for u in graph.outputs_of(node_id)]
        if node.type == "Conv2d" and users == ["BatchNorm2d"]:
            settings = {**settings, "bias": True}
        if node.type == "Dropout" or (node.type == "BatchNorm2d" and graph.nodes[inputs[0]].type == "Conv2d"):
            keys[node_id] = keys[inputs[0]]
            passed_through.add(node_id)
            continue
        parts = (node.type, sorted(settings.items()), [keys[i] for i in inputs])
        keys[node_id] = hashlib.sha1(repr(parts).encode()).hexdigest()
    return sorted(keys[n] for n in graph.nodes if n not in passed_through)


def _outputs_agree(path, imported, input_shape, batch=3) -> float:
    """The largest difference between onnxruntime on the file and the imported graph's model."""
    session = onnxruntime.InferenceSession(str(path))
    x = torch.randn(batch, *input_shape)
    expected = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
    model = build_model(imported.graph).eval()
    model.load_state_dict(imported.state_dict)
    with torch.no_grad():
        got = model(x).numpy()
    scale = max(1.0, float(np.abs(expected).max()))
    difference = float(np.abs(got - expected).max())
    assert difference <= 1e-4 * scale, (difference, scale)
    return difference


@pytest.mark.parametrize("name", TEMPLATES)
def test_our_onnx_export_imports_back_to_the_same_network(tmp_path, name):
    graph = load_template(name)
    torch.manual_seed(0)
    model = build_model(graph).eval()
    _randomise_batch_norms(model)
    export_onnx(model, tmp_path / "m.onnx", model.input_shape)
    imported = import_onnx(tmp_path / "m.onnx")
    assert isinstance(imported, ImportResult)
    assert infer(imported.graph).valid
    assert imported.graph.input_node().settings["shape"] == tuple(model.input_shape)
    # the exporter folds each BatchNorm into its Conv; everything else comes back as it was
    assert _inference_signature(imported.graph) == _inference_signature(graph)
    if not any(n.type == "BatchNorm2d" for n in graph.nodes.values()):
        assert set(imported.graph.nodes) == set(graph.nodes)  # the ids too, read from weight names
    _outputs_agree(tmp_path / "m.onnx", imported, model.input_shape)


def _torch_export(model: nn.Module, path, shape, dynamo: bool) -> None:
    model.eval()
    example = (torch.randn(2, *shape),)
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if dynamo:
            dim = {0: torch.export.Dim("batch")}
            torch.onnx.export(model, example, dynamo=True, dynamic_shapes=(dim,)).save(str(path))
        else:
            axes = {"x": {0: "batch"}, "y": {0: "batch"}}
            torch.onnx.export(
                model,
                example,
                str(path),
                dynamo=False,
                input_names=["x"],
                output_names=["y"],
                dynamic_axes=axes,
            )


@pytest.mark.parametrize("dynamo", [True, False], ids=["dynamo", "torchscript"])
def test_torchvision_resnet18_from_torch_exporters(tmp_path, dynamo):
    import torchvision

    torch.manual_seed(0)
    original = torchvision.models.resnet18()
    _randomise_batch_norms(original)
    _torch_export(original, tmp_path / "r.onnx", (3, 64, 64), dynamo)
    imported = import_onnx(tmp_path / "r.onnx")
    types = [n.type for n in imported.graph.nodes.values()]
    assert types.count("Conv2d") == 20 and types.count("Add") == 8 and "BatchNorm2d" not in types
    assert "layer4_1_conv2" in imported.graph.nodes  # ids from the weights' or the nodes' scopes
    # folding adds a bias to each Conv and removes each BatchNorm's four vectors
    batch_norm = sum(m.weight.numel() * 2 for m in original.modules() if isinstance(m, nn.BatchNorm2d))
    convs = sum(m.out_channels for m in original.modules() if isinstance(m, nn.Conv2d))
    total = sum(p.numel() for p in original.parameters())
    assert infer(imported.graph).total_params == total - batch_norm + convs
    _outputs_agree(tmp_path / "r.onnx", imported, (3, 64, 64))


def test_mobilenet_v3_with_relu6_hardswish_and_squeeze_excitation(tmp_path):
    import torchvision

    torch.manual_seed(0)
    original = torchvision.models.mobilenet_v3_small(num_classes=10)
    _randomise_batch_norms(original)
    # the TorchScript exporter: a few seconds faster here than dynamo, and its own spellings
    _torch_export(original, tmp_path / "m.onnx", (3, 64, 64), dynamo=False)
    imported = import_onnx(tmp_path / "m.onnx")
    types = {n.type for n in imported.graph.nodes.values()}
    assert {"Hardswish", "Hardsigmoid", "Multiply", "Add", "AdaptiveAvgPool2d", "Linear"} <= types
    _outputs_agree(tmp_path / "m.onnx", imported, (3, 64, 64))


class _Spellings(nn.Module):
    """Activations that exporters write as other operators (Clip, x * Sigmoid(x), ...)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        f = nn.functional
        x = f.relu6(self.conv(x))
        x = f.silu(f.hardswish(x))
        x = f.elu(f.leaky_relu(f.hardsigmoid(x), 0.2))
        x = f.mish(f.gelu(x))
        x = f.avg_pool2d(f.max_pool2d(x, 3, 2, 1, ceil_mode=True), 2)
        return f.softmax(self.fc(torch.flatten(f.adaptive_max_pool2d(x, 1), 1)), 1)


@pytest.mark.parametrize("dynamo", [True, False], ids=["dynamo", "torchscript"])
def test_activations_in_their_exported_spellings(tmp_path, dynamo):
    torch.manual_seed(0)
    _torch_export(_Spellings(), tmp_path / "s.onnx", (3, 16, 16), dynamo)
    imported = import_onnx(tmp_path / "s.onnx")
    types = [imported.graph.nodes[i].type for i in imported.graph.topological_order()]
    expected = ["ReLU6", "Hardswish", "SiLU", "Hardsigmoid", "LeakyReLU", "ELU", "GELU", "Mish", "Softmax"]
    assert [t for t in types if t in expected] == expected
    _outputs_agree(tmp_path / "s.onnx", imported, (3, 16, 16))


class _Unsupported(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)

    def forward(self, x):
        return torch.flatten(torch.sin(self.conv(x)), 1)


def test_unsupported_operator_is_refused_by_name(tmp_path):
    _torch_export(_Unsupported(), tmp_path / "u.onnx", (1, 8, 8), dynamo=False)
    with pytest.raises(ImportFailed) as e:
        import_onnx(tmp_path / "u.onnx")
    message = str(e.value)
    assert "ONNX node '/Sin' (Sin): no ConvCanvas block computes Sin" in message
    assert "the operators that import are Add, AveragePool" in message and "convcanvas import" in message


def test_asymmetric_padding_and_dynamic_sizes_are_refused(tmp_path):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    def model(pads, dims):
        weight = numpy_helper.from_array(np.ones((2, 1, 3, 3), np.float32), "conv.weight")
        conv = helper.make_node("Conv", ["x", "conv.weight"], ["y"], name="conv_a", pads=pads)
        graph = helper.make_graph(
            [conv],
            "g",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, dims)],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None] * 4)],
            [weight],
        )
        path = tmp_path / "p.onnx"
        onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
        return path

    assert import_onnx(model([1, 1, 1, 1], ["N", 1, 8, 8])).graph.nodes["conv"].settings["padding"] == 1
    with pytest.raises(
        ImportFailed, match=r"ONNX node 'conv_a' \(Conv\): pads \[0, 0, 1, 1\] are not the same"
    ):
        import_onnx(model([0, 0, 1, 1], ["N", 1, 8, 8]))
    with pytest.raises(ImportFailed, match="dynamic height \\('H'\\) and width \\('W'\\); only the batch"):
        import_onnx(model([1, 1, 1, 1], ["N", 1, "H", "W"]))


def test_a_file_that_is_not_onnx_is_refused_in_one_line(tmp_path, capsys):
    for content in (b"not a model\n", b""):
        path = tmp_path / "net.onnx"
        path.write_bytes(content)
        with pytest.raises(ConvCanvasError, match=r"net\.onnx is not an ONNX model"):
            import_onnx(path)
        assert main(["import", str(path), "-o", str(tmp_path / "g.json")]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err


def test_missing_external_weights_are_named(tmp_path):
    import onnx

    model = build_model(load_template("mnist_cnn")).eval()
    export_onnx(model, tmp_path / "m.onnx", model.input_shape)
    proto = onnx.load(tmp_path / "m.onnx")
    onnx.save(
        proto, tmp_path / "big.onnx", save_as_external_data=True, location="big.onnx.data", size_threshold=0
    )
    assert import_onnx(tmp_path / "big.onnx").graph.nodes["conv1"].type == "Conv2d"
    (tmp_path / "big.onnx.data").unlink()
    with pytest.raises(ConvCanvasError, match=r"keeps its weights in 'big\.onnx\.data', which is not in"):
        import_onnx(tmp_path / "big.onnx")


def test_cli_imports_an_onnx_file_with_its_weights(tmp_path, capsys):
    from builder import load_graph, load_weights

    model = build_model(load_template("lenet5")).eval()
    export_onnx(model, tmp_path / "l.onnx", model.input_shape)
    out, weights = tmp_path / "l.json", tmp_path / "l.safetensors"
    assert main(["import", str(tmp_path / "l.onnx"), "-o", str(out), "--weights-out", str(weights)]) == 0
    assert "61,706 parameters" in capsys.readouterr().out
    rebuilt = build_model(load_graph(out)).eval()
    rebuilt.load_state_dict(load_weights(weights))
    x = torch.randn(2, 1, 28, 28)
    with torch.no_grad():
        torch.testing.assert_close(rebuilt(x), model(x), atol=1e-5, rtol=1e-5)
    assert main(["import", str(tmp_path / "l.onnx"), "-o", str(out), "--input-shape", "1,32,32"]) == 2
    assert "the file's input is 1 x 28 x 28" in capsys.readouterr().err
