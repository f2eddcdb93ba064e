"""The PyTorch round trip: build, export (code, training script, ONNX, weights), import."""

import json
import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from builder import (
    ImportFailed,
    InvalidGraphError,
    build_model,
    chain,
    export_onnx,
    export_python,
    export_training_script,
    import_module,
    infer,
    load_module_spec,
    load_template,
    load_weights,
    save_graph,
    save_weights,
)
from builder import cli_main as main

TEMPLATES = ["lenet5", "mnist_cnn", "cifar_cnn", "resnet18", "inception_block"]


def load_exported(source: str, class_name: str):
    namespace: dict = {"__name__": "exported"}
    exec(compile(source, "exported.py", "exec"), namespace)
    return namespace[class_name]()


@pytest.mark.parametrize("name", TEMPLATES)
def test_exported_code_matches_the_built_model(name):
    graph = load_template(name)
    model = build_model(graph).eval()
    source = export_python(graph)
    compile(source, "x.py", "exec")
    class_name = source.split("class ")[1].split("(")[0]
    exported = load_exported(source, class_name).eval()
    assert list(exported.state_dict()) == list(model.state_dict())
    exported.load_state_dict(model.state_dict())
    x = torch.randn(2, *model.input_shape)
    with torch.no_grad():
        assert torch.equal(exported(x), model(x))
    assert "import builder" not in source and "from builder" not in source
    assert "# -> 6 x 28 x 28" in export_python(load_template("lenet5"))


def test_exported_file_runs_alone_with_trained_weights(tmp_path):
    graph = load_template("mnist_cnn")
    torch.manual_seed(1)
    model = build_model(graph).eval()
    save_weights(model, tmp_path / "weights.pt")
    (tmp_path / "net.py").write_text(export_python(graph))
    x = torch.randn(4, 1, 28, 28)
    torch.save(x, tmp_path / "x.pt")
    script = textwrap.dedent("""
        import sys
        sys.modules["builder"] = None  # the exported file must not need ConvCanvas
        import torch
        from net import MNISTCNN
        model = MNISTCNN().eval()
        model.load_state_dict(torch.load("weights.pt"))
        with torch.no_grad():
            torch.save(model(torch.load("x.pt")), "y.pt")
    """)
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    with torch.no_grad():
        assert torch.equal(torch.load(tmp_path / "y.pt"), model(x))
    done = subprocess.run(
        [sys.executable, "net.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and "parameters: 93,322" in done.stdout


def test_weights_round_trip_in_both_formats(tmp_path):
    graph = load_template("cifar_cnn")
    model = build_model(graph)
    for file_name in ["w.safetensors", "w.pt"]:
        save_weights(model, tmp_path / file_name, graph)
        state = load_weights(tmp_path / file_name)
        assert state.keys() == model.state_dict().keys()
        for key, value in model.state_dict().items():
            assert torch.equal(state[key], value)
    from safetensors import safe_open

    with safe_open(tmp_path / "w.safetensors", "pt") as f:
        assert json.loads(f.metadata()["graph"])["name"] == "CIFAR-10 CNN"


@pytest.mark.parametrize("name", ["lenet5", "resnet18", "inception_block"])
def test_onnx_matches_onnxruntime_with_dynamic_batch(tmp_path, name):
    import onnxruntime

    model = build_model(load_template(name)).eval()
    export_onnx(model, tmp_path / "m.onnx", model.input_shape)
    session = onnxruntime.InferenceSession(str(tmp_path / "m.onnx"))
    for batch in (1, 3):
        x = torch.randn(batch, *model.input_shape)
        got = session.run(None, {"input": x.numpy()})[0]
        with torch.no_grad():
            expected = model(x).numpy()
        np.testing.assert_allclose(got, expected, atol=1e-4, rtol=1e-4)


def test_invalid_graph_is_refused_with_inference_errors():
    graph = chain((16, 5, 5), ("Linear", {"out_features": 10}))
    for action in (build_model, export_python, export_training_script):
        with pytest.raises(InvalidGraphError) as e:
            action(graph)
        assert "insert a Flatten" in str(e.value)


def _structure(graph):
    return {nid: (n.type, n.settings, graph.inputs_of(nid)) for nid, n in graph.nodes.items()}


@pytest.mark.parametrize("name", TEMPLATES)
def test_exported_file_imports_back_to_the_same_graph(tmp_path, name):
    graph = load_template(name)
    source = export_python(graph)
    path = tmp_path / "net.py"
    path.write_text(source)
    class_name = source.split("class ")[1].split("(")[0]
    module, _ = load_module_spec(f"{path}:{class_name}")
    imported = import_module(module, infer(graph).input_shape).graph
    assert _structure(imported) == _structure(graph)


@pytest.mark.parametrize("name", ["alexnet", "vgg16", "resnet18"])
def test_torchvision_import_and_export_reproduce_the_original(name):
    torch.manual_seed(0)
    original, _ = load_module_spec(f"torchvision:{name}")
    original.eval()
    imported = import_module(original, (3, 224, 224), name)
    result = infer(imported.graph)
    assert result.total_params == sum(p.numel() for p in original.parameters())
    source = export_python(imported.graph, result)
    exported = load_exported(source, source.split("class ")[1].split("(")[0]).eval()
    exported.load_state_dict(imported.state_dict_from(original))
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        torch.testing.assert_close(exported(x), original(x), atol=1e-5, rtol=1e-5)


def test_unmappable_parts_are_named_with_their_location(tmp_path):
    (tmp_path / "odd.py").write_text(
        textwrap.dedent("""
        import torch
        from torch import nn

        class Odd(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(1, 4, 3)
                self.act = nn.Hardshrink()

            def forward(self, x):
                x = self.act(self.conv(x))
                return x * 2
    """)
    )
    module, _ = load_module_spec(f"{tmp_path / 'odd.py'}:Odd")
    with pytest.raises(ImportFailed) as e:
        import_module(module, (1, 28, 28))
    text = "\n".join(e.value.problems)
    assert "module 'act' (Hardshrink) at odd.py:12" in text
    assert "'mul'" in text and "odd.py:13" in text


def test_view_flatten_and_functional_calls_import():
    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(1, 4, 3)
            self.fc = torch.nn.Linear(4 * 13 * 13, 10)

        def forward(self, x):
            x = torch.nn.functional.max_pool2d(torch.relu(self.conv(x)), 2)
            x = x.view(x.size(0), -1)
            return self.fc(x)

    imported = import_module(Net(), (1, 28, 28))
    assert [n.type for n in imported.graph.nodes.values()] == [
        "Input",
        "Conv2d",
        "ReLU",
        "MaxPool2d",
        "Flatten",
        "Linear",
    ]


def test_training_script_trains_one_epoch_on_cpu(tmp_path):
    graph = load_template("lenet5")
    (tmp_path / "train.py").write_text(export_training_script(graph))
    done = subprocess.run(
        [sys.executable, "train.py", "--dataset", "synthetic", "--epochs", "1", "--device", "cpu"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "epoch 1/1" in done.stdout and (tmp_path / "checkpoints" / "last.pt").exists()
    state = torch.load(tmp_path / "checkpoints" / "weights.pt")
    build_model(graph).load_state_dict(state)  # trained weights load into the in-app model


def test_training_script_handles_a_final_softmax(tmp_path):
    graph = chain((1, 8, 8), "Flatten", ("Linear", {"out_features": 10}), "Softmax", name="soft")
    (tmp_path / "train.py").write_text(export_training_script(graph))
    done = subprocess.run(
        [sys.executable, "train.py", "--dataset", "synthetic", "--epochs", "1"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.skipif(
    shutil.which("torchrun") is None
    and not os.path.exists(os.path.join(os.path.dirname(sys.executable), "torchrun")),
    reason="torchrun not installed",
)
def test_training_script_runs_under_torchrun_with_two_cpu_processes(tmp_path):
    (tmp_path / "train.py").write_text(export_training_script(load_template("lenet5")))
    torchrun = os.path.join(os.path.dirname(sys.executable), "torchrun")
    done = subprocess.run(
        [
            torchrun,
            "--nproc_per_node",
            "2",
            "train.py",
            "--dataset",
            "synthetic",
            "--epochs",
            "1",
            "--device",
            "cpu",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    # a failing rank's own message comes first; torchrun's summary of it comes last
    assert done.returncode == 0, f"{done.stderr[:3000]}\n...\n{done.stderr[-1500:]}"
    assert done.stdout.count("epoch 1/1") == 1  # only rank 0 reports


def test_cli_export_and_import(tmp_path, capsys):
    for fmt, name in [("py", "n.py"), ("train-py", "t.py"), ("onnx", "n.onnx"), ("weights", "w.safetensors")]:
        assert main(["export", "lenet5", "--format", fmt, "-o", str(tmp_path / name)]) == 0
        assert (tmp_path / name).stat().st_size > 0
    assert (
        main(
            [
                "export",
                "lenet5",
                "--format",
                "onnx",
                "-o",
                str(tmp_path / "m.onnx"),
                "--weights",
                str(tmp_path / "w.safetensors"),
            ]
        )
        == 0
    )
    bad = tmp_path / "bad.json"
    save_graph(chain((16, 5, 5), ("Linear", {"out_features": 10})), bad)
    assert main(["export", str(bad), "--format", "py", "-o", str(tmp_path / "bad.py")]) == 1
    assert not (tmp_path / "bad.py").exists()
    assert (
        main(
            [
                "import",
                f"{tmp_path / 'n.py'}:LeNet5",
                "-o",
                str(tmp_path / "back.json"),
                "--input-shape",
                "1,28,28",
            ]
        )
        == 0
    )
    assert (
        main(
            ["import", "torchvision:nosuchnet", "-o", str(tmp_path / "x.json"), "--input-shape", "3,224,224"]
        )
        == 2
    )
    assert "not a torchvision classification CNN" in capsys.readouterr().err


def test_training_script_carries_the_chosen_settings_and_the_engines_schedule():
    from builder import TrainConfig, schedule_factor

    config = TrainConfig(dataset="mnist-mini", optimizer="sgd", lr=0.05, schedule="onecycle", epochs=3)
    source = export_training_script(load_template("lenet5"), config)
    assert 'OPTIMIZER = "sgd"' in source and "LR = 0.05" in source and 'SCHEDULE = "onecycle"' in source
    assert 'DATASET = "mnist-mini"' in source  # the data the app trained on, shipped beside the script
    start = source.index("def schedule_factor")
    namespace: dict = {}
    exec(source[start : source.index("\n\n\n", start)], {"math": __import__("math")}, namespace)
    for name in ("constant", "step", "cosine", "onecycle"):
        for step in (0, 10, 29, 30, 55, 80, 100):
            assert namespace["schedule_factor"](name, step, 100) == schedule_factor(name, step, 100)


def test_exported_code_keeps_frozen_layers_frozen(tmp_path):
    import importlib.util

    graph = load_template("lenet5")
    graph.nodes["conv1"].frozen = True
    (tmp_path / "frozen_net.py").write_text(export_python(graph))
    spec = importlib.util.spec_from_file_location("frozen_net", tmp_path / "frozen_net.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = next(v for k, v in vars(module).items() if isinstance(v, type) and k == "LeNet5")()
    assert not any(p.requires_grad for p in model.conv1.parameters())
    assert all(p.requires_grad for p in model.conv2.parameters())


@pytest.mark.parametrize("keepdim", [False, True])
def test_mean_over_height_and_width_imports_as_global_average_pooling(keepdim):
    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 8, 3)
            self.fc = torch.nn.Linear(8, 5)

        def forward(self, x):
            x = self.conv(x).mean([2, 3], keepdim=keepdim)
            return self.fc(x.flatten(1) if keepdim else x)

    module = Net().eval()
    imported = import_module(module, (3, 12, 12))
    types = [n.type for n in imported.graph.nodes.values()]
    assert types.count("AdaptiveAvgPool2d") == 1 and types.count("Flatten") == 1
    rebuilt = build_model(imported.graph).eval()
    rebuilt.load_state_dict(imported.state_dict_from(module))
    x = torch.randn(2, 3, 12, 12)
    torch.testing.assert_close(rebuilt(x), module(x))


def test_a_model_is_imported_as_it_runs_in_eval_mode_and_keeps_its_mode():
    class TwoHeads(torch.nn.Module):
        """Like GoogLeNet: an auxiliary output only while training."""

        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(1, 4, 3)
            self.aux = torch.nn.Conv2d(4, 2, 1)

        def forward(self, x):
            x = self.conv(x)
            if self.training:
                return x, self.aux(x)
            return x

    module = TwoHeads().train()
    imported = import_module(module, (1, 8, 8))
    assert "aux" not in imported.graph.nodes
    assert module.training


def test_a_refused_import_says_whether_parts_or_shapes_are_the_problem():
    class Mismatch(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(10, 3)

        def forward(self, x):
            return self.fc(torch.flatten(x, 1))

    with pytest.raises(ImportFailed) as e:
        import_module(Mismatch(), (1, 4, 4))  # 16 features reach a Linear built for 10
    assert "do not fit the input shape" in str(e.value)
    assert "module 'fc' (Linear)" in e.value.problems[0] and "in_features=10" in e.value.problems[0]


def test_squeeze_and_excitation_imports_exports_and_matches():
    from torchvision.ops import SqueezeExcitation

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 16, 3)
            self.se = SqueezeExcitation(16, 4)

        def forward(self, x):
            return self.se(self.conv(x))

    module = Net().eval()
    imported = import_module(module, (3, 10, 10))
    assert [n.type for n in imported.graph.nodes.values()].count("Multiply") == 1
    rebuilt = build_model(imported.graph).eval()
    rebuilt.load_state_dict(imported.state_dict_from(module))
    x = torch.randn(2, 3, 10, 10)
    torch.testing.assert_close(rebuilt(x), module(x))
    namespace: dict = {}
    exec(export_python(imported.graph), namespace)
    exported = namespace["Net"]().eval()
    exported.load_state_dict(rebuilt.state_dict())
    torch.testing.assert_close(exported(x), module(x))


@pytest.mark.parametrize("content", [b"", b"\x00" * 100, bytes(range(256)) * 8])
@pytest.mark.parametrize("suffix", [".safetensors", ".pt"])
def test_a_file_that_is_not_weights_is_refused_with_a_message(tmp_path, capsys, content, suffix):
    weights = tmp_path / f"w{suffix}"
    weights.write_bytes(content)
    assert (
        main(
            [
                "export",
                "lenet5",
                "--format",
                "weights",
                "-o",
                str(tmp_path / "out.pt"),
                "--weights",
                str(weights),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "is not a weights file" in err and "Traceback" not in err
    assert not (tmp_path / "out.pt").exists()


def _round_trip(module, input_shape):
    """Import `module`, check the built model and the exported code against it, and return
    the import and the exported source."""
    module = module.eval()
    imported = import_module(module, input_shape)
    rebuilt = build_model(imported.graph).eval()
    rebuilt.load_state_dict(imported.state_dict_from(module))
    x = torch.randn(2, *input_shape)
    source = export_python(imported.graph)
    exported = load_exported(source, source.split("class ")[1].split("(")[0]).eval()
    exported.load_state_dict(rebuilt.state_dict())
    with torch.no_grad():
        torch.testing.assert_close(rebuilt(x), module(x), atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(exported(x), module(x), atol=1e-5, rtol=1e-5)
    return imported, source


@pytest.mark.parametrize("stride", [1, 2])
def test_a_shufflenet_unit_imports_as_slices_and_a_channel_shuffle(tmp_path, stride):
    from torchvision.models.shufflenetv2 import InvertedResidual

    shape = (8 if stride == 1 else 4, 6, 6)
    imported, source = _round_trip(InvertedResidual(shape[0], 8, stride), shape)
    types = [n.type for n in imported.graph.nodes.values()]
    assert types.count("ChannelShuffle") == 1 and types.count("Slice") == (2 if stride == 1 else 0)
    if stride == 1:  # x.chunk(2, dim=1): channels [0, 4) and [4, 8), written as slices
        slices = [n.settings for n in imported.graph.nodes.values() if n.type == "Slice"]
        assert slices == [{"start": 0, "end": 4}, {"start": 4, "end": 8}]
        assert "[:, :4]" in source and "[:, 4:8]" in source
    path = tmp_path / "net.py"
    path.write_text(source)
    module, _ = load_module_spec(f"{path}:{source.split('class ')[1].split('(')[0]}")
    assert _structure(import_module(module, shape).graph) == _structure(imported.graph)


def test_a_convnext_block_imports_its_channels_last_section_as_channels_first_blocks(tmp_path):
    """ConvNeXt's block: depthwise conv, permute to channels-last, LayerNorm, Linear, GELU,
    Linear, permute back, a per-channel layer scale, stochastic depth, and the residual sum."""
    import onnxruntime
    from torchvision.models.convnext import CNBlock, LayerNorm2d

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = torch.nn.Conv2d(3, 8, 2, stride=2)
            self.norm = LayerNorm2d(8, eps=1e-6)
            self.block = CNBlock(8, layer_scale=0.5, stochastic_depth_prob=0.1)

        def forward(self, x):
            return self.block(self.norm(self.stem(x)))

    module = Net()
    with torch.no_grad():
        module.block.layer_scale.copy_(torch.rand(8, 1, 1))  # trained: no longer one value
    imported, source = _round_trip(module, (3, 10, 10))
    graph = imported.graph
    assert [n.type for n in graph.nodes.values()] == [
        "Input",
        "Conv2d",
        "LayerNorm2d",
        "Conv2d",
        "LayerNorm2d",
        "Conv2d",
        "GELU",
        "Conv2d",
        "LayerScale",
        "StochasticDepth",
        "Add",
    ]
    assert graph.nodes["block_block_3"].settings == {
        **graph.nodes["block_block_3"].settings,
        "out_channels": 32,
        "kernel_size": 1,
    }
    assert graph.nodes["block_block_2"].settings == {"eps": 1e-6, "affine": True}
    state = imported.state_dict_from(module)
    assert state["block_block_3.weight"].shape == (32, 8, 1, 1)
    assert torch.equal(state["block_layer_scale"], module.block.layer_scale)
    assert "self.block_layer_scale = nn.Parameter(torch.full((8, 1, 1), 1e-06))" in source
    assert infer(graph).total_params == sum(p.numel() for p in module.parameters())
    model = build_model(graph).eval()
    model.load_state_dict(state)
    export_onnx(model, tmp_path / "m.onnx", model.input_shape)
    session = onnxruntime.InferenceSession(str(tmp_path / "m.onnx"))
    x = torch.randn(3, 3, 10, 10)
    with torch.no_grad():
        expected = module.eval()(x).numpy()
    np.testing.assert_allclose(session.run(None, {"input": x.numpy()})[0], expected, atol=1e-4, rtol=1e-4)


def test_what_a_channels_last_section_cannot_hold_is_refused_with_its_place(tmp_path):
    (tmp_path / "last.py").write_text(
        textwrap.dedent("""
        import torch
        from torch import nn

        class Last(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(3, 8, 1)
                self.norm = nn.BatchNorm1d(8)
                self.fc = nn.Linear(8, 8)

            def forward(self, x):
                x = self.conv(x).permute(0, 2, 3, 1)
                x = self.fc(x).softmax(-1)
                return self.norm(x).permute(0, 3, 1, 2)
    """)
    )
    module, _ = load_module_spec(f"{tmp_path / 'last.py'}:Last")
    with pytest.raises(ImportFailed) as e:
        import_module(module, (3, 8, 8))
    text = "\n".join(e.value.problems)
    assert "'softmax'" in text and "last.py:14" in text and "channels-last" in text
    assert "module 'norm' (BatchNorm1d) at last.py:15" in text and "nn.LayerNorm, nn.Linear" in text


def test_parameters_used_directly_import_only_as_a_per_channel_scale():
    class Scaled(torch.nn.Module):
        def __init__(self, shape, add=False):
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 4, 1)
            self.gamma = torch.nn.Parameter(torch.full(shape, 0.1))
            self.add = add

        def forward(self, x):
            x = self.conv(x)
            return x + self.gamma if self.add else x * self.gamma

    imported, _ = _round_trip(Scaled((4, 1, 1)), (3, 5, 5))
    assert imported.graph.nodes["gamma"].type == "LayerScale"
    assert imported.graph.nodes["gamma"].settings == {"init": 0.1}
    for module, expected in [
        (Scaled((4,)), "parameter 'gamma' has shape (4,); only a C x 1 x 1"),
        (Scaled((4, 1, 1), add=True), "parameter 'gamma' is used directly by call_function 'add'"),
    ]:
        with pytest.raises(ImportFailed) as e:
            import_module(module, (3, 5, 5))
        assert expected in "\n".join(e.value.problems)
    with pytest.raises(ImportFailed) as e:
        import_module(Scaled((5, 1, 1)), (3, 5, 5))
    assert "its parameter is (5, 1, 1), but its input is 4 x 5 x 5" in "\n".join(e.value.problems)


def test_chunks_of_channels_follow_torch_chunk_sizes():
    class Split(torch.nn.Module):
        def forward(self, x):
            a, b, c = torch.chunk(x, 3, dim=1)  # ceil(8 / 3) = 3 channels each, the last 2
            return torch.cat([c, a, b[:, 1:]], dim=1)

    imported, source = _round_trip(Split(), (8, 2, 2))
    slices = [n.settings for n in imported.graph.nodes.values() if n.type == "Slice"]
    # b[:, 1:] is a Slice of b's 3 channels
    assert slices == [
        {"start": 0, "end": 3},
        {"start": 3, "end": 6},
        {"start": 6, "end": 8},
        {"start": 1, "end": 3},
    ]
    assert "[:, 6:8]" in source and "[:, 1:3]" in source


@pytest.mark.parametrize("name, shape", [("resnet18", (3, 64, 64)), ("convnext_tiny", (3, 64, 64))])
def test_imported_blocks_keep_their_module_paths_and_exported_code_loads_the_original_weights(
    name, shape, tmp_path
):
    import importlib.util

    import torchvision

    from builder import class_name_for, export_python, import_module

    original = torchvision.models.get_model(name, weights=None).eval()
    graph = import_module(original, shape, name).graph
    nodes = graph.nodes
    if name == "resnet18":
        conv = nodes["layer2_0_conv1"]
        assert conv.origin == "layer2.0.conv1" and conv.group == "layer2.0"
        adds = [n for n in nodes.values() if n.type == "Add"]
        assert [n.group for n in adds][:2] == ["layer1.0", "layer1.1"]  # the residual sum, in its block
        assert nodes["conv1"].group == "" and nodes["fc"].origin == "fc"
    path = tmp_path / f"{name}_export.py"
    path.write_text(export_python(graph))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = getattr(module, class_name_for(graph.name))().eval()
    # the original state dict, with its own key names, unchanged
    assert module.load_original_state_dict(model, original.state_dict()) == []
    x = torch.randn(2, *shape)
    with torch.no_grad():
        torch.testing.assert_close(model(x), original(x), atol=1e-4, rtol=1e-4)
