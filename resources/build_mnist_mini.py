"""Build resources/data/mnist_mini.npz, the MNIST subset bundled for offline use.

    python resources/build_mnist_mini.py [MNIST_RAW_DIR]

MNIST_RAW_DIR defaults to ../shared/datasets/MNIST/raw (the original idx .gz files).
Takes a class-balanced random subset: 500 training and 100 test images per digit.
MNIST: Yann LeCun, Corinna Cortes, Christopher J.C. Burges; CC BY-SA 3.0.
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

import numpy as np

TRAIN_PER_CLASS, TEST_PER_CLASS = 500, 100


def read_idx(path: Path) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def balanced(labels: np.ndarray, per_class: int, rng: np.random.Generator) -> np.ndarray:
    picks = [rng.choice(np.flatnonzero(labels == c), per_class, replace=False) for c in range(10)]
    return rng.permutation(np.concatenate(picks))


def main() -> None:
    raw = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parents[2] / "shared/datasets/MNIST/raw"
    rng = np.random.default_rng(0)
    out = {}
    for split, prefix, per_class in (("train", "train", TRAIN_PER_CLASS), ("test", "t10k", TEST_PER_CLASS)):
        images = read_idx(raw / f"{prefix}-images-idx3-ubyte.gz")
        labels = read_idx(raw / f"{prefix}-labels-idx1-ubyte.gz")
        keep = balanced(labels, per_class, rng)
        out[f"{split}_images"], out[f"{split}_labels"] = images[keep], labels[keep]
    target = Path(__file__).parent / "data" / "mnist_mini.npz"
    np.savez_compressed(target, **out)
    print(f"wrote {target} ({target.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
