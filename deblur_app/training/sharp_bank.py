"""Sharp training material kept on the training device: every photo uploaded once as uint8, and
random crops with flips and quarter turns cut for a whole batch at once by tensor indexing.

All photos lie one after another in one flat uint8 tensor (no padding); a batch of crops is one
gather with per-sample offsets, rows and columns.  Procedural dead-leaves images (see
:func:`.data.dead_leaves`) join the bank with a fixed share of the draws.  Crops whose centre is
nearly flat (sky, bokeh, fog) are replaced by a second draw.
"""
from __future__ import annotations

import numpy as np
import torch

from .data import dead_leaves


def leaves_images(seed: int, count: int, size: int) -> list[np.ndarray]:
    """``count`` dead-leaves images of ``size`` px: a pure function of the seed."""
    return [dead_leaves(np.random.default_rng([seed, i]), size, n=int(600 * (size / 320) ** 2))
            for i in range(count)]


def mean_gradient_batch(x: torch.Tensor) -> torch.Tensor:
    """Mean absolute gradient of the grey image (0-255 scale) for each image of (B, 3, H, W)
    floats in [0, 1]; the batched twin of :func:`deblur_app.imaging.sharpness.mean_gradient`."""
    g = x.mean(dim=1) * 255
    return ((g[:, 1:] - g[:, :-1]).abs().mean(dim=(1, 2))
            + (g[:, :, 1:] - g[:, :, :-1]).abs().mean(dim=(1, 2)))


class SharpBank:
    """Photos (and dead-leaves images) on ``device``; :meth:`crops` draws a batch of crops."""

    def __init__(self, photos: list[np.ndarray], device: torch.device | str = "cpu",
                 leaves: list[np.ndarray] = (), leaves_share: float = 0.2,
                 min_energy: float = 4.0):
        imgs = [np.ascontiguousarray(p) for p in list(photos) + list(leaves)]
        if not imgs:
            raise ValueError("no sharp photos to train on")
        self.device = torch.device(device)
        # one flat buffer, photo after photo (no padding: sizes differ); a pixel's channel c of
        # photo i at (y, x) is at offsets[i] + (y * width_i + x) * 3 + c
        sizes = [p.shape[0] * p.shape[1] * 3 for p in imgs]
        self.images = torch.empty(sum(sizes), dtype=torch.uint8, device=self.device)
        offsets, at = [], 0
        for p, n in zip(imgs, sizes):
            self.images[at:at + n] = torch.from_numpy(p.reshape(-1)).to(self.device)
            offsets.append(at)
            at += n
        self.offsets = torch.tensor(offsets, dtype=torch.long, device=self.device)
        self.sizes = torch.tensor([p.shape[:2] for p in imgs], device=self.device)
        self.n_photos, self.n_leaves = len(photos), len(leaves)
        self.leaves_share = leaves_share if leaves else 0.0
        self.min_energy = min_energy

    @property
    def nbytes(self) -> int:
        return self.images.numel()

    def _weights(self, size: int) -> torch.Tensor:
        """Draw probabilities: photos by area, leaves evenly, nothing smaller than the crop."""
        cache = self.__dict__.setdefault("_weight_cache", {})
        if size not in cache:
            cache[size] = self._compute_weights(size)
        return cache[size]

    def _compute_weights(self, size: int) -> torch.Tensor:
        area = (self.sizes[:, 0] * self.sizes[:, 1]).double()
        fits = (self.sizes >= size).all(dim=1)
        photo = torch.zeros_like(area)
        photo[:self.n_photos] = area[:self.n_photos]
        photo = photo * fits
        leaves = torch.zeros_like(area)
        leaves[self.n_photos:] = 1.0
        leaves = leaves * fits
        if photo.sum() == 0 and leaves.sum() == 0:
            raise ValueError(f"no photo is at least {size} px on each side")
        share = self.leaves_share if photo.sum() > 0 else 1.0
        if leaves.sum() == 0:
            share = 0.0
        w = photo / photo.sum().clamp_min(1e-12) * (1 - share)
        return (w + leaves / leaves.sum().clamp_min(1e-12) * share).float()

    def _cut(self, gen: torch.Generator, n: int, size: int) -> torch.Tensor:
        idx = torch.multinomial(self._weights(size), n, replacement=True, generator=gen)
        room = self.sizes[idx] - size + 1  # (n, 2): valid top-left positions
        corner = (torch.rand((n, 2), generator=gen, device=self.device) * room).long()
        ar = torch.arange(size, device=self.device)
        rows = (corner[:, 0:1] + ar).view(n, 1, size, 1)
        cols = (corner[:, 1:2] + ar).view(n, 1, 1, size)
        width = self.sizes[idx, 1].view(n, 1, 1, 1)
        chan = torch.arange(3, device=self.device).view(1, 3, 1, 1)
        flat = self.offsets[idx].view(n, 1, 1, 1) + (rows * width + cols) * 3 + chan
        return self.images[flat].float().div_(255)  # (n, 3, size, size)

    def crops(self, gen: torch.Generator, n: int, size: int, margin: int = 0) -> torch.Tensor:
        """(n, 3, size, size) float crops in [0, 1], randomly flipped and turned; the centre
        (without ``margin``) of each has detail, or it is the second of two draws."""
        first, second = self._cut(gen, n, size), self._cut(gen, n, size)
        inner = slice(margin, size - margin)
        flat = mean_gradient_batch(first[:, :, inner, inner]) < self.min_energy
        x = torch.where(flat.view(n, 1, 1, 1), second, first)
        return augment(x, gen)


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Each square image of the batch turned by a random multiple of 90 degrees and flipped
    left-right with probability 1/2 (the 8 symmetries of the square)."""
    n = x.shape[0]
    turns = torch.randint(0, 4, (n,), generator=gen, device=x.device)
    flip = torch.rand((n,), generator=gen, device=x.device) < 0.5
    turned = torch.stack([torch.rot90(x, k, dims=(2, 3)) for k in range(4)])
    out = turned[turns, torch.arange(n, device=x.device)]  # no host sync, unlike masks
    return torch.where(flip.view(n, 1, 1, 1), out.flip(3), out)
