"""Training: configuration, records, control, devices, datasets, the engine and checkpoints.

`TrainConfig`, the records and `Control` need no torch; the engine and the datasets load it.
Names are resolved on first use so that importing the configuration stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOME = {
    **dict.fromkeys(
        (
            "TrainConfig",
            "Trainer",
            "TrainingError",
            "Control",
            "OPTIMIZERS",
            "SCHEDULES",
            "RunStarted",
            "DownloadProgress",
            "StepMetrics",
            "LrChanged",
            "EpochMetrics",
            "LayerHealth",
            "Paused",
            "Resumed",
            "Checkpointed",
            "RunFinished",
            "available_devices",
            "select_device",
            "check_compatibility",
            "schedule_factor",
            "physical_cores",
        ),
        "builder.training.engine",
    ),
    **dict.fromkeys(
        (
            "Dataset",
            "DatasetError",
            "DATASETS",
            "NUM_CLASSES",
            "SHAPES",
            "load_dataset",
            "load_image_folder",
            "default_data_dir",
        ),
        "builder.training.datasets",
    ),
}


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'builder.training' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = list(_HOME)
