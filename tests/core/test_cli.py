"""`convcanvas summary` and `templates`: output, JSON schema and exit codes."""

import json

import pytest

from builder import chain, save_graph
from builder import cli_main as main


def test_summary_table(capsys):
    assert main(["summary", "lenet5"]) == 0
    out = capsys.readouterr().out
    assert "conv1" in out and "6 x 28 x 28" in out and "156" in out and "61,706" in out
    assert "valid network" in out


def test_summary_json_schema(capsys):
    assert main(["summary", "resnet18", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["valid"] is True and data["input"] == [3, 224, 224]
    assert data["total_params"] == 11_689_512
    layer = data["layers"][1]
    assert set(layer) >= {"id", "type", "output_shape", "params", "activations", "macs", "error"}
    assert layer["id"] == "conv1" and layer["output_shape"] == [64, 112, 112]
    assert data["total_macs"] == sum(entry["macs"] for entry in data["layers"])
    assert data["errors"] == [] and isinstance(data["warnings"], list)


def test_invalid_graph_exits_1_with_errors(tmp_path, capsys):
    path = tmp_path / "bad.json"
    save_graph(chain((16, 5, 5), ("Linear", {"out_features": 10})), path)
    assert main(["summary", str(path)]) == 1
    assert "insert a Flatten" in capsys.readouterr().out
    assert main(["summary", str(path), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["valid"] is False
    assert data["errors"][0]["node"] == "fc1" and "Flatten" in data["errors"][0]["fix"]
    assert data["layers"][1]["output_shape"] is None and data["layers"][1]["error"]


def test_unreadable_file_and_bad_arguments_exit_2(tmp_path, capsys):
    path = tmp_path / "broken.json"
    path.write_text('{"format": "convcanvas-graph", "version": 1, "nodes": [')
    assert main(["summary", str(path)]) == 2
    assert "truncated" in capsys.readouterr().err
    assert main(["summary", str(tmp_path / "missing.json")]) == 2
    assert main(["summary", "lenet5", "--input-shape", "three"]) == 2
    with pytest.raises(SystemExit) as e:
        main(["summary"])  # the file argument is missing
    assert e.value.code == 2
    assert "the following arguments are required: file" in capsys.readouterr().err


def test_input_shape_override_and_memory(capsys):
    assert main(["summary", "lenet5", "--input-shape", "1,32,32", "--batch-size", "64"]) == 0
    out = capsys.readouterr().out
    assert "6 x 32 x 32" in out and "training memory at batch 64" in out


def test_templates_lists_all(capsys):
    assert main(["templates"]) == 0
    out = capsys.readouterr().out
    for name in ["lenet5", "mnist_cnn", "alexnet", "vgg16", "resnet18", "inception_block", "cifar_cnn"]:
        assert name in out


def test_import_lists_the_torchvision_cnns_and_imports_one_by_name(capsys, tmp_path):
    from builder import TORCHVISION_CNNS, load_graph, load_weights

    assert main(["import", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(TORCHVISION_CNNS) == 68
    assert any(line.startswith("torchvision:resnet18 ") and "11.7 M" in line for line in lines)
    assert any("inception_v3" in line and "3x299x299" in line for line in lines)

    out, weights = tmp_path / "s.json", tmp_path / "s.safetensors"
    assert main(["import", "torchvision:squeezenet1_1", "-o", str(out), "--weights-out", str(weights)]) == 0
    assert "1,235,496 parameters" in capsys.readouterr().out
    assert load_graph(out).input_node().settings["shape"] == (3, 224, 224)  # the weights' size
    assert len(load_weights(weights)) == 52

    assert main(["import", "torchvision:squeezenet1_2", "-o", str(out)]) == 2
    assert "did you mean squeezenet1_0, squeezenet1_1" in capsys.readouterr().err
    assert main(["import", "torchvision:squeezenet1_1"]) == 2
    assert "-o graph.json" in capsys.readouterr().err
