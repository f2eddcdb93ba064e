"""The torchvision datasets, on small synthetic files in their real on-disk formats."""

import pickle
import urllib.error

import numpy as np
import pytest
import torch

from builder import DatasetError, load_dataset


def write_idx(path, array: np.ndarray) -> None:
    """The MNIST idx format: magic (dtype 0x08 = uint8, rank), big-endian dims, raw bytes."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


@pytest.mark.parametrize("name,folder", [("mnist", "MNIST"), ("fashion-mnist", "FashionMNIST")])
def test_mnist_formats_decode_once_into_uint8_tensors(tmp_path, name, folder):
    raw = tmp_path / folder / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 50), ("t10k", 20)):
        write_idx(raw / f"{prefix}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28)))
        write_idx(raw / f"{prefix}-labels-idx1-ubyte", np.arange(n) % 10)
    ds = load_dataset(name, tmp_path, download=False)
    assert ds.train_images.shape == (50, 1, 28, 28) and ds.train_images.dtype == torch.uint8
    assert ds.test_labels.tolist() == [i % 10 for i in range(20)] and ds.num_classes == 10
    assert (tmp_path / f"{name}.convcanvas.pt").exists()  # decoded once, cached
    for path in raw.iterdir():
        path.unlink()  # the cache alone is enough now
    again = load_dataset(name, tmp_path, download=False)
    assert torch.equal(again.train_images, ds.train_images)


def test_cifar10_batches_decode_channels_first(tmp_path, monkeypatch):
    import torchvision

    base = tmp_path / "cifar-10-batches-py"
    base.mkdir()
    rng = np.random.default_rng(0)
    images = {}
    for name, n in [*((f"data_batch_{i}", 4) for i in range(1, 6)), ("test_batch", 6)]:
        data = rng.integers(0, 256, (n, 3 * 32 * 32), dtype=np.uint8)
        images[name] = data
        with open(base / name, "wb") as f:
            pickle.dump({"data": data, "labels": list(range(n))}, f)
    with open(base / "batches.meta", "wb") as f:
        pickle.dump(
            {
                "label_names": [
                    "airplane",
                    "automobile",
                    "bird",
                    "cat",
                    "deer",
                    "dog",
                    "frog",
                    "horse",
                    "ship",
                    "truck",
                ]
            },
            f,
        )
    # torchvision checks the real files' md5 sums, which synthetic files cannot match
    monkeypatch.setattr(torchvision.datasets.cifar, "check_integrity", lambda *_args: True)
    ds = load_dataset("cifar10", tmp_path, download=False)
    assert ds.shape == (3, 32, 32) and len(ds.train_images) == 20 and len(ds.test_images) == 6
    assert ds.classes[3] == "cat" and ds.augment
    first = images["data_batch_1"][0].reshape(3, 32, 32)
    assert np.array_equal(ds.train_images[0].numpy(), first)  # channels first, pixels intact


def test_missing_dataset_says_where_it_looked_and_how_to_fix(tmp_path):
    with pytest.raises(DatasetError) as e:
        load_dataset("fashion-mnist", tmp_path, download=False)
    text = str(e.value)
    assert "FashionMNIST is not in" in text and str(tmp_path) in text
    assert "--data-dir" in text and "mnist-mini" in text


def test_failed_download_is_explained(tmp_path, monkeypatch):
    import torchvision.datasets.utils as utils

    def offline(*_args, **_kwargs):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(utils, "urlopen", offline, raising=False)
    monkeypatch.setattr(utils, "download_url", offline)
    monkeypatch.setattr("torchvision.datasets.mnist.download_and_extract_archive", offline)
    with pytest.raises(DatasetError) as e:
        load_dataset("mnist", tmp_path, download=True)
    assert "the download failed" in str(e.value) and "connect to the internet" in str(e.value)


def test_download_progress_is_reported_in_bytes(tmp_path, monkeypatch):
    import io

    import torchvision.datasets.utils as utils

    payload = b"x" * 100_000
    original_bar = utils.tqdm

    class FakeResponse(io.BytesIO):
        length = len(payload)
        url = None  # no redirect

    monkeypatch.setattr(utils.urllib.request, "urlopen", lambda *_a, **_k: FakeResponse(payload))
    reports = []
    with pytest.raises(DatasetError, match="the download failed"):  # the bytes fail the md5 check
        load_dataset(
            "mnist", tmp_path, download=True, progress=lambda done, total: reports.append((done, total))
        )
    assert reports[0] == (0, 100_000) and (100_000, 100_000) in reports
    assert all(0 <= done <= total for done, total in reports)  # each file (and mirror) restarts at 0
    assert utils.tqdm is original_bar  # torchvision's own progress bar is back
