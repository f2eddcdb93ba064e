"""The draw pad reads natural handwriting: a digit drawn at any size, anywhere on the pad, is read
as well as MNIST's own test images, because the pad's drawing goes through MNIST's preprocessing
(crop to the ink, fit in 20x20, centre by centre of mass) before the network sees it.

A LeNet-5 is trained once per test session on the bundled MNIST subset; each test digit is then
painted onto the pad's own QImage (as strokes would land) at a size and place, and read through
the pad's prediction path.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PySide6.QtCore import QPoint, QRectF, Qt
from PySide6.QtGui import QImage, QPainter

from builder import (
    Dataset,
    EpochMetrics,
    TrainConfig,
    Trainer,
    load_dataset,
    load_template,
    normalise_image,
    resize_image,
)
from ui.training import inside_view
from ui.training.inside_view import DRAW_FIRST, InsideView

DIGITS = 200  # test digits read per placement: enough to tell 95% from 85%
# (side of the digit's ink box as a fraction of the pad, where it sits in the free space across, down)
PLACEMENTS = {
    "fills the pad": (0.95, 0.5, 0.5),
    "small in a corner": (0.25, 0.03, 0.03),
    "off-centre": (0.5, 0.85, 0.2),
}


@pytest.fixture(scope="session")
def mnist():
    return load_dataset("mnist-mini")


@pytest.fixture(scope="session")
def trained_lenet(mnist):
    """LeNet-5 trained for two epochs on the bundled MNIST subset (about 94%); once a session."""
    trainer = Trainer(
        load_template("lenet5"),
        TrainConfig(epochs=2, batch_size=64, lr=3e-3, device="cpu", report_interval=10),
        dataset=mnist,
    )
    epochs = [r for r in trainer.run() if isinstance(r, EpochMetrics)]
    assert epochs and epochs[-1].test_accuracy > 0.85
    assert trainer.model is not None
    return trainer.graph, {k: v.detach().cpu().clone() for k, v in trainer.model.state_dict().items()}


@pytest.fixture
def one_thread():
    """One image at a time runs fastest on one thread; on a busy machine, idle threads of the
    pool spinning for work can make each small forward pass tens of times slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def inside(qtbot, trained_lenet, mnist, one_thread):
    graph, state = trained_lenet
    view = InsideView()
    qtbot.addWidget(view)
    view.attach(graph, mnist)
    view.load_weights(state)
    return view


def untouched_accuracy(view: InsideView, mnist: Dataset) -> float:
    """Accuracy on the first `DIGITS` test images as they are (already MNIST-style)."""
    images = mnist.test_images[:DIGITS].float().numpy() / 255
    with torch.no_grad():
        scores = view.model(torch.from_numpy(normalise_image(images, mnist)))
    return float((scores.argmax(1) == mnist.test_labels[:DIGITS]).float().mean())


def paint_digit(pad, digit: np.ndarray, placement: tuple[float, float, float]) -> None:
    """Paint a 28x28 uint8 digit onto the pad's image, its ink box scaled to `placement`'s
    size and put where it says, lightening the pad as white strokes do."""
    side, across, down = placement
    rows, cols = np.flatnonzero((digit > 25).any(1)), np.flatnonzero((digit > 25).any(0))
    source = QRectF(cols[0], rows[0], cols[-1] - cols[0] + 1, rows[-1] - rows[0] + 1)
    size = pad.image.width()
    scale = side * size / max(source.width(), source.height())
    w, h = source.width() * scale, source.height() * scale
    target = QRectF((size - w) * across, (size - h) * down, w, h)
    pixels = np.ascontiguousarray(digit)
    image = QImage(pixels.data, 28, 28, 28, QImage.Format.Format_Grayscale8)
    painter = QPainter(pad.image)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Lighten)
    painter.drawImage(target, image, source)
    painter.end()
    pad.update()


def pad_accuracy(view: InsideView, mnist: Dataset, placement: tuple[float, float, float]) -> float:
    """Accuracy of the pad's prediction path on the test digits painted at `placement`."""
    pad, right = view.pad, 0
    for digit, label in zip(mnist.test_images[:DIGITS, 0].numpy(), mnist.test_labels[:DIGITS], strict=True):
        pad.clear()
        paint_digit(pad, digit, placement)
        pad.finish_stroke()  # what letting go of the mouse does
        assert view.prediction is not None and view.input_name == "your drawing"
        right += view.prediction[0] == int(label)
    return right / DIGITS


def plain_resize(pixels: np.ndarray, stats, size: int = 28) -> np.ndarray:
    """What the pad did before: the whole pad shrunk to 28x28, then normalised."""
    return normalise_image(resize_image(pixels, size, size)[None], stats)


@pytest.mark.slow
def test_digits_drawn_at_any_size_and_place_read_as_well_as_mnist(inside, mnist, monkeypatch):
    baseline = untouched_accuracy(inside, mnist)
    assert baseline > 0.85
    figures = {name: pad_accuracy(inside, mnist, placement) for name, placement in PLACEMENTS.items()}
    print(f"untouched {baseline:.1%}; pad: " + ", ".join(f"{k} {v:.1%}" for k, v in figures.items()))
    for name, accuracy in figures.items():
        assert accuracy >= 0.95 * baseline, f"{name}: {accuracy:.1%} against {baseline:.1%} untouched"

    # without the preprocessing the same drawings are misread: the test can fail
    monkeypatch.setattr(inside_view, "prepare_drawing", plain_resize)
    plain = {
        name: pad_accuracy(inside, mnist, PLACEMENTS[name]) for name in ("fills the pad", "small in a corner")
    }
    print("plain resize: " + ", ".join(f"{k} {v:.1%}" for k, v in plain.items()))
    assert plain["fills the pad"] < 0.9 * baseline
    assert plain["small in a corner"] < 0.5 * baseline


def test_a_stroke_with_the_mouse_is_read_and_shown_layer_by_layer(inside, qtbot):
    pad = inside.pad
    qtbot.mousePress(pad, Qt.MouseButton.LeftButton, pos=QPoint(150, 20))
    for y in range(20, 70, 10):  # a small "1" high on the right
        qtbot.mouseMove(pad, QPoint(150, y))
    qtbot.mouseRelease(pad, Qt.MouseButton.LeftButton, pos=QPoint(150, 70))
    seen = pad.array()
    rows, cols = np.flatnonzero(seen.max(1) > 0.1), np.flatnonzero(seen.max(0) > 0.1)
    assert rows[-1] - rows[0] + 1 == 20  # fitted to MNIST's 20-pixel box, not left small
    assert 12 <= (cols[0] + cols[-1]) / 2 <= 15  # and moved to the middle
    assert inside.prediction is not None and "Prediction:" in inside.probabilities.plotItem.titleLabel.text
    # the path of the drawing through every layer, in network order
    assert inside.path.layers[:3] == ["input", "conv1", "tanh1"] and "conv2" in inside.path.layers
    assert inside.path.image.image is not None and inside.path.image.image.shape[0] > 28 * 4


def test_an_empty_pad_asks_for_a_digit_instead_of_predicting(inside):
    assert inside.prediction is not None  # a test image is shown when a run starts
    inside.pad.clear()
    assert inside.prediction is None and inside.input_image is None
    assert inside.probabilities.plotItem.titleLabel.text == DRAW_FIRST
    assert DRAW_FIRST in inside.status.text()
    assert len(inside.bars.opts["height"]) == 0
    inside.pad.finish_stroke()  # letting go on an empty pad does not predict either
    assert inside.prediction is None
    inside.refresh()  # nor does a weight snapshot arriving during a run
    assert inside.prediction is None


@pytest.fixture
def colour_net(qtbot):
    """A small CIFAR-shaped network and dataset (random images): nothing to draw on."""
    graph = load_template("cifar_cnn")
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (20, 3, 32, 32), dtype=torch.uint8, generator=generator)
    labels = torch.arange(20) % 10
    classes = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
    data = Dataset("cifar10", images, labels, images, labels, classes, (0.49, 0.48, 0.45), (0.25, 0.24, 0.26))
    view = InsideView()
    qtbot.addWidget(view)
    view.attach(graph, data)
    return view


def test_colour_inputs_pick_a_test_image_or_open_a_file(colour_net, tmp_path, monkeypatch, qtbot):
    from PIL import Image
    from PySide6.QtWidgets import QFileDialog

    view = colour_net
    assert view.pad.isHidden() and "pick a test image" in view.pad_label.text()
    assert view.prediction is not None and view.input_name == "test image #0 (airplane)"
    view.test_index.setValue(3)
    assert view.input_name == "test image #3 (cat)" and tuple(view.input_image.shape) == (3, 32, 32)

    photo = tmp_path / "wide.png"
    Image.fromarray(np.full((40, 80, 3), (200, 30, 30), np.uint8)).save(photo)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *_a, **_k: (str(photo), "")))
    qtbot.mouseClick(view.open_button, Qt.MouseButton.LeftButton)
    assert view.input_name == "wide.png" and tuple(view.input_image.shape) == (3, 32, 32)
    red = (200 / 255 - 0.49) / 0.25
    assert torch.allclose(view.input_image[0], torch.full((32, 32), red), atol=1e-3)
    assert "path" not in view.status.text() and view.status.text() == "Input: wide.png"

    broken = tmp_path / "notes.png"
    broken.write_text("not an image")
    view.open_image(str(broken))
    message = view.status.text()
    assert message.startswith("cannot read notes.png") and "\n" not in message
    assert view.input_name == "wide.png"  # the last good input stays
