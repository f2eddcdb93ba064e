"""A dataset on the training device, drawn from as whole batches.

The images stay uint8 on the device (a quarter of float32's memory and no copy per step);
each batch is indexed by a random permutation, normalised in one fused op and, for natural
images, augmented with tensor ops on the device: no DataLoader, no worker processes.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
import torch.nn.functional as F

from .datasets import Dataset


class DeviceData:
    """The train and test images and labels of `dataset` as tensors on `device`."""

    def __init__(self, dataset: Dataset, device: torch.device, memory_format: torch.memory_format):
        self.train_x = dataset.train_images.to(device)
        self.train_y = dataset.train_labels.to(device)
        self.test_x = dataset.test_images.to(device)
        self.test_y = dataset.test_labels.to(device)
        self.augment = dataset.augment
        mean = torch.tensor(dataset.mean, device=device).view(1, -1, 1, 1)
        std = torch.tensor(dataset.std, device=device).view(1, -1, 1, 1)
        self._scale, self._shift = 1 / (255 * std), -mean / std  # x/255 normalised, as one fused op
        self._memory_format = memory_format

    def normalise(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 images as normalised floats in the layout the model computes in."""
        x = torch.addcmul(self._shift, images.float(), self._scale)
        return x.contiguous(memory_format=self._memory_format)

    def train_batch(self, idx: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """The training images (normalised, augmented if the dataset wants it) and labels at `idx`."""
        x, y = self.normalise(self.train_x[idx]), self.train_y[idx]
        if self.augment:
            x = _augment(x, generator)
        return x, y

    def test_batches(self, batch: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """The test set in order, `batch` normalised images and their labels at a time."""
        for i in range(0, len(self.test_x), batch):
            yield self.normalise(self.test_x[i : i + batch]), self.test_y[i : i + batch]


def _augment(x: torch.Tensor, generator: torch.Generator, pad: int = 4) -> torch.Tensor:
    """Random crop with reflect padding and random horizontal flip, per image, as tensor ops."""
    n, _, h, w = x.shape
    device = x.device
    padded = F.pad(x, (pad, pad, pad, pad), mode="reflect")
    # the generator lives on the CPU so that a run draws the same numbers on any device
    dy = torch.randint(0, 2 * pad + 1, (n, 1), generator=generator).to(device)
    dx = torch.randint(0, 2 * pad + 1, (n, 1), generator=generator).to(device)
    rows = (dy + torch.arange(h, device=device)).view(n, 1, h, 1).expand(n, x.shape[1], h, w + 2 * pad)
    x = padded.gather(2, rows)
    cols = (dx + torch.arange(w, device=device)).view(n, 1, 1, w).expand(n, x.shape[1], h, w)
    x = x.gather(3, cols)
    flip = (torch.rand(n, generator=generator) < 0.5).to(device).view(n, 1, 1, 1)
    return torch.where(flip, x.flip(3), x)
