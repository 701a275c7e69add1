"""Blind estimation of a camera-shake kernel from a grey photo region.

Coarse to fine over an image pyramid (steps of sqrt(2), the kernel growing from 3 x 3 to its full
size); at every level a few alternations of
  1. the sharp latent image under an L0 gradient prior (Xu et al. 2013, Pan et al. 2014):
     half-quadratic splitting, hard-thresholded gradients, FFT solves;
  2. the kernel by regularised least squares in the gradient domain (FFT), then made
     non-negative, with small values and isolated specks removed, normalised.
Borders are handled by a smooth periodic extension plus a mask, and clipped highlights (whose
true brightness is unknown) are masked out of the kernel fit.
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
LAMBDA_START = 2e-3     # L0 weight at the start of each level, divided by 1.1 every pass
LAMBDA_MIN = 1e-4
ITERATIONS = 5          # latent/kernel alternations per pyramid level
KERNEL_REG = 2e-3       # Tikhonov weight of the kernel fit, relative to the gradient energy
KERNEL_FLOOR = 0.02     # kernel values under this fraction of the peak are dropped while fitting


@dataclass
class Level:
    scale: float
    size: int           # kernel size at this level (odd)


def pyramid(kernel_size: int) -> list[Level]:
    """Coarsest first; the finest level is the photo region itself at ``kernel_size``."""
    levels = []
    s = 1.0
    while True:
        ks = K.odd(kernel_size * s)
        levels.append(Level(s, ks))
        if ks <= 3:
            break
        s /= math.sqrt(2)
    return levels[::-1]


def clipped_mask(grey: np.ndarray, radius: int) -> np.ndarray:
    m = (grey >= CLIPPED).astype(np.uint8)
    if radius > 0 and m.any():
        m = cv2.dilate(m, cv2.getStructuringElement(cv2.MORPH_ELLIPSE,
                                                    (2 * radius + 1, 2 * radius + 1)))
    return m.astype(bool)


def _l0_latent(Y, KK_, KtY, DD, shape, lam, cancel, kappa=2.0, beta_max=1e5):
    """argmin_x ||k*x - y||^2 + lam ||grad x||_0 by half-quadratic splitting."""
    x = F.irfft2(KtY / (KK_ + 1e-2 * DD + 1e-8), shape)
    beta = 2 * lam
    while beta < beta_max:
        cancel.check()
        gx, gy = F.grad_x(x), F.grad_y(x)
        small = gx * gx + gy * gy < lam / beta
        gx[small] = 0
        gy[small] = 0
        x = F.irfft2((KtY + beta * F.rfft2(F.grad_adjoint(gx, gy))) / (KK_ + beta * DD), shape)
        beta *= kappa
    return x


def _fit_kernel(lx, ly, bx, by, size, reg):
    """argmin_k ||k * lx - bx||^2 + ||k * ly - by||^2 + reg ||k||^2 (circular), cropped to
    ``size`` x ``size`` around the origin."""
    shape = lx.shape
    LX, LY = F.rfft2(lx), F.rfft2(ly)
    num = np.conj(LX) * F.rfft2(bx) + np.conj(LY) * F.rfft2(by)
    den = (LX.real ** 2 + LX.imag ** 2) + (LY.real ** 2 + LY.imag ** 2) + reg
    full = F.irfft2(num / den, shape)
    r = size // 2
    return np.roll(full, (r, r), axis=(0, 1))[:size, :size]


def estimate_kernel(grey: np.ndarray, kernel_size: int, cancel: CancelToken | None = None,
                    progress=None, iterations: int | None = None) -> np.ndarray:
    """The blur kernel (``kernel_size`` square, odd, sums to 1, centred) of a grey float image."""
    cancel = cancel or CancelToken()
    iterations = iterations or ITERATIONS
    grey = np.asarray(grey, np.float32)
    levels = pyramid(kernel_size)
    total = len(levels) * iterations
    done = 0
    k = np.zeros((3, 3), np.float32)
    k[1, 0:2] = 0.5
    for li, lev in enumerate(levels):
        h = max(8, int(round(grey.shape[0] * lev.scale)))
        w = max(8, int(round(grey.shape[1] * lev.scale)))
        y = grey if lev.scale == 1.0 else cv2.resize(grey, (w, h), interpolation=cv2.INTER_AREA)
        ks = lev.size
        k = K.centre(K.resize(k, ks))
        r = ks // 2
        shape = F.padded_shape(h, w, ks + 2)
        yp = F.periodic_pad(y, shape[0] - h, shape[1] - w)
        # where the blur model can be trusted: inside the photo, away from its border and
        # from clipped highlights
        trust = np.zeros(shape, bool)
        trust[r:h - r, r:w - r] = True
        trust[:h, :w] &= ~clipped_mask(y, ks)
        bx, by = F.grad_x(yp) * trust, F.grad_y(yp) * trust
        reg = KERNEL_REG * float((bx * bx + by * by).sum()) + 1e-6
        Y = F.rfft2(yp)
        DX, DY = F.gradient_otfs(shape)
        DD = (DX.real ** 2 + DX.imag ** 2 + DY.real ** 2 + DY.imag ** 2).astype(np.float32)
        lam = LAMBDA_START
        for _ in range(iterations):
            cancel.check()
            KO = F.psf2otf(k, shape)
            KK_ = (KO.real ** 2 + KO.imag ** 2).astype(np.float32)
            x = _l0_latent(Y, KK_, np.conj(KO) * Y, DD, shape, lam, cancel)
            lx, ly = F.grad_x(x) * trust, F.grad_y(x) * trust
            k = K.clean(_fit_kernel(lx, ly, bx, by, ks, reg), KERNEL_FLOOR)
            lam = max(lam / 1.1, LAMBDA_MIN)
            done += 1
            if progress:
                progress(done, total, f"estimating the shake: level {li + 1}/{len(levels)}")
        k = K.centre(k)
    return K.centre(K.clean(k, KERNEL_FLOOR, 0.1))

