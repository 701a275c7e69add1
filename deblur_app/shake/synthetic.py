"""Synthetic shaken photos with a known kernel, for the tests, the benchmark and the validation.

The scene is drawn with OpenCV (discs, boxes, lines of random colours on a shaded background:
sharp edges at every angle, like a photo's); the blur is a hand-held camera trajectory from
:mod:`deblur_app.training.kernels`, applied with reflected borders, plus Gaussian noise.
"""
from __future__ import annotations

import cv2
import numpy as np

from ..training.kernels import shake_kernel
from .light import to_linear, to_srgb


def scene(rng: np.random.Generator, h: int, w: int, shapes: int | None = None) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = rng.uniform(0.2, 0.6, 3).astype(np.float32)
    slope = rng.uniform(-0.2, 0.2, 2).astype(np.float32)
    img = (base + (slope[0] * yy / h + slope[1] * xx / w)[..., None]).astype(np.float32)
    img = np.ascontiguousarray(img)
    n = shapes or max(20, int(60 * h * w / 384 ** 2))
    for _ in range(n):
        c = tuple(float(v) for v in rng.uniform(0, 1, 3))
        x, y = int(rng.integers(w)), int(rng.integers(h))
        kind = rng.integers(3)
        if kind == 0:
            cv2.circle(img, (x, y), int(rng.integers(3, max(4, min(h, w) // 8))), c, -1,
                       cv2.LINE_AA)
        elif kind == 1:
            cv2.rectangle(img, (x, y), (x + int(rng.integers(5, max(6, w // 5))),
                                        y + int(rng.integers(5, max(6, h // 5)))), c, -1)
        else:
            cv2.line(img, (x, y), (int(rng.integers(w)), int(rng.integers(h))), c,
                     int(rng.integers(1, 4)), cv2.LINE_AA)
    return np.clip(img, 0, 1)


def blur(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Convolution (not correlation) of each channel with ``kernel``, reflected borders."""
    flipped = np.ascontiguousarray(kernel[::-1, ::-1])
    return np.stack([cv2.filter2D(image[..., c], -1, flipped, borderType=cv2.BORDER_REFLECT)
                     for c in range(image.shape[2])], axis=-1)


def shaken(seed: int, h: int = 384, w: int = 384, length: float = 15, size: int = 25,
           noise: float = 0.005):
    """(sharp, blurred, kernel) for one random scene and camera path (blurred in linear
    light, as a camera records it)."""
    rng = np.random.default_rng(seed)
    sharp = scene(rng, h, w)
    k = shake_kernel(rng, length, size)
    b = to_srgb(blur(to_linear(sharp), k)) + rng.normal(0, noise, sharp.shape).astype(np.float32)
    return sharp, np.clip(b, 0, 1).astype(np.float32), k


def camera_blur(sharp: np.ndarray, kernel: np.ndarray, rng: np.random.Generator, *,
                linear: bool = True, noise: float = 0.005, jpeg: int | None = None,
                lights: float = 1.0) -> np.ndarray:
    """A photo as a camera would record ``sharp`` shaken by ``kernel``: blurred in linear light
    (or in sRGB values), bright lights ``lights`` times brighter than the sensor holds (they
    clip after the blur, as real street lights do), shot and read noise of about ``noise`` (a
    fraction of white), 8-bit values and optionally JPEG at quality ``jpeg``."""
    x = to_linear(sharp) if linear else np.asarray(sharp, np.float32)
    if lights > 1.0:
        luma = x.mean(axis=2, keepdims=True)
        x = np.where(luma > 0.85, x * lights, x).astype(np.float32)
    b = blur(x, kernel)
    if noise > 0:   # shot noise grows with brightness, read noise does not
        sd = noise * np.sqrt(0.3 + 0.7 * np.clip(b, 0, 1) / 0.5)
        b = b + rng.normal(0, 1, b.shape).astype(np.float32) * sd.astype(np.float32)
    b = to_srgb(b) if linear else np.clip(b, 0, 1)
    b8 = np.round(b * 255).astype(np.uint8)
    if jpeg:
        ok, enc = cv2.imencode(".jpg", b8[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(jpeg)])
        b8 = cv2.imdecode(enc, cv2.IMREAD_COLOR)[..., ::-1]
    return (b8.astype(np.float32) / 255.0)
