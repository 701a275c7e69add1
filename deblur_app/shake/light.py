"""sRGB values to linear light and back (IEC 61966-2-1): a camera shake adds up light, so it
is a convolution in linear light, not in the gamma-encoded values a photo file holds."""
from __future__ import annotations

import numpy as np


def to_linear(srgb: np.ndarray) -> np.ndarray:
    s = np.clip(srgb, 0, 1).astype(np.float32)
    return np.where(s <= 0.04045, s / 12.92, ((s + 0.055) / 1.055) ** 2.4).astype(np.float32)


def to_srgb(linear: np.ndarray) -> np.ndarray:
    v = np.clip(linear, 0, 1).astype(np.float32)
    return np.where(v <= 0.0031308, v * 12.92, 1.055 * v ** (1 / 2.4) - 0.055).astype(np.float32)
