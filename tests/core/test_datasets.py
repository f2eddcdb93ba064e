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


# -- damaged files: each is a DatasetError naming the file, the reason and the fix ----------


def _mnist_raw(tmp_path, n_train=50, n_test=20):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        write_idx(raw / f"{prefix}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28)))
        write_idx(raw / f"{prefix}-labels-idx1-ubyte", np.arange(n) % 10)
    return raw


@pytest.mark.parametrize("download", [False, True])
def test_mnist_files_of_random_bytes_are_named_with_the_fix(tmp_path, download):
    raw = _mnist_raw(tmp_path)
    rng = np.random.default_rng(1)
    for path in raw.iterdir():
        path.write_bytes(rng.integers(0, 256, 5000, dtype=np.uint8).tobytes())
    with pytest.raises(DatasetError) as e:
        load_dataset("mnist", tmp_path, download=download)  # files present: nothing is downloaded
    text = str(e.value)
    assert f"the MNIST files in {raw} cannot be read" in text and "damaged" in text
    assert f"Fix: delete the folder {raw}" in text
    assert f"convcanvas train NETWORK.json --dataset mnist --data-dir {tmp_path}" in text
    assert not (tmp_path / "mnist.convcanvas.pt").exists()


def test_mnist_labels_out_of_range_are_refused(tmp_path):
    raw = _mnist_raw(tmp_path)
    write_idx(raw / "train-labels-idx1-ubyte", np.full(50, 12))
    with pytest.raises(DatasetError, match=r"train labels run from 12 to 12, but its 10 classes are 0 to 9"):
        load_dataset("mnist", tmp_path, download=False)


def test_a_damaged_cache_is_named_with_the_fix(tmp_path):
    cache = tmp_path / "fashion-mnist.convcanvas.pt"
    cache.write_bytes(b"PK\x03\x04 half a zip file")
    with pytest.raises(DatasetError) as e:
        load_dataset("fashion-mnist", tmp_path, download=False)
    assert f"the dataset cache {cache} is damaged" in str(e.value)
    assert f"Fix: delete {cache}; the next run rebuilds it" in str(e.value)
    assert cache.exists()  # the user decides; nothing is deleted behind their back


def _cache(path, **changes):
    arrays = {
        "train_images": torch.zeros((8, 1, 28, 28), dtype=torch.uint8),
        "train_labels": torch.arange(8) % 10,
        "test_images": torch.zeros((4, 1, 28, 28), dtype=torch.uint8),
        "test_labels": torch.arange(4),
        "classes": [str(i) for i in range(10)],
        **changes,
    }
    torch.save(arrays, path)


@pytest.mark.parametrize(
    "changes,words",
    [
        (
            {"train_labels": torch.arange(8) + 5},
            "train labels run from 5 to 12, but its 10 classes are 0 to 9",
        ),
        ({"test_labels": torch.tensor([0, 1, -1, 2])}, "test labels run from -1 to 2"),
        ({"train_labels": torch.arange(5)}, "8 train images but labels of shape (5,)"),
        ({"train_images": torch.zeros((8, 3, 28, 28), dtype=torch.uint8)}, "not uint8 1x28x28 images"),
        ({"test_images": "pixels"}, "test images or labels are missing"),
        ({"classes": ["a", "b"]}, "class names do not match its 10 classes"),
    ],
)
def test_a_cache_that_does_not_fit_the_dataset_is_refused(tmp_path, changes, words):
    cache = tmp_path / "mnist.convcanvas.pt"
    _cache(cache, **changes)
    with pytest.raises(DatasetError) as e:
        load_dataset("mnist", tmp_path, download=False)
    assert f"the dataset cache {cache} cannot be used: " in str(e.value) and words in str(e.value)
    assert f"Fix: delete {cache}" in str(e.value)


# -- image folders -------------------------------------------------------------------------


def _folder(tmp_path, classes=("cat", "dog"), n=4):
    from torchvision.io import write_png

    for k, name in enumerate(classes):
        (tmp_path / name).mkdir()
        for i in range(n):
            write_png(
                torch.full((3, 10, 12), 20 + 100 * k + i, dtype=torch.uint8),
                str(tmp_path / name / f"{i}.png"),
            )
    return tmp_path


def test_a_16_bit_png_is_scaled_to_8_bits(tmp_path):
    from PIL import Image

    from builder import load_image_folder

    _folder(tmp_path)
    deep = np.full((10, 12), 200 * 257, dtype=np.uint16)  # 200 in 8 bits
    Image.fromarray(deep).save(tmp_path / "dog" / "deep.png")
    ds = load_image_folder(tmp_path, (1, 8, 8))
    assert ds.train_images.dtype == torch.uint8 and not ds.skipped
    assert len(ds.train_images) + len(ds.test_images) == 9
    assert 200 in torch.cat([ds.train_images, ds.test_images]).flatten().tolist()


def test_bmp_and_tiff_images_are_read(tmp_path):
    from PIL import Image

    from builder import load_image_folder

    _folder(tmp_path)
    Image.new("RGB", (12, 10), (9, 9, 9)).save(tmp_path / "cat" / "x.bmp")
    Image.new("RGB", (12, 10), (9, 9, 9)).save(tmp_path / "cat" / "y.tif")
    ds = load_image_folder(tmp_path, (3, 8, 8))
    assert not ds.skipped and len(ds.train_images) + len(ds.test_images) == 10


def test_unreadable_images_are_listed_not_silently_dropped(tmp_path):
    from builder import load_image_folder

    _folder(tmp_path)
    (tmp_path / "dog" / "broken.png").write_bytes(b"not an image")
    (tmp_path / "cat" / "empty.jpg").write_bytes(b"")
    ds = load_image_folder(tmp_path, (3, 8, 8))
    assert sorted(ds.skipped) == [str(tmp_path / "cat" / "empty.jpg"), str(tmp_path / "dog" / "broken.png")]
    again = load_image_folder(tmp_path, (3, 8, 8))  # from the cache: still told
    assert again.skipped == ds.skipped


@pytest.mark.parametrize("classes,found", [(("only",), "found 1: only only"), ((), "found 0")])
def test_an_image_folder_with_fewer_than_two_classes_says_how_to_arrange_it(tmp_path, classes, found):
    from builder import load_image_folder

    _folder(tmp_path, classes)
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.txt").write_text("no images here")
    with pytest.raises(DatasetError) as e:
        load_image_folder(tmp_path, (3, 8, 8))
    assert f"{tmp_path} needs at least two sub-folders of images" in str(e.value) and found in str(e.value)
    assert "Fix: arrange it as" in str(e.value)


def test_an_image_folder_with_no_readable_image_is_refused(tmp_path):
    from builder import load_image_folder

    for name in ("cat", "dog"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "a.png").write_bytes(b"\x89PNG broken")
    with pytest.raises(DatasetError) as e:
        load_image_folder(tmp_path, (3, 8, 8))
    assert f"no image in {tmp_path} can be read (2 tried" in str(e.value) and "Fix: put PNG or JPEG" in str(
        e.value
    )


def test_a_damaged_image_cache_is_named_with_the_fix(tmp_path):
    from builder import load_image_folder

    _folder(tmp_path)
    load_image_folder(tmp_path, (3, 8, 8))
    (cache,) = tmp_path.glob(".convcanvas-*.pt")
    cache.write_bytes(cache.read_bytes()[:100])
    with pytest.raises(DatasetError) as e:
        load_image_folder(tmp_path, (3, 8, 8))
    assert f"the dataset cache {cache} is damaged" in str(e.value) and f"Fix: delete {cache}" in str(e.value)
