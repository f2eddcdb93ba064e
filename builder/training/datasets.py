"""Datasets as whole uint8 tensors, decoded once and cached.

Training draws batches straight from these tensors on the training device (see
`builder.training`), so there are no per-sample transforms and no loader processes on
the hot path. torchvision does the downloading and parsing of the standard datasets.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import torch

from ..atomic import write_atomic
from ..errors import ConvCanvasError
from .known_datasets import (
    _TORCHVISION,
    DATASETS,
    DIGITS,
    default_data_dir,
)


class DatasetError(ConvCanvasError):
    """A dataset is missing, unreadable or does not fit the network."""


@dataclass(frozen=True)
class Dataset:
    """Images as uint8 (N, C, H, W) tensors and int64 labels, with normalisation stats."""

    name: str
    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    classes: tuple[str, ...]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    augment: bool = False  # random crop and flip (natural images, not digits)

    @property
    def shape(self) -> tuple[int, int, int]:
        _, c, h, w = self.train_images.shape
        return (c, h, w)

    @property
    def num_classes(self) -> int:
        return len(self.classes)


def load_dataset(
    name: str,
    data_dir: str | os.PathLike | None = None,
    download: bool = True,
    input_shape: tuple[int, int, int] | None = None,
    progress: Callable[[int, int | None], None] | None = None,
) -> Dataset:
    """Load a dataset by name (see `DATASETS`) or from an image folder path.

    `input_shape` is used to resize image folders; standard datasets keep their shape.
    `progress(bytes_done, bytes_total)` is called while files are downloaded.
    """
    if name == "mnist-mini":
        return _mnist_mini()
    if name in _TORCHVISION:
        root = Path(data_dir) if data_dir else default_data_dir()
        return _torchvision_dataset(name, root, download, progress)
    path = Path(name)
    if path.is_dir():
        return load_image_folder(path, input_shape or (3, 32, 32))
    raise DatasetError(
        f"unknown dataset {name!r}: use one of {', '.join(DATASETS)}, or a folder of images with one "
        "sub-folder per class"
    )


def _mnist_mini() -> Dataset:
    path = resources.files("resources") / "data" / "mnist_mini.npz"
    with resources.as_file(path) as file, np.load(file) as data:
        arrays = {k: torch.from_numpy(data[k].copy()) for k in data.files}
    return Dataset(
        "mnist-mini",
        arrays["train_images"].unsqueeze(1),
        arrays["train_labels"].long(),
        arrays["test_images"].unsqueeze(1),
        arrays["test_labels"].long(),
        DIGITS,
        (0.1307,),
        (0.3081,),
    )


def _torchvision_dataset(name: str, root: Path, download: bool, progress=None) -> Dataset:
    cls_name, mean, std, augment = _TORCHVISION[name]
    cache = root / f"{name}.convcanvas.pt"
    if cache.exists():
        try:
            arrays = torch.load(cache, weights_only=True)
            return _dataset_from(name, arrays, mean, std, augment)
        except Exception:  # a stale or damaged cache is rebuilt from the originals
            cache.unlink(missing_ok=True)
    import torchvision

    cls = getattr(torchvision.datasets, cls_name)
    try:
        root.mkdir(parents=True, exist_ok=True)
        with _download_progress(progress):
            train = cls(str(root), train=True, download=download)
            test = cls(str(root), train=False, download=download)
    except (RuntimeError, OSError) as e:
        where = root / cls_name if cls_name.endswith("MNIST") else root
        reason = "downloading is off" if not download else f"the download failed ({_short(e)})"
        raise DatasetError(
            f"{cls_name} is not in {where} and {reason}. Fix: connect to the internet and try again, "
            f"copy the dataset files there (torchvision layout), or point --data-dir at a folder that has "
            f"them. Offline, the bundled 'mnist-mini' dataset always works."
        ) from None
    arrays = {}
    for split, ds in (("train", train), ("test", test)):
        images = ds.data if isinstance(ds.data, torch.Tensor) else torch.from_numpy(np.asarray(ds.data))
        images = images.unsqueeze(1) if images.ndim == 3 else images.permute(0, 3, 1, 2)
        arrays[f"{split}_images"] = images.contiguous()
        arrays[f"{split}_labels"] = torch.as_tensor(np.asarray(ds.targets), dtype=torch.long)
    arrays["classes"] = list(getattr(train, "classes", []))
    _save_tensors(arrays, cache)
    return _dataset_from(name, arrays, mean, std, augment)


@contextlib.contextmanager
def _download_progress(report: Callable[[int, int | None], None] | None):
    """Route torchvision's download progress to `report(done, total)`.

    torchvision reports progress only to a tqdm bar on stderr; while this block runs its
    download helper gets a stand-in with the same small interface.
    """
    if report is None:
        yield
        return
    import torchvision.datasets.utils as tv_utils

    emit = report  # bound here: the class below sees the narrowed, non-None callable

    class _Progress:
        def __init__(self, total=None, **_options):
            self.total, self.done = total, 0

        def __enter__(self):
            emit(0, self.total)
            return self

        def __exit__(self, *_exc):
            return False

        def update(self, n: int) -> None:
            self.done += n
            emit(self.done, self.total)

    original = tv_utils.tqdm
    tv_utils.tqdm = _Progress
    try:
        yield
    finally:
        tv_utils.tqdm = original


def _dataset_from(name, arrays, mean, std, augment) -> Dataset:
    classes = tuple(arrays.get("classes") or range(int(arrays["train_labels"].max()) + 1))
    return Dataset(
        name,
        arrays["train_images"],
        arrays["train_labels"],
        arrays["test_images"],
        arrays["test_labels"],
        tuple(str(c) for c in classes),
        mean,
        std,
        augment,
    )


def _short(e: Exception) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return text[:160]


def _save_tensors(obj, path: Path) -> None:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    write_atomic(path, buffer.getvalue())


IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}


def load_image_folder(
    folder: Path, shape: tuple[int, int, int], test_fraction: float = 0.2, seed: int = 0
) -> Dataset:
    """A folder with one sub-folder of images per class, resized to `shape`, split into
    train and test per class. Decoded once; the tensors are cached beside the images."""
    folder = Path(folder)
    classes = sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    files = {
        c: sorted(p for p in (folder / c).rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES) for c in classes
    }
    files = {c: f for c, f in files.items() if f}
    if len(files) < 2:
        raise DatasetError(
            f"{folder} needs at least two sub-folders of images (one per class), found "
            f"{len(files)}. Fix: arrange it as {folder}/cat/*.jpg, {folder}/dog/*.jpg, ..."
        )
    classes = sorted(files)
    key = hashlib.sha1(
        repr(
            (shape, test_fraction, seed, [(str(p), p.stat().st_mtime) for c in classes for p in files[c]])
        ).encode()
    ).hexdigest()[:16]
    cache = folder / f".convcanvas-{key}.pt"
    if cache.exists():
        arrays = torch.load(cache, weights_only=True)
    else:
        arrays = _decode_folder(files, classes, shape, test_fraction, seed)
        with contextlib.suppress(OSError):  # a read-only folder: decode again next time
            _save_tensors(arrays, cache)
    mean = tuple(float(v) for v in (arrays["train_images"].float() / 255).mean(dim=(0, 2, 3)))
    std = tuple(max(float(v), 1e-3) for v in (arrays["train_images"].float() / 255).std(dim=(0, 2, 3)))
    return Dataset(
        folder.name,
        arrays["train_images"],
        arrays["train_labels"],
        arrays["test_images"],
        arrays["test_labels"],
        tuple(classes),
        mean,
        std,
        augment=shape[0] == 3,
    )


def _decode_folder(files, classes, shape, test_fraction, seed) -> dict:
    from torchvision.io import ImageReadMode, decode_image
    from torchvision.transforms.v2.functional import resize

    c, h, w = shape
    mode = ImageReadMode.GRAY if c == 1 else ImageReadMode.RGB
    rng = np.random.default_rng(seed)
    splits: dict[str, tuple[list[torch.Tensor], list[int]]] = {"train": ([], []), "test": ([], [])}
    bad = []
    for label, name in enumerate(classes):
        paths = list(files[name])
        rng.shuffle(paths)
        n_test = max(1, round(len(paths) * test_fraction)) if len(paths) > 1 else 0
        for i, path in enumerate(paths):
            try:
                image = decode_image(str(path), mode=mode)
            except (RuntimeError, ValueError):
                bad.append(path.name)
                continue
            image = resize(image, [h, w], antialias=True)
            images, labels = splits["test" if i < n_test else "train"]
            images.append(image)
            labels.append(label)
    if not splits["train"][0]:
        raise DatasetError(f"no readable images in {files and next(iter(files.values()))[0].parent.parent}")
    out: dict[str, torch.Tensor | list[str]] = {}
    for split, (images, labels) in splits.items():
        out[f"{split}_images"] = (
            torch.stack(images) if images else torch.zeros((0, c, h, w), dtype=torch.uint8)
        )
        out[f"{split}_labels"] = torch.tensor(labels, dtype=torch.long)
    out["unreadable"] = bad
    return out
