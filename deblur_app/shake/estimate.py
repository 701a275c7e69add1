"""Blind estimation of a camera-shake kernel from a grey photo region.

Coarse to fine over an image pyramid: the kernel starts at 5 x 5 on the photo shrunk until the
blur is that small, and grows by sqrt(2) per level up to the requested size on the region itself.
At every level a few alternations of
  1. the sharp latent image under an L0 gradient prior (Xu et al. 2013, Pan et al. 2014):
     half-quadratic splitting, hard-thresholded gradients, FFT solves; the prior's weight falls
     from pass to pass so that first only the main edges, then finer ones guide the kernel;
  2. the kernel by Tikhonov-regularised least squares in the gradient domain (FFT, absolute
     regulariser), then made non-negative, small values and specks removed, centred.
Borders are handled by a smooth periodic extension plus a mask, and clipped highlights (whose
true brightness is unknown) are masked out of the kernel fit.

The parameters were chosen on the calibration bank of ``scripts/shake_calibration.py`` (shaken
real photos of 256 px to 1 MP with 5-75 px kernels, noise and JPEG).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from ..engine.progress import CancelToken
from . import fourier as F
from . import kernel as K

CLIPPED = 0.98          # grey values at or above this are treated as clipped highlights
START_SIZE = 5          # kernel size at the coarsest level
LAMBDA_START = 2e-3     # L0 weight of the first pass, divided by LAMBDA_DECAY every pass
LAMBDA_DECAY = 1.1
LAMBDA_MIN = 1e-4
ITERATIONS = 5          # latent/kernel alternations per pyramid level
KERNEL_REG = 20.0       # Tikhonov weight of the kernel fit (absolute, unnormalised FFT units),
                        # for a region of REG_PIXELS; scaled with the region's pixel count
REG_PIXELS = 256 * 256
KERNEL_FLOOR = 0.03     # kernel values under this fraction of the peak are dropped
MIN_PIECE = 0.05        # ... and connected pieces holding less than this share of the mass
SUPPORT_LEVEL = 0.1     # the support the box follows: values over this share of the peak
SUPPORT_MARGIN = 3      # px (at each level) around the kernel's support into which it may grow
BETA_MAX = 1e5          # half-quadratic splitting: penalty from 2 lambda up to this ...
KAPPA = 2.0             # ... multiplied by this each step


@dataclass
class Level:
    scale: float
    size: int           # kernel size at this level (odd)


def pyramid(kernel_size: int, start: int = START_SIZE) -> list[Level]:
    """Coarsest first; the finest level is the photo region itself at ``kernel_size``."""
    levels = []
    s = 1.0
    while True:
        ks = K.odd(kernel_size * s)
        levels.append(Level(s, ks))
        if ks <= start:
            break
        s /= math.sqrt(2)
    return levels[::-1]


def clipped_mask(grey: np.ndarray, radius: int) -> np.ndarray:
    m = (grey >= CLIPPED).astype(np.uint8)
    if radius > 0 and m.any():
        m = cv2.dilate(m, cv2.getStructuringElement(cv2.MORPH_ELLIPSE,
                                                    (2 * radius + 1, 2 * radius + 1)))
    return m.astype(bool)


def _gradients(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Circular forward differences (as :func:`fourier.grad_x`, without ``np.roll``'s copies)."""
    gx = np.empty_like(x)
    np.subtract(x[:, 1:], x[:, :-1], out=gx[:, :-1])
    np.subtract(x[:, :1], x[:, -1:], out=gx[:, -1:])
    gy = np.empty_like(x)
    np.subtract(x[1:], x[:-1], out=gy[:-1])
    np.subtract(x[:1], x[-1:], out=gy[-1:])
    return gx, gy


def _l0_latent(KtY, KK_, DD, shape, lam, cancel, x0=None):
    """argmin_x ||k*x - y||^2 + lam ||grad x||_0 by half-quadratic splitting."""
    x = F.irfft2(KtY / (KK_ + 1e-2 * DD + 1e-8), shape) if x0 is None else x0
    beta = 2 * lam
    while beta < BETA_MAX:
        cancel.check()
        gx, gy = _gradients(x)
        small = gx * gx + gy * gy < lam / beta
        gx[small] = 0
        gy[small] = 0
        x = F.irfft2((KtY + beta * F.rfft2(F.grad_adjoint(gx, gy))) / (KK_ + beta * DD), shape)
        beta *= KAPPA
    return x


def _fit_kernel(LX, LY, BX, BY, shape, size, reg):
    """argmin_k ||k * lx - bx||^2 + ||k * ly - by||^2 + reg ||k||^2 (circular), cropped to
    ``size`` x ``size`` around the origin.  Arguments are the spectra of the gradients."""
    num = np.conj(LX) * BX + np.conj(LY) * BY
    den = (LX.real ** 2 + LX.imag ** 2) + (LY.real ** 2 + LY.imag ** 2) + reg
    full = F.irfft2(num / den, shape)
    r = size // 2
    return np.roll(full, (r, r), axis=(0, 1))[:size, :size]


def _grown(k: np.ndarray, ratio: float, cap: int) -> np.ndarray:
    """The kernel of the previous level drawn ``ratio`` times larger, on a box that holds its
    support plus a margin to grow into (at most ``cap``): the box follows the blur found so
    far, not the largest blur asked for, since an oversized box fills with noise."""
    if ratio != 1.0:
        k = K.resize(k, K.odd(k.shape[0] * ratio))
    ks = min(cap, K.odd(2 * (K.support_radius(k, SUPPORT_LEVEL) + SUPPORT_MARGIN) + 1))
    return K.centre(K.canvas(k, ks))


def estimate_kernel(grey: np.ndarray, kernel_size: int, cancel: CancelToken | None = None,
                    progress=None, iterations: int | None = None,
                    start: np.ndarray | None = None) -> np.ndarray:
    """The blur kernel (``kernel_size`` square, odd, sums to 1, centred) of a grey float image.

    ``start``: an initial kernel (e.g. from a smaller copy of the photo) used at the first
    level instead of a 5 px horizontal bar; the pyramid then starts at that kernel's size."""
    cancel = cancel or CancelToken()
    iterations = iterations or ITERATIONS
    grey = np.asarray(grey, np.float32)
    if start is None:
        levels = pyramid(kernel_size)
        k = np.zeros((START_SIZE, START_SIZE), np.float32)
        k[START_SIZE // 2, START_SIZE // 2 - 1:START_SIZE // 2 + 2] = 1 / 3
    else:
        levels = pyramid(kernel_size, start.shape[0])
        k = start
    total = len(levels) * iterations
    done = 0
    for li, lev in enumerate(levels):
        h = max(8, int(round(grey.shape[0] * lev.scale)))
        w = max(8, int(round(grey.shape[1] * lev.scale)))
        y = grey if lev.scale == 1.0 else cv2.resize(grey, (w, h), interpolation=cv2.INTER_AREA)
        ratio = lev.scale / levels[li - 1].scale if li else 1.0
        k = _grown(k, ratio, lev.size)
        ks = k.shape[0]
        r = ks // 2
        shape = F.padded_shape(h, w, ks + 2)
        yp = F.periodic_pad(y, shape[0] - h, shape[1] - w)
        # where the blur model can be trusted: inside the photo, away from its border and
        # from clipped highlights
        trust = np.zeros(shape, bool)
        trust[r:h - r, r:w - r] = True
        trust[:h, :w] &= ~clipped_mask(y, ks)
        bx, by = _gradients(yp)
        BX, BY = F.rfft2(bx * trust), F.rfft2(by * trust)
        reg = KERNEL_REG * (h * w) / REG_PIXELS
        Y = F.rfft2(yp)
        DX, DY = F.gradient_otfs(shape)
        DD = (DX.real ** 2 + DX.imag ** 2 + DY.real ** 2 + DY.imag ** 2).astype(np.float32)
        lam = LAMBDA_START
        for _ in range(iterations):
            cancel.check()
            KO = F.psf2otf(k, shape)
            KK_ = (KO.real ** 2 + KO.imag ** 2).astype(np.float32)
            x = _l0_latent(np.conj(KO) * Y, KK_, DD, shape, lam, cancel)
            lx, ly = _gradients(x)
            k = _fit_kernel(F.rfft2(lx * trust), F.rfft2(ly * trust), BX, BY, shape, ks, reg)
            k = K.centre(K.clean(k, KERNEL_FLOOR, MIN_PIECE))
            lam = max(lam / LAMBDA_DECAY, LAMBDA_MIN)
            done += 1
            if progress:
                progress(done, total, f"estimating the shake: level {li + 1}/{len(levels)}")
    return K.centre(K.clean(k, KERNEL_FLOOR, MIN_PIECE))
