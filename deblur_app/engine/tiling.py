"""Tile layout and seamless blending for photos of any size at all three output scales.

Tiles start at multiples of 4 so that the network's 1/2 and 1/4 outputs of every tile land on
whole pixels of the assembled 1/2 and 1/4 images.  Neighbouring tiles overlap; inside an overlap
each tile's weight is zero for the outermost ``discard`` pixels (where the network saw the tile's
border instead of the photo) and then rises smoothly (raised cosine) to one.  Weights form a
product grid, so the normaliser is separable: two 1-D sums instead of a full-size weight image.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ALIGN = 4
# Tile shapes are multiples of this: the network meets few distinct input shapes, so the
# per-shape caches below it (oneDNN's kernels, OpenVINO's compiled models) stay small and warm
# over a batch of photos of many sizes (bench/batch_memory.py).
SHAPE_STEP = 32


def round_up(n: int, m: int = ALIGN) -> int:
    return max(m, -(-n // m) * m)


def tile_layout(length: int, tile: int, overlap: int) -> tuple[int, list[int]]:
    """(tile size, start offsets) covering ``length`` (a multiple of 4).

    As few tiles as ``tile`` allows, then made as small as they can be and spread evenly, so
    every overlap is at least ``overlap`` but no tile is wasted on re-covering its neighbour
    (a 1000-px side with 512-px tiles takes three tiles of 384, not three of 512).  Sizes are
    multiples of SHAPE_STEP (or the whole length), starts are
    multiples of 4."""
    if tile <= 0 or length <= tile:
        return length, [0]
    n = -(-(length - overlap) // (tile - overlap))
    size = min(tile, round_up(-(-(length + (n - 1) * overlap) // n) + ALIGN, SHAPE_STEP))
    last = length - size
    starts = [min(last, (i * last // (n - 1)) // ALIGN * ALIGN) for i in range(n)]
    starts[-1] = last
    return size, starts


@dataclass(frozen=True)
class TilePlan:
    height: int          # padded size (multiples of 4)
    width: int
    tile_h: int
    tile_w: int
    ys: tuple[int, ...]
    xs: tuple[int, ...]
    overlap: int

    @property
    def count(self) -> int:
        return len(self.ys) * len(self.xs)

    def boxes(self):
        for y in self.ys:
            for x in self.xs:
                yield y, x

    def weights_1d(self, start: int, size: int, total: int, factor: int) -> np.ndarray:
        """Blend weights along one axis for a tile at ``start`` of ``size`` (full-scale pixels),
        at the output scale 1/``factor``."""
        n = size // factor
        w = np.ones(n, np.float32)
        ov = self.overlap // factor
        if ov <= 0 or size >= total:
            return w
        discard = ov // 4
        ramp_len = ov - discard
        ramp = 0.5 - 0.5 * np.cos(np.pi * (np.arange(ramp_len) + 0.5) / ramp_len)
        if start > 0:
            w[:discard] = 0
            w[discard:ov] = np.minimum(w[discard:ov], ramp)
        if start + size < total:
            w[n - discard:] = 0
            w[n - ov:n - discard] = np.minimum(w[n - ov:n - discard], ramp[::-1])
        return w

    def normaliser(self, factor: int) -> tuple[np.ndarray, np.ndarray]:
        """Sum of all tiles' weights along y and along x at scale 1/``factor``."""
        wy = np.zeros(self.height // factor, np.float32)
        wx = np.zeros(self.width // factor, np.float32)
        for y in self.ys:
            wy[y // factor:(y + self.tile_h) // factor] += self.weights_1d(
                y, self.tile_h, self.height, factor)
        for x in self.xs:
            wx[x // factor:(x + self.tile_w) // factor] += self.weights_1d(
                x, self.tile_w, self.width, factor)
        return wy, wx


def plan_tiles(height: int, width: int, tile: int, overlap: int) -> TilePlan:
    """Plan for an image of ``height`` x ``width`` (any size): padded (mirrored) to multiples of
    ``SHAPE_STEP``, tiles of at most ``tile`` (0 = the whole image as one tile) overlapping by
    ``overlap``."""
    ph, pw = round_up(height, SHAPE_STEP), round_up(width, SHAPE_STEP)
    tile = round_up(tile) if tile > 0 else 0
    # at most half a tile: more would multiply the work for no gain in blending
    overlap = min(round_up(overlap) if overlap > 0 else 0, tile // 2 // ALIGN * ALIGN)
    th, ys = tile_layout(ph, tile, overlap)
    tw, xs = tile_layout(pw, tile, overlap)
    return TilePlan(ph, pw, th, tw, tuple(ys), tuple(xs), overlap)


def padded_crop(image: np.ndarray, y: int, x: int, h: int, w: int) -> np.ndarray:
    """``image[y:y+h, x:x+w]``, extended by mirror reflection where it runs past the border."""
    H, W = image.shape[:2]
    crop = image[y:min(y + h, H), x:min(x + w, W)]
    py, px = h - crop.shape[0], w - crop.shape[1]
    if py or px:
        mode = "reflect" if min(crop.shape[:2]) > 1 else "edge"
        crop = np.pad(crop, ((0, py), (0, px), (0, 0)), mode=mode)
    return crop
