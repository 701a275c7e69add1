"""FFT building blocks shared by kernel estimation and deconvolution.

Images are float32; transforms are real (``rfft2``) over the last two axes, so one call handles a
grey image (H x W) or a stack of channels (C x H x W).  Photos are not periodic, so before any FFT
they are extended by :func:`periodic_pad`: the extra rows/columns ramp smoothly from the last
row/column back to the first, which removes the jump a plain FFT would see at the borders (the
source of border ringing) without inventing new edges.
"""
from __future__ import annotations

import numpy as np
import scipy.fft as sfft

WORKERS = -1  # all cores scipy sees


def fast_shape(h: int, w: int) -> tuple[int, int]:
    return sfft.next_fast_len(h, real=True), sfft.next_fast_len(w, real=True)


def rfft2(a: np.ndarray) -> np.ndarray:
    return sfft.rfft2(a, axes=(-2, -1), workers=WORKERS)


def irfft2(a: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    return sfft.irfft2(a, s=shape, axes=(-2, -1), workers=WORKERS).astype(np.float32, copy=False)


def psf2otf(kernel: np.ndarray, shape: tuple[int, int], centroid: bool = False) -> np.ndarray:
    """Transfer function of ``kernel`` for circular convolution on ``shape``, its middle pixel
    at the origin; with ``centroid``, its centre of mass at the origin instead (to the
    sub-pixel: a phase ramp), so that deconvolving does not shift the photo by a fraction of
    a pixel."""
    kh, kw = kernel.shape
    big = np.zeros(shape, np.float32)
    big[:kh, :kw] = kernel
    big = np.roll(big, (-(kh // 2), -(kw // 2)), axis=(0, 1))
    otf = rfft2(big).astype(np.complex64)
    total = float(kernel.sum())
    if centroid and total > 0:
        yy, xx = np.indices(kernel.shape)
        dy = float((yy * kernel).sum()) / total - kh // 2
        dx = float((xx * kernel).sum()) / total - kw // 2
        fy = np.fft.fftfreq(shape[0])[:, None]
        fx = np.fft.rfftfreq(shape[1])[None, :]
        otf *= np.exp(2j * np.pi * (fy * dy + fx * dx)).astype(np.complex64)
    return otf


def gradient_otfs(shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Transfer functions of the forward differences x[i+1] - x[i] along x and y."""
    dx = np.zeros(shape, np.float32)
    dx[0, 0], dx[0, -1] = -1.0, 1.0          # (x * dx)[j] = x[j+1] - x[j] (circular)
    dy = np.zeros(shape, np.float32)
    dy[0, 0], dy[-1, 0] = -1.0, 1.0
    return rfft2(dx).astype(np.complex64), rfft2(dy).astype(np.complex64)


def grad_x(a: np.ndarray) -> np.ndarray:
    return np.roll(a, -1, axis=-1) - a


def grad_y(a: np.ndarray) -> np.ndarray:
    return np.roll(a, -1, axis=-2) - a


def grad_adjoint(gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """D_x^T gx + D_y^T gy (the adjoint of the forward differences, circular)."""
    return (np.roll(gx, 1, axis=-1) - gx) + (np.roll(gy, 1, axis=-2) - gy)


def periodic_pad(a: np.ndarray, pad_h: int, pad_w: int) -> np.ndarray:
    """``a`` (..., H, W) with ``pad_h`` rows and ``pad_w`` columns appended that ramp back to the
    first row/column, so that the result is continuous when wrapped around.  Crop with
    ``[..., :H, :W]``."""
    a = np.asarray(a, np.float32)
    if pad_w > 0:
        t = ((np.arange(1, pad_w + 1, dtype=np.float32)) / (pad_w + 1))
        ext = a[..., -1:] * (1 - t) + a[..., :1] * t
        a = np.concatenate([a, ext], axis=-1)
    if pad_h > 0:
        t = ((np.arange(1, pad_h + 1, dtype=np.float32)) / (pad_h + 1))[:, None]
        ext = a[..., -1:, :] * (1 - t) + a[..., :1, :] * t
        a = np.concatenate([a, ext], axis=-2)
    return a


def padded_shape(h: int, w: int, margin: int) -> tuple[int, int]:
    """A fast FFT shape with at least ``margin`` extra rows and columns."""
    return fast_shape(h + margin, w + margin)
