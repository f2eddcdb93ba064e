"""The Filters, feature maps and prediction view follows the block selected on the canvas."""

import numpy as np
import torch

from builder import build_model, load_dataset, load_template
from ui.training.inside_view import InsideView, mosaic


def test_selecting_a_conv_block_shows_its_filters_and_feature_maps(qtbot):
    view = InsideView()
    qtbot.addWidget(view)
    graph = load_template("lenet5")
    view.attach(graph, load_dataset("mnist-mini"))
    torch.manual_seed(1)
    view.load_weights(build_model(graph).state_dict())
    first = view.filters.getPlotItem().titleLabel.text
    assert "conv1" in first
    view.select_block("conv2")
    assert (
        "Filters of conv2" in view.filters.getPlotItem().titleLabel.text
        and "input channel 1 of 6" in view.filters.getPlotItem().titleLabel.text
    )
    expected = mosaic(view.model.conv2.weight.detach()[:, 0].numpy())
    np.testing.assert_allclose(view.filters_image.image, expected)
    assert "conv2" in view.maps.getPlotItem().titleLabel.text
    view.select_block("fc1")  # not a filter block: the view keeps showing conv2
    assert "conv2" in view.filters.getPlotItem().titleLabel.text
