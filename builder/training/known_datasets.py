"""The datasets ConvCanvas knows by name: shapes, classes and normalisation statistics.

No torch here, so the command line's help and the training panel can list them at once.
"""

from __future__ import annotations

from pathlib import Path

DIGITS = tuple(str(i) for i in range(10))
FASHION = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
CIFAR10 = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")

# name -> (torchvision class, mean, std, augment)
_TORCHVISION = {
    "mnist": ("MNIST", (0.1307,), (0.3081,), False),
    "fashion-mnist": ("FashionMNIST", (0.2860,), (0.3530,), False),
    "cifar10": ("CIFAR10", (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616), True),
    "cifar100": ("CIFAR100", (0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762), True),
}
DATASETS = ("mnist-mini", *_TORCHVISION)
SHAPES = {
    "mnist-mini": (1, 28, 28),
    "mnist": (1, 28, 28),
    "fashion-mnist": (1, 28, 28),
    "cifar10": (3, 32, 32),
    "cifar100": (3, 32, 32),
}
NUM_CLASSES = {"mnist-mini": 10, "mnist": 10, "fashion-mnist": 10, "cifar10": 10, "cifar100": 100}


def normalisation(name: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The per-channel (mean, std) that training normalises dataset `name`'s images with
    (pixels in 0..1); the bundled MNIST subset uses MNIST's. A `KeyError` for an image
    folder, whose statistics come from its own images (`Dataset.mean` and `.std`)."""
    _, mean, std, _ = _TORCHVISION["mnist" if name == "mnist-mini" else name]
    return mean, std


def default_data_dir() -> Path:
    """Per-user data folder, e.g. ~/.local/share/convcanvas/datasets."""
    import platformdirs

    return Path(platformdirs.user_data_dir("convcanvas", appauthor=False)) / "datasets"
