"""ConvCanvas core: graph model, layer catalog, inference, model building, training.

Nothing in this package imports Qt; the command line and the tests use it headless.
"""

from .catalog import CATALOG, CATEGORIES, INPUT_PRESETS, LayerSpec, spec_for
from .document import dumps_graph, graph_from_dict, graph_to_dict, load_graph, loads_graph, save_graph
from .errors import ConvCanvasError, GraphFormatError, InvalidGraphError, Issue, ParamError, ShapeError
from .explain import explain_node
from .graph import Edge, Graph, Node, chain, coerce_params, is_valid_id
from .inference import ERROR, OK, UNKNOWN, Inference, MemoryEstimate, NodeInfo, infer, memory_estimate
from .templates import list_templates, load_template, template_path

__all__ = [
    "CATALOG",
    "CATEGORIES",
    "ERROR",
    "INPUT_PRESETS",
    "OK",
    "UNKNOWN",
    "ConvCanvasError",
    "Edge",
    "Graph",
    "GraphFormatError",
    "Inference",
    "InvalidGraphError",
    "Issue",
    "LayerSpec",
    "MemoryEstimate",
    "Node",
    "NodeInfo",
    "ParamError",
    "ShapeError",
    "chain",
    "coerce_params",
    "dumps_graph",
    "explain_node",
    "graph_from_dict",
    "graph_to_dict",
    "infer",
    "is_valid_id",
    "list_templates",
    "load_graph",
    "load_template",
    "loads_graph",
    "memory_estimate",
    "save_graph",
    "spec_for",
    "template_path",
]
