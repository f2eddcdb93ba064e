"""Images a person shows a trained network: a digit drawn on a pad, or a picture file.

MNIST's digits were made from scanned handwriting in three steps: crop to the ink, scale
it to fit a 20x20 box keeping its aspect ratio (anti-aliased), and place it in a 28x28
image so that its centre of mass is at the centre (LeCun et al. 1998). A network trained
on them has only seen digits like that: a pad simply shrunk to 28x28 gives a digit that
fills the frame or sits in a corner, and a 7 drawn large is read as a 2. `prepare_drawing`
takes a drawing through the same steps, then normalises it as training does.

Pure numpy (no torch, no Qt), except `prepare_image_file`, which decodes a file with
torchvision and loads it only when called.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

import numpy as np

from .known_datasets import normalisation

INK = 0.1  # pixels fainter than this (of 1) are background: a stroke's soft edge does not widen the crop
DIGIT_BOX = 20 / 28  # MNIST fits the ink in 20x20 of its 28x28 images


class Stats(Protocol):
    """Anything with per-channel normalisation statistics, such as a `Dataset`."""

    @property
    def mean(self) -> tuple[float, ...]: ...

    @property
    def std(self) -> tuple[float, ...]: ...


def resize_image(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """A 2-D image resampled to `height` x `width` with a triangle filter whose support
    widens when shrinking, so every source pixel counts (anti-aliased, like Pillow's
    bilinear): thin strokes fade rather than vanish between samples."""
    rows = _resample_weights(image.shape[0], height)
    cols = _resample_weights(image.shape[1], width)
    return (rows @ np.asarray(image, dtype=np.float32) @ cols.T).astype(np.float32)


def _resample_weights(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) weights: output pixel i averages the input pixels near its centre."""
    scale = n_in / n_out
    support = max(1.0, scale)
    centres = (np.arange(n_out) + 0.5) * scale
    distance = np.abs((np.arange(n_in) + 0.5)[None, :] - centres[:, None]) / support
    weights = np.maximum(0.0, 1.0 - distance)
    return (weights / weights.sum(axis=1, keepdims=True)).astype(np.float32)


def center_digit(pixels: np.ndarray, size: int = 28) -> np.ndarray | None:
    """A drawing (2-D, ink bright on dark, 0..1, any size) made MNIST-style: cropped to its
    ink, scaled to fit a box of 20/28 of `size` keeping its aspect ratio, and placed in a
    `size` x `size` image with its centre of mass at the centre. None if nothing is drawn."""
    pixels = np.asarray(pixels, dtype=np.float32)
    if pixels.ndim != 2:
        raise ValueError(f"a drawing is one 2-D image, got an array of shape {pixels.shape}")
    ink = pixels > INK
    if not ink.any():
        return None
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    crop = pixels[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    scale = round(DIGIT_BOX * size) / max(crop.shape)
    h, w = (max(1, round(n * scale)) for n in crop.shape)
    digit = np.clip(resize_image(crop, h, w), 0.0, 1.0)
    # whole-pixel shift, as MNIST did: its centres of mass sit at pixel (14, 14) +- 0.3
    mass = digit.sum()
    cy = float((digit.sum(axis=1) * np.arange(h)).sum() / mass)
    cx = float((digit.sum(axis=0) * np.arange(w)).sum() / mass)
    top, left = round(size / 2 - cy), round(size / 2 - cx)
    out = np.zeros((size, size), dtype=np.float32)
    # a lopsided digit may reach past the edge once centred by mass: keep the part inside
    y0, x0 = max(0, top), max(0, left)
    y1, x1 = min(size, top + h), min(size, left + w)
    out[y0:y1, x0:x1] = digit[y0 - top : y1 - top, x0 - left : x1 - left]
    return out


def normalise_image(image: np.ndarray, stats: str | Stats) -> np.ndarray:
    """A (C, H, W) image (or a batch of them) in 0..1 normalised as training normalises the
    dataset: `stats` is a dataset's name (see `DATASETS`) or a `Dataset` (an image folder
    has statistics of its own)."""
    mean, std = normalisation(stats) if isinstance(stats, str) else (stats.mean, stats.std)
    if image.ndim < 3 or len(mean) != image.shape[-3]:
        raise ValueError(
            f"expected (C, H, W) images with {len(mean)} channel(s), got an array of shape {image.shape}"
        )
    m = np.asarray(mean, dtype=np.float32)[:, None, None]
    s = np.asarray(std, dtype=np.float32)[:, None, None]
    with np.errstate(divide="ignore"):  # a zero std gives infinities, as in training, which then stops
        return ((image - m) / s).astype(np.float32)


def prepare_drawing(pixels: np.ndarray, stats: str | Stats = "mnist", size: int = 28) -> np.ndarray | None:
    """What a network trained on MNIST-like digits should see of a drawing: `center_digit`,
    then the dataset's normalisation; a (1, size, size) array, or None if nothing is drawn."""
    digit = center_digit(pixels, size)
    return None if digit is None else normalise_image(digit[None], stats)


def prepare_image_file(
    path: str | os.PathLike, shape: tuple[int, int, int], stats: str | Stats
) -> np.ndarray:
    """An image file as a network of input `shape` (C, H, W) should see it, normalised.

    Natural images are scaled so the shorter side fits and the middle is cropped to the
    input size. For a 1x28x28 input a picture of a digit goes through `center_digit`
    (inverted first when its background is light: MNIST is white ink on black).
    Raises a `DatasetError` with a one-line message if the file cannot be read.
    """
    from .datasets import DatasetError, _decode_image  # loads torch

    c, h, w = shape
    path = Path(path)
    decoded = _decode_image(path, c) if path.is_file() else None
    if decoded is None:
        raise DatasetError(
            f"cannot read {path.name}: not an image file (PNG, JPEG, BMP, GIF, WebP or TIFF can be opened)"
        )
    image = decoded.numpy().astype(np.float32) / 255.0
    if (c, h, w) == (1, 28, 28):
        gray = image[0]
        border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
        digit = center_digit(1.0 - gray if border.mean() > 0.5 else gray, h)
        if digit is None:
            raise DatasetError(f"{path.name} is blank: there is no digit to read in it")
        return normalise_image(digit[None], stats)
    scale = max(h / image.shape[1], w / image.shape[2])
    fit_h, fit_w = max(h, round(image.shape[1] * scale)), max(w, round(image.shape[2] * scale))
    top, left = (fit_h - h) // 2, (fit_w - w) // 2
    channels = [resize_image(plane, fit_h, fit_w)[top : top + h, left : left + w] for plane in image]
    return normalise_image(np.clip(np.stack(channels), 0.0, 1.0), stats)


__all__ = ["center_digit", "normalise_image", "prepare_drawing", "prepare_image_file", "resize_image"]
