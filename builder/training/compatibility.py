"""Whether a network can train on a dataset: input shape against image shape, output size
against the number of classes. No torch: the Training panel asks before any run starts."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import Issue
from ..graph import Graph
from ..inference import Inference, scores_node


def check_compatibility(
    graph: Graph, result: Inference, dataset_shape: Sequence[int], num_classes: int, dataset: str
) -> list[Issue]:
    """Problems that stop `graph` from training on a dataset, each naming a node and a fix."""
    if not result.valid:
        return list(result.errors)
    issues = [
        _input_issue(graph, result, dataset_shape, dataset),
        _output_issue(graph, result, num_classes, dataset),
    ]
    return [issue for issue in issues if issue is not None]


def _input_issue(graph: Graph, result: Inference, dataset_shape: Sequence[int], dataset: str) -> Issue | None:
    input_node = graph.input_node()
    assert input_node is not None and result.input_shape is not None  # the inference is valid
    if tuple(result.input_shape) == tuple(dataset_shape):
        return None
    shape = _text(dataset_shape)
    return Issue(
        input_node.id,
        f"the network takes {_text(result.input_shape)} inputs but {dataset} images are {shape}",
        f"set the Input shape to {shape}",
        code="input_mismatch",
        setting="shape",
    )


def _output_issue(graph: Graph, result: Inference, num_classes: int, dataset: str) -> Issue | None:
    output, out = result.output, result.output_shape
    assert output is not None and out is not None  # the inference is valid
    if len(out) != 1:
        return Issue(
            output,
            f"the network ends with a {_text(out, ' x ')} tensor, but classification needs "
            "one score per class",
            f"end the network with Flatten and Linear({num_classes})",
            code="output_not_flat",
        )
    if out[0] == num_classes:
        return None
    # the scores come from the block before a final probability head: that is the one to resize
    head = scores_node(graph, result) or output
    has_units = "out_features" in graph.nodes[head].settings
    return Issue(
        head,
        f"the network outputs {out[0]} values but {dataset} has {num_classes} classes",
        f"set its units to {num_classes}" if has_units else f"add a Linear({num_classes}) block at the end",
        code="class_mismatch",
        setting="out_features" if has_units else None,
    )


def _text(shape: Sequence[int], sep: str = "x") -> str:
    return sep.join(map(str, shape))
