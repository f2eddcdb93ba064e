"""Bundled templates are valid, and the classic ones have torchvision's exact counts."""

import pytest
import torch
import torchvision

from builder import build_model, infer, list_templates, load_template


def test_every_template_is_valid_and_builds():
    names = []
    for name, graph in list_templates():
        names.append(name)
        result = infer(graph)
        assert result.valid, (name, result.errors)
        assert graph.description, name
        model = build_model(graph, result).eval()
        with torch.no_grad():
            out = model.forward_all(torch.randn(1, *result.input_shape))
        for nid, tensor in out.items():
            assert tuple(tensor.shape[1:]) == result.nodes[nid].shape, (name, nid)
    assert {"lenet5", "mnist_cnn", "alexnet", "vgg16", "resnet18", "inception_block", "cifar_cnn"} <= set(
        names
    )


def test_lenet5_has_61706_parameters_on_both_input_sizes():
    graph = load_template("lenet5")
    assert infer(graph).total_params == 61_706
    graph.set_input_shape((1, 32, 32))
    graph.set_settings("conv1", {"padding": 0})
    result = infer(graph)
    assert result.total_params == 61_706 and result.nodes["conv1"].shape == (6, 28, 28)


def test_mnist_cnn_matches_the_tutorial():
    result = infer(load_template("mnist_cnn"))
    assert result.nodes["flatten1"].shape == (576,)
    assert result.total_params == 93_322


@pytest.mark.parametrize("name", ["alexnet", "vgg16", "resnet18"])
def test_classic_networks_match_torchvision(name):
    reference = getattr(torchvision.models, name)(weights=None)
    expected = sum(p.numel() for p in reference.parameters())
    result = infer(load_template(name))
    assert result.input_shape == (3, 224, 224) and result.output_shape == (1000,)
    assert result.total_params == expected
    # buffers too (BatchNorm running statistics)
    assert sum(n.buffers for n in result.nodes.values()) == sum(b.numel() for b in reference.buffers())


def test_inception_block_joins_four_branches():
    result = infer(load_template("inception_block"))
    assert result.output_shape == (64 + 128 + 32 + 32, 28, 28)
