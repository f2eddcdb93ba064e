"""ConvCanvas core: graph model, block catalog, inference, model building, training, export.

Nothing in this package imports Qt. ``from builder import ...`` is the public API that the app,
the tests and scripts use. Importing `builder` stays free of torch: the names that need it
(model building, training, export, import) are loaded on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from . import training as _training  # no torch: it resolves its names on first use
from .atomic import write_atomic
from .blocks import CATALOG, CATEGORIES, INPUT_PRESETS, Category, LayerSpec, spec_for
from .diff import GraphDiff, SettingChange, graph_diff
from .document import (
    FORMAT,
    VERSION,
    dumps_graph,
    graph_from_dict,
    graph_to_dict,
    load_graph,
    loads_graph,
    save_graph,
)
from .errors import ConvCanvasError, GraphFormatError, InvalidGraphError, Issue, SettingError, ShapeError
from .explain import explain_node
from .fixes import (
    Fix,
    InsertBetween,
    MarkOutput,
    SetSettings,
    WireProblem,
    fix_for,
    output_candidates,
    wire_problems,
)
from .graph import Edge, Graph, Node, chain, coerce_settings, is_valid_id
from .groups import (
    GroupingRefused,
    GroupSummary,
    collapsed_after,
    group_paths,
    group_summaries,
    group_summary,
    grouping,
    hidden_in,
    members,
    name_of,
    parent_of,
    ungrouping,
    within,
)
from .inference import (
    ERROR,
    OK,
    UNKNOWN,
    Inference,
    NodeInfo,
    infer,
    scores_node,
)
from .layout import (
    CARD_SIZE,
    FRAME_MARGINS,
    FRAME_TITLE,
    Layout,
    WireRouter,
    apply_layout,
    auto_layout,
    card_key,
    collapsed_cards,
    flow_direction,
    frame_boxes,
    free_spot,
    layered_layout,
    make_room,
    next_row,
    pitch,
    port_offsets,
    room_moves,
)
from .memory import MemoryEstimate, memory_estimate
from .rewire import bypass, insert_fits
from .settings import BOOL, CHOICE, FLOAT, INT, PADDING, SHAPE, SIZE2, Setting, pair
from .templates import list_templates, load_template, template_path

# name -> module that defines it, imported when the name is first used
_LAZY = {
    # building and running torch models
    "NetworkModule": "builder.interop.torch_model",
    "build_model": "builder.interop.torch_model",
    # export and import
    "export_python": "builder.interop.code",
    "module_source": "builder.interop.code",
    "class_name_for": "builder.interop.code",
    "export_training_script": "builder.interop.training_script",
    "write_training_script": "builder.interop.training_script",
    "export_onnx": "builder.interop.onnx",
    "save_weights": "builder.interop.weights",
    "save_state_dict": "builder.interop.weights",
    "load_weights": "builder.interop.weights",
    "WeightsError": "builder.interop.weights",
    "import_module": "builder.interop.importer",
    "load_module_spec": "builder.interop.importer",
    "ImportFailed": "builder.interop.importer",
    "ImportResult": "builder.interop.importer",
    "import_model": "builder.interop.model_sources",
    "ImportedModel": "builder.interop.model_sources",
    "module_classes": "builder.interop.model_sources",
    "TORCHVISION_CNNS": "builder.interop.zoo",
    "ZooModel": "builder.interop.zoo",
    "torchvision_cnns": "builder.interop.zoo",
    "fitting_weights": "builder.interop.weights",
    "fresh_blocks_message": "builder.interop.weights",
    "import_onnx": "builder.interop.onnx_import",
    "OnnxImportResult": "builder.interop.onnx_import",
    # training and datasets: the names builder.training declares (it loads each lazily too)
    **dict.fromkeys(_training.__all__, "builder.training"),
    # the command line
    "cli_main": "builder.cli",
}

if TYPE_CHECKING:  # for type checkers and editors; at run time these load lazily
    from .cli import cli_main
    from .interop.code import class_name_for, export_python, module_source
    from .interop.importer import ImportFailed, ImportResult, import_module, load_module_spec
    from .interop.model_sources import ImportedModel, import_model, module_classes
    from .interop.onnx import export_onnx
    from .interop.onnx_import import OnnxImportResult, import_onnx
    from .interop.torch_model import NetworkModule, build_model
    from .interop.training_script import export_training_script, write_training_script
    from .interop.weights import (
        WeightsError,
        fitting_weights,
        fresh_blocks_message,
        load_weights,
        save_state_dict,
        save_weights,
    )
    from .interop.zoo import TORCHVISION_CNNS, ZooModel, torchvision_cnns
    from .training import (
        DATASETS,
        NUM_CLASSES,
        OPTIMIZERS,
        SCHEDULES,
        SHAPES,
        Checkpointed,
        CheckpointError,
        Control,
        Dataset,
        DatasetError,
        DataWarning,
        DownloadProgress,
        EpochMetrics,
        LayerHealth,
        LrChanged,
        Paused,
        Resumed,
        RunFinished,
        RunFolderError,
        RunStarted,
        RunSummary,
        RunWarning,
        StepMetrics,
        TrainConfig,
        Trainer,
        TrainingError,
        available_devices,
        center_digit,
        check_compatibility,
        config_from_saved,
        default_data_dir,
        default_runs_home,
        free_memory,
        load_dataset,
        load_image_folder,
        new_run_folder,
        normalise_image,
        physical_cores,
        prepare_drawing,
        prepare_image_file,
        read_run,
        resize_image,
        run_graph,
        run_weights,
        schedule_factor,
        select_device,
    )


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'builder' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = [
    "BOOL",
    # block types
    "CARD_SIZE",
    "CATALOG",
    "CATEGORIES",
    "CHOICE",
    "DATASETS",
    "ERROR",
    "FLOAT",
    "FORMAT",
    "FRAME_MARGINS",
    "FRAME_TITLE",
    "INPUT_PRESETS",
    "INT",
    "NUM_CLASSES",
    "OK",
    "OPTIMIZERS",
    "PADDING",
    "SCHEDULES",
    "SHAPE",
    "SHAPES",
    "SIZE2",
    "TORCHVISION_CNNS",
    "UNKNOWN",
    "VERSION",
    "Category",
    "CheckpointError",
    "Checkpointed",
    "Control",
    # errors
    "ConvCanvasError",
    "DataWarning",
    "Dataset",
    "DatasetError",
    "DownloadProgress",
    "Edge",
    "EpochMetrics",
    "Fix",
    # the graph and its file format
    "Graph",
    "GraphDiff",
    "GraphFormatError",
    "GroupSummary",
    "GroupingRefused",
    "ImportFailed",
    "ImportResult",
    "ImportedModel",
    "Inference",
    "InsertBetween",
    "InvalidGraphError",
    "Issue",
    "LayerHealth",
    "LayerSpec",
    "Layout",
    "LrChanged",
    "MarkOutput",
    "MemoryEstimate",
    # loaded on first use (they import torch)
    "NetworkModule",
    "Node",
    "NodeInfo",
    "OnnxImportResult",
    "Paused",
    "Resumed",
    "RunFinished",
    "RunFolderError",
    "RunStarted",
    "RunSummary",
    "RunWarning",
    "SetSettings",
    "Setting",
    "SettingChange",
    "SettingError",
    "ShapeError",
    "StepMetrics",
    "TrainConfig",
    "Trainer",
    "TrainingError",
    "WeightsError",
    "WireProblem",
    "WireRouter",
    "ZooModel",
    "apply_layout",
    "auto_layout",
    "available_devices",
    "build_model",
    "bypass",
    "card_key",
    "center_digit",
    "chain",
    "check_compatibility",
    "class_name_for",
    "cli_main",
    "coerce_settings",
    "collapsed_after",
    "collapsed_cards",
    "config_from_saved",
    "default_data_dir",
    "default_runs_home",
    "dumps_graph",
    "explain_node",
    "export_onnx",
    "export_python",
    "export_training_script",
    "fitting_weights",
    "fix_for",
    "flow_direction",
    "frame_boxes",
    "free_memory",
    "free_spot",
    "fresh_blocks_message",
    "graph_diff",
    "graph_from_dict",
    "graph_to_dict",
    "group_paths",
    "group_summaries",
    "group_summary",
    "grouping",
    "hidden_in",
    "import_model",
    "import_module",
    "import_onnx",
    # inference, explanations, fixes, layout
    "infer",
    "insert_fits",
    "is_valid_id",
    "layered_layout",
    "list_templates",
    "load_dataset",
    "load_graph",
    "load_image_folder",
    "load_module_spec",
    "load_template",
    "load_weights",
    "loads_graph",
    "make_room",
    "members",
    "memory_estimate",
    "module_classes",
    "module_source",
    "name_of",
    "new_run_folder",
    "next_row",
    "normalise_image",
    "output_candidates",
    "pair",
    "parent_of",
    "physical_cores",
    "pitch",
    "port_offsets",
    "prepare_drawing",
    "prepare_image_file",
    "read_run",
    "resize_image",
    "room_moves",
    "run_graph",
    "run_weights",
    "save_graph",
    "save_state_dict",
    "save_weights",
    "schedule_factor",
    "scores_node",
    "select_device",
    "spec_for",
    "template_path",
    "torchvision_cnns",
    "ungrouping",
    "wire_problems",
    "within",
    "write_atomic",
    "write_training_script",
]
