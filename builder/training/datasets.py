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
from ..interop.weights import TORCH_LOAD_ERRORS
from .known_datasets import (
    _TORCHVISION,
    DATASETS,
    DIGITS,
    NUM_CLASSES,
    SHAPES,
    default_data_dir,
    normalisation,
)

# what parsing a damaged or foreign file raises: torch.load, pickle, torchvision's idx reader
# (which asserts on a bad header)
_UNREADABLE = (AssertionError, *TORCH_LOAD_ERRORS)


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
    skipped: tuple[str, ...] = ()  # image files that could not be read, left out

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
        *normalisation("mnist-mini"),
    )


def _torchvision_dataset(name: str, root: Path, download: bool, progress=None) -> Dataset:
    cls_name, mean, std, augment = _TORCHVISION[name]
    cache = root / f"{name}.convcanvas.pt"
    shape, num_classes = SHAPES[name], NUM_CLASSES[name]
    if cache.exists():
        fix = f"delete {cache}; the next run rebuilds it from the downloaded files (or downloads them again)"
        cached = _checked(_read_cache(cache, fix), f"the dataset cache {cache}", shape, num_classes, fix)
        return _dataset_from(name, cached, mean, std, augment)
    import torchvision

    cls = getattr(torchvision.datasets, cls_name)
    folder, present = _local_files(cls, root)
    damaged = (
        f"delete the folder {folder} and download it again: run `convcanvas train NETWORK.json --dataset "
        f"{name} --data-dir {root}`"
    )
    try:
        root.mkdir(parents=True, exist_ok=True)
        with _download_progress(progress):
            train = cls(str(root), train=True, download=download)
            test = cls(str(root), train=False, download=download)
    except (RuntimeError, OSError) as e:
        if present and not isinstance(e, OSError):  # the files are there but do not parse
            raise DatasetError(_damaged(cls_name, folder, e, damaged)) from None
        where = root / cls_name if cls_name.endswith("MNIST") else root
        reason = "downloading is off" if not download else f"the download failed ({_short(e)})"
        raise DatasetError(
            f"{cls_name} is not in {where} and {reason}. Fix: connect to the internet and try again, "
            f"copy the dataset files there (torchvision layout), or point --data-dir at a folder that has "
            f"them. Offline, the bundled 'mnist-mini' dataset always works."
        ) from None
    except _UNREADABLE as e:  # torchvision's readers assert on a bad header
        raise DatasetError(_damaged(cls_name, folder, e, damaged)) from None
    arrays: dict[str, object] = {}
    for split, ds in (("train", train), ("test", test)):
        images = ds.data if isinstance(ds.data, torch.Tensor) else torch.from_numpy(np.asarray(ds.data))
        images = images.unsqueeze(1) if images.ndim == 3 else images.permute(0, 3, 1, 2)
        arrays[f"{split}_images"] = images.contiguous()
        arrays[f"{split}_labels"] = torch.as_tensor(np.asarray(ds.targets), dtype=torch.long)
    arrays["classes"] = [str(c) for c in getattr(train, "classes", [])]
    arrays = _checked(arrays, f"the {cls_name} files in {folder}", shape, num_classes, damaged)
    _save_tensors(arrays, cache)
    return _dataset_from(name, arrays, mean, std, augment)


def _local_files(cls: type, root: Path) -> tuple[Path, bool]:
    """The folder torchvision keeps `cls`'s files in, and whether they are all there."""
    base = getattr(cls, "base_folder", None)
    if isinstance(base, str):  # CIFAR: pickled batches in one folder
        folder = root / base
        names = [n for n, _ in [*getattr(cls, "train_list", []), *getattr(cls, "test_list", [])]]
    else:  # the MNIST family: idx files in <root>/<class>/raw
        folder = root / cls.__name__ / "raw"
        names = [Path(url).name.removesuffix(".gz") for url, _ in getattr(cls, "resources", [])]
    return folder, bool(names) and all((folder / n).is_file() for n in names)


def _damaged(what: str, folder: Path, e: BaseException, fix: str) -> str:
    reason = "not the header it should have" if isinstance(e, AssertionError) else _short(e)
    return (
        f"the {what} files in {folder} cannot be read ({reason}): they are damaged or not {what} files. "
        f"Fix: {fix}"
    )


def _read_cache(cache: Path, fix: str) -> dict:
    """The tensors ConvCanvas decoded earlier, or a `DatasetError` if the file is damaged."""
    try:
        arrays = torch.load(cache, weights_only=True)
    except OSError as e:
        raise DatasetError(f"cannot read the dataset cache {cache}: {e.strerror or e}. Fix: {fix}") from None
    except _UNREADABLE as e:
        raise DatasetError(f"the dataset cache {cache} is damaged ({_short(e)}). Fix: {fix}") from None
    if not isinstance(arrays, dict):
        raise DatasetError(
            f"the dataset cache {cache} is damaged (it holds a {type(arrays).__name__}). Fix: {fix}"
        )
    return arrays


def _checked(arrays: dict, what: str, shape: tuple[int, int, int], num_classes: int, fix: str) -> dict:
    """`arrays` if they are images and labels a run can train on; else a `DatasetError`
    saying which part is wrong, `what` holds it, and `fix`."""
    problem = _array_problem(arrays, shape, num_classes)
    if problem:
        raise DatasetError(f"{what} cannot be used: {problem}. Fix: {fix}")
    return arrays


def _array_problem(arrays: dict, shape: tuple[int, int, int], num_classes: int) -> str | None:
    for split in ("train", "test"):
        images, labels = arrays.get(f"{split}_images"), arrays.get(f"{split}_labels")
        if not isinstance(images, torch.Tensor) or not isinstance(labels, torch.Tensor):
            return f"its {split} images or labels are missing"
        if images.dtype != torch.uint8 or tuple(images.shape[1:]) != tuple(shape) or images.ndim != 4:
            size = "x".join(map(str, shape))
            return f"its {split} images are {images.dtype} {tuple(images.shape)}, not uint8 {size} images"
        if labels.dtype != torch.long or labels.shape != (len(images),):
            return f"it has {len(images)} {split} images but labels of shape {tuple(labels.shape)}"
        low, high = (int(labels.min()), int(labels.max())) if len(labels) else (0, 0)
        if not 0 <= low <= high < num_classes:
            top = num_classes - 1
            return (
                f"its {split} labels run from {low} to {high}, but its {num_classes} classes are 0 to {top}"
            )
    if not len(arrays["train_images"]):
        return "it has no training images"
    classes, skipped = arrays.get("classes", []), arrays.get("unreadable", [])
    if not isinstance(classes, list) or (classes and len(classes) != num_classes):
        return f"its class names do not match its {num_classes} classes"
    if not isinstance(skipped, list) or not all(isinstance(p, str) for p in skipped):
        return "its list of unreadable files is not a list of names"
    return None


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
    classes = tuple(arrays.get("classes") or range(NUM_CLASSES[name]))
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


def _short(e: BaseException) -> str:
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
    train and test per class. Decoded once; the tensors are cached beside the images.
    Images that cannot be read are left out and listed in the dataset's `skipped`."""
    folder = Path(folder)
    classes = sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    files = {
        c: sorted(p for p in (folder / c).rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
        for c in classes
    }
    files = {c: f for c, f in files.items() if f}
    if len(files) < 2:
        found = f": only {next(iter(files))}" if files else ""
        raise DatasetError(
            f"{folder} needs at least two sub-folders of images (one per class), found {len(files)}{found}. "
            f"Fix: arrange it as {folder}/cat/*.jpg, {folder}/dog/*.jpg, ..."
        )
    classes = sorted(files)
    key = hashlib.sha1(
        repr(
            (shape, test_fraction, seed, [(str(p), p.stat().st_mtime) for c in classes for p in files[c]])
        ).encode()
    ).hexdigest()[:16]
    cache = folder / f".convcanvas-{key}.pt"
    if cache.exists():
        fix = f"delete {cache}; the next run decodes the images again"
        arrays = _checked(_read_cache(cache, fix), f"the image cache {cache}", shape, len(classes), fix)
    else:
        arrays = _decode_folder(folder, files, classes, shape, test_fraction, seed)
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
        skipped=tuple(str(folder / p) for p in arrays.get("unreadable", [])),
    )


def skipped_message(dataset: Dataset, shown: int = 5) -> str:
    """How many images `dataset` left out, which (the first few), and what to do."""
    paths = dataset.skipped
    listed = ", ".join(paths[:shown]) + (f" and {len(paths) - shown} more" if len(paths) > shown else "")
    return (
        f"skipped {len(paths)} image file(s) that cannot be read (damaged, empty or not images): {listed}. "
        "Fix: delete them or save them again as PNG or JPEG; training goes on without them"
    )


def _decode_folder(folder: Path, files, classes, shape, test_fraction, seed) -> dict:
    from torchvision.transforms.v2.functional import resize

    c, h, w = shape
    rng = np.random.default_rng(seed)
    splits: dict[str, tuple[list[torch.Tensor], list[int]]] = {"train": ([], []), "test": ([], [])}
    bad: list[str] = []
    for label, name in enumerate(classes):
        paths = list(files[name])
        rng.shuffle(paths)
        n_test = max(1, round(len(paths) * test_fraction)) if len(paths) > 1 else 0
        for i, path in enumerate(paths):
            image = _decode_image(path, c)
            if image is None:
                bad.append(path.relative_to(folder).as_posix())
                continue
            image = resize(image, [h, w], antialias=True)
            images, labels = splits["test" if i < n_test else "train"]
            images.append(image)
            labels.append(label)
    if not splits["train"][0]:
        raise DatasetError(
            f"no image in {folder} can be read ({len(bad)} tried, e.g. {', '.join(bad[:3])}). "
            "Fix: put PNG or JPEG images in its class sub-folders"
        )
    out: dict[str, torch.Tensor | list[str]] = {}
    for split, (images, labels) in splits.items():
        out[f"{split}_images"] = (
            torch.stack(images) if images else torch.zeros((0, c, h, w), dtype=torch.uint8)
        )
        out[f"{split}_labels"] = torch.tensor(labels, dtype=torch.long)
    out["unreadable"] = bad
    return out


def _decode_image(path: Path, channels: int) -> torch.Tensor | None:
    """`path` as a uint8 (channels, H, W) tensor, or None if it cannot be read. torchvision
    decodes PNG, JPEG, GIF and WebP; Pillow the rest (BMP, TIFF). 16-bit images are scaled
    to 8 bits and an animation gives its first frame."""
    from torchvision.io import ImageReadMode, decode_image
    from torchvision.transforms.v2.functional import to_dtype

    try:
        image = decode_image(str(path), mode=ImageReadMode.GRAY if channels == 1 else ImageReadMode.RGB)
    except (RuntimeError, ValueError, OSError):
        image = _decode_with_pillow(path, channels)
        if image is None:
            return None
    if image.ndim == 4:  # an animated GIF: every frame
        image = image[0]
    if image.dtype != torch.uint8:  # 16-bit PNG
        image = to_dtype(image, torch.uint8, scale=True)
    return image


def _decode_with_pillow(path: Path, channels: int) -> torch.Tensor | None:
    from PIL import Image

    try:
        with Image.open(path) as opened:
            array = np.asarray(opened.convert("L" if channels == 1 else "RGB"))
    except (OSError, ValueError, Image.DecompressionBombError):  # UnidentifiedImageError is an OSError
        return None
    return torch.from_numpy(array.copy()).reshape(array.shape[0], array.shape[1], channels).permute(2, 0, 1)
