"""Training: configuration, records, control, devices, datasets, the engine and checkpoints.

    config.py         TrainConfig and the optimizers and schedules it accepts (no torch)
    records.py        the immutable records a run yields, and their JSON form (no torch)
    control.py        Control: pause, resume, stop, learning rate and weights from another thread
    schedules.py      learning-rate schedules, pure arithmetic (copied into exported scripts)
    compatibility.py  whether a network fits a dataset's images and classes (no torch)
    devices.py        the devices to train on, and setting torch up for one
    datasets.py       the datasets, decoded once into uint8 tensors
    batches.py        a dataset on the training device, drawn from as whole batches
    checkpoints.py    the run folder: settings, metrics log, checkpoints, weights; resuming
    engine.py         Trainer: the training loop as a generator of records
    user_images.py    a drawn digit or an image file made ready for a trained network (MNIST-style)

Names are resolved on first use so that importing the configuration stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOME = {
    **dict.fromkeys(
        ("TrainConfig", "OPTIMIZERS", "SCHEDULES", "config_from_saved"), "builder.training.config"
    ),
    **dict.fromkeys(
        (
            "RunFolderError",
            "RunSummary",
            "read_run",
            "run_graph",
            "run_weights",
            "new_run_folder",
            "default_runs_home",
        ),
        "builder.training.runs",
    ),
    **dict.fromkeys(
        (
            "RunStarted",
            "DataWarning",
            "RunWarning",
            "DownloadProgress",
            "StepMetrics",
            "LrChanged",
            "EpochMetrics",
            "LayerHealth",
            "Paused",
            "Resumed",
            "Checkpointed",
            "RunFinished",
        ),
        "builder.training.records",
    ),
    "Control": "builder.training.control",
    "CheckpointError": "builder.training.checkpoints",
    "schedule_factor": "builder.training.schedules",
    "check_compatibility": "builder.training.compatibility",
    **dict.fromkeys(
        ("available_devices", "select_device", "physical_cores", "free_memory"), "builder.training.devices"
    ),
    **dict.fromkeys(("Trainer", "TrainingError"), "builder.training.engine"),
    **dict.fromkeys(
        (
            "Dataset",
            "DatasetError",
            "load_dataset",
            "load_image_folder",
        ),
        "builder.training.datasets",
    ),
    **dict.fromkeys(
        ("DATASETS", "NUM_CLASSES", "SHAPES", "default_data_dir"), "builder.training.known_datasets"
    ),
    **dict.fromkeys(
        ("center_digit", "normalise_image", "prepare_drawing", "prepare_image_file", "resize_image"),
        "builder.training.user_images",
    ),
}


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'builder.training' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = list(_HOME)
