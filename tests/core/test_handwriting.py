"""MNIST-style preprocessing of drawings and image files (`builder.training.user_images`)."""

from __future__ import annotations

import numpy as np
import pytest

from builder import (
    DatasetError,
    center_digit,
    load_dataset,
    normalise_image,
    prepare_drawing,
    prepare_image_file,
    resize_image,
)


@pytest.fixture(scope="module")
def mnist():
    return load_dataset("mnist-mini")


def ink_box(image: np.ndarray) -> tuple[int, int]:
    rows, cols = np.flatnonzero(image.max(1) > 0.1), np.flatnonzero(image.max(0) > 0.1)
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    ys, xs = np.mgrid[: image.shape[0], : image.shape[1]]
    return float((image * ys).sum() / image.sum()), float((image * xs).sum() / image.sum())


def canvas_with(digit: np.ndarray, scale: int, top: int, left: int, size: int = 224) -> np.ndarray:
    """`digit` enlarged `scale` times (pixel blocks) and put at (top, left) on an empty canvas."""
    big = np.kron(digit, np.ones((scale, scale), np.float32))
    out = np.zeros((size, size), np.float32)
    out[top : top + big.shape[0], left : left + big.shape[1]] = big
    return out


def test_nothing_drawn_gives_nothing_to_predict():
    assert center_digit(np.zeros((224, 224))) is None
    assert prepare_drawing(np.full((224, 224), 0.05)) is None  # faint smudges are not ink
    with pytest.raises(ValueError, match="2-D"):
        center_digit(np.zeros((1, 28, 28)))


@pytest.mark.parametrize(("height", "width"), [(150, 30), (40, 200), (8, 8), (224, 224)])
def test_ink_fits_a_20_pixel_box_keeping_its_shape_centred_by_mass(height, width):
    pad = np.zeros((224, 224), np.float32)
    pad[10 : 10 + height, 5 : 5 + width] = 1.0  # a block in the top-left corner
    digit = center_digit(pad)
    assert digit is not None and digit.shape == (28, 28)
    h, w = ink_box(digit)
    assert max(h, w) == 20  # the longer side fills MNIST's box
    assert abs(h / w - height / width) < 0.25 * height / width + 0.1  # the aspect ratio is kept
    cy, cx = centre_of_mass(digit)
    assert abs(cy - 14) <= 0.501 and abs(cx - 14) <= 0.501  # MNIST's centre, to a whole-pixel shift


def test_a_drawing_reads_the_same_wherever_and_however_large_it_is(mnist):
    digit = mnist.test_images[7, 0].numpy() / 255
    placed = [canvas_with(digit, 2, 150, 150), canvas_with(digit, 2, 0, 0), canvas_with(digit, 7, 12, 20)]
    first, corner, large = (center_digit(p) for p in placed)
    assert np.array_equal(first, corner)  # where it is drawn does not matter at all
    assert np.abs(first - large).mean() < 0.02  # nor, much, how large


def test_mnist_digits_come_back_much_as_they_were(mnist):
    """MNIST digits are already cropped, fitted and centred: doing it again changes little."""
    images = mnist.test_images[:200, 0].numpy() / 255
    again = np.stack([center_digit(image) for image in images])
    assert np.abs(again - images).mean() < 0.03


def test_shrinking_is_anti_aliased():
    """A stroke one pixel wide shrunk 8 times keeps its ink (a sampled shrink would miss it)."""
    pad = np.zeros((224, 224), np.float32)
    pad[:, 101] = 1.0
    small = resize_image(pad, 28, 28)
    assert small.sum() == pytest.approx(pad.sum() / 64, rel=1e-4)  # the ink is all there
    assert small.max() < 0.5  # spread over the pixel it falls in, as a scanner would
    assert resize_image(np.ones((3, 5)), 7, 2) == pytest.approx(np.ones((7, 2)))


def test_normalisation_is_the_one_training_uses(mnist):
    pad = np.zeros((100, 100), np.float32)
    pad[20:80, 45:55] = 1.0
    digit = center_digit(pad)
    expected = (digit - mnist.mean[0]) / mnist.std[0]
    assert np.allclose(prepare_drawing(pad, "mnist-mini")[0], expected, atol=1e-6)
    assert np.allclose(prepare_drawing(pad, mnist)[0], expected, atol=1e-6)  # a Dataset's own statistics
    with pytest.raises(ValueError, match="1 channel"):
        normalise_image(np.zeros((3, 28, 28)), "mnist")


def test_an_image_file_is_fitted_to_a_colour_input(tmp_path, mnist):
    from PIL import Image

    picture = np.zeros((60, 120, 3), np.uint8)
    picture[:, :, 1] = 255  # green
    picture[:, 50:70, 0] = 255  # a yellow band in the middle, which the centre crop keeps
    path = tmp_path / "wide.png"
    Image.fromarray(picture).save(path)
    image = prepare_image_file(path, (3, 32, 32), "cifar10")
    assert image.shape == (3, 32, 32)
    red = image[0] * 0.2470 + 0.4914  # back to 0..1 with CIFAR-10's statistics
    assert red[:, 16].min() > 0.9 and red[:, 0].max() < 0.1  # the middle, scaled to 32 high


def test_a_picture_of_a_dark_digit_on_white_is_read_like_a_drawing(tmp_path, mnist):
    from PIL import Image

    digit = mnist.test_images[3, 0].numpy()
    photo = 255 - np.kron(digit, np.ones((5, 5), np.uint8))  # black ink on white paper, 140x140
    Image.fromarray(photo).save(tmp_path / "digit.png")
    image = prepare_image_file(tmp_path / "digit.png", (1, 28, 28), mnist)
    expected = normalise_image(center_digit(digit / 255)[None], mnist)
    assert image.shape == (1, 28, 28) and np.abs(image - expected).mean() * mnist.std[0] < 0.03


@pytest.mark.parametrize("content", [b"", b"not an image at all", b"\x89PNG\r\n\x1a\n broken"])
def test_an_unreadable_file_is_one_line_saying_so(tmp_path, content):
    path = tmp_path / "holiday.jpg"
    path.write_bytes(content)
    with pytest.raises(DatasetError) as caught:
        prepare_image_file(path, (3, 32, 32), "cifar10")
    assert str(caught.value).startswith("cannot read holiday.jpg") and "\n" not in str(caught.value)
    with pytest.raises(DatasetError, match=r"cannot read missing\.png"):
        prepare_image_file(tmp_path / "missing.png", (3, 32, 32), "cifar10")
