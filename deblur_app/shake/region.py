"""Where to estimate the shake: the most textured region of a photo, and whether there is
enough detail anywhere to estimate it at all."""
from __future__ import annotations

import math

import cv2
import numpy as np

from .estimate import CLIPPED

REGION_PIXELS = 1024 * 1024      # estimation region, about 1 megapixel
TEXTURE_CONTRAST = 0.03          # local contrast (std) that counts as detail


def grey(image: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(image @ np.array([0.299, 0.587, 0.114], np.float32),
                                np.float32)


def texture_map(g: np.ndarray, window: int) -> np.ndarray:
    """1 where the local contrast over ``window`` pixels shows detail (edges, texture),
    0 in flat areas (sky, walls) and around clipped highlights."""
    window = max(3, int(window) | 1)
    mean = cv2.blur(g, (window, window), borderType=cv2.BORDER_REFLECT)
    var = cv2.blur((g - mean) ** 2, (window, window), borderType=cv2.BORDER_REFLECT)
    textured = np.sqrt(np.maximum(var, 0)) > TEXTURE_CONTRAST
    clipped = cv2.dilate((g >= CLIPPED).astype(np.uint8), np.ones((window, window), np.uint8))
    return (textured & (clipped == 0)).astype(np.float32)


def textured_fraction(g: np.ndarray, window: int = 15) -> float:
    return float(texture_map(g, window).mean()) if g.size else 0.0


def choose_region(image: np.ndarray, pixels: int = REGION_PIXELS) -> tuple[int, int, int, int]:
    """(x, y, w, h) of the ~``pixels`` window of an RGB photo with the most detail (searched
    on a small copy: no full-size grey image is made)."""
    h, w = image.shape[:2]
    if h * w <= pixels:
        return 0, 0, w, h
    side = int(math.sqrt(pixels))
    rw, rh = min(w, side), min(h, side)
    if rw < side:
        rh = min(h, pixels // rw)
    if rh < side:
        rw = min(w, pixels // rh)
    f = max(1, max(h, w) // 512)             # search on a small copy
    small = grey(cv2.resize(image, (max(1, w // f), max(1, h // f)), interpolation=cv2.INTER_AREA))
    score = texture_map(small, 7)
    bw, bh = max(1, rw // f), max(1, rh // f)
    sums = cv2.boxFilter(score, -1, (bw, bh), normalize=False, anchor=(0, 0),
                         borderType=cv2.BORDER_CONSTANT)
    sums = sums[:max(1, small.shape[0] - bh + 1), :max(1, small.shape[1] - bw + 1)]
    iy, ix = np.unravel_index(int(np.argmax(sums)), sums.shape)
    x, y = min(int(ix) * f, w - rw), min(int(iy) * f, h - rh)
    return x, y, rw, rh
