"""How much fine detail an image holds, two measures with two names:

* :func:`mean_gradient`: mean absolute difference of neighbouring pixels, robust to a few
  strong edges; finds textured patches (training and evaluation crops, not sky or fog);
* :func:`gradient_energy`: mean *squared* difference, dominated by strong edges; judges in the
  self-test that a result is sharper than its input (after a light blur, so that removing
  noise does not count against it).

Both work on the channel-mean grey image, in the image's own units (0-255 for uint8, 0-1 for
floats), along y plus along x.
"""
from __future__ import annotations

import cv2
import numpy as np


def _grey_differences(image: np.ndarray, blur_sigma: float):
    arr = np.asarray(image, dtype=np.float32)
    grey = arr.mean(axis=2) if arr.ndim == 3 else arr
    if blur_sigma > 0:
        grey = cv2.GaussianBlur(np.ascontiguousarray(grey), (0, 0), blur_sigma)
    if grey.shape[0] < 2 or grey.shape[1] < 2:
        return None
    return np.diff(grey, axis=0), np.diff(grey, axis=1)


def mean_gradient(image: np.ndarray, blur_sigma: float = 0.0) -> float:
    """Mean absolute neighbour difference (low: sky, bokeh, fog)."""
    d = _grey_differences(image, blur_sigma)
    return 0.0 if d is None else float(np.abs(d[0]).mean() + np.abs(d[1]).mean())


def gradient_energy(image: np.ndarray, blur_sigma: float = 0.0) -> float:
    """Mean squared neighbour difference (higher when edges are sharper)."""
    d = _grey_differences(image, blur_sigma)
    return 0.0 if d is None else float(np.mean(d[0] * d[0]) + np.mean(d[1] * d[1]))
