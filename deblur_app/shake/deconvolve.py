"""Non-blind deconvolution of a colour photo with a known kernel, tile by tile.

Hyper-Laplacian gradient prior (exponent 2/3, Krishnan & Fergus 2009) solved by half-quadratic
splitting: an FFT solve for the image and a shrinkage of its gradients, with the penalty weight
rising from 1 to 256 in steps of sqrt(2) (measured: 1.5 dB better than the paper's 2 sqrt(2)).  ``weight`` (lambda) balances fidelity to the photo against smooth
gradients: higher keeps more detail and more noise/ringing.  Clipped highlights are left out of
the data term (their value is replaced by the current re-blurred estimate, never darker than
the photo), which keeps bright lights from ringing.  Tiles overlap by a margin of a few kernel
widths, so a tile's result in its core equals the whole-photo result.
"""
from __future__ import annotations

import math

import numpy as np

from ..engine.progress import CancelToken
from . import fourier as F
from .estimate import CLIPPED

BETA_START, BETA_STEP, BETA_MAX = 1.0, math.sqrt(2), 256.0
CLIPPED_BETA_STEP = 2 ** 0.25   # slower where highlights are clipped: their fill-in converges
CLIPPED_SHARE = 1e-4            # ... when more than this share of a tile's values is clipped
TILE = 1024


def weight_for(detail: float) -> float:
    """The fidelity weight lambda for the user's 0..1 ``detail`` (log scale, 300..30000)."""
    return float(300.0 * 100.0 ** float(np.clip(detail, 0.0, 1.0)))


AUTO_DETAIL_OFFSET = 0.25   # below the noise's own level: an estimated kernel is never exact,
                            # and its errors ring (measured on the calibration bank: 0.3-2 dB)


def detail_for_noise(sigma: float) -> float:
    """The noise-aware default: less detail (stronger smoothing) the noisier the photo."""
    lam = 0.01 / max(sigma, 1e-3) ** 2
    detail = math.log(max(lam, 1.0) / 300.0) / math.log(100.0) - AUTO_DETAIL_OFFSET
    return float(np.clip(detail, 0.0, 1.0))


def noise_sigma(grey: np.ndarray) -> float:
    """Standard deviation of the photo's noise: median absolute value of a fine-scale
    high-pass that cancels smooth shading and edges' slopes (Immerkaer 1996)."""
    g = np.asarray(grey, np.float32)
    if min(g.shape) < 3:
        return 0.0
    lap = (g[:-2, 1:-1] + g[2:, 1:-1] + g[1:-1, :-2] + g[1:-1, 2:]) - 4 * g[1:-1, 1:-1]
    diag = (g[:-2, :-2] + g[2:, 2:] + g[:-2, 2:] + g[2:, :-2]) - 4 * g[1:-1, 1:-1]
    m = 2 * lap - diag          # Immerkaer's operator, noise gain sqrt(36)
    return float(np.median(np.abs(m)) * 1.4826 / 6.0)


def _shrink(v: np.ndarray, beta: float) -> np.ndarray:
    """argmin_w |w|^(2/3) + beta/2 (w - v)^2, approximately (Chartrand's p-shrinkage:
    |v| - t^(2-p) |v|^(p-1) with t = 1/beta; cube roots, as p = 2/3, are 5x faster than powers)."""
    a = np.abs(v)
    a += 1e-12
    shrunk = a - (1.0 / beta) ** (4.0 / 3.0) / np.cbrt(a)
    np.maximum(shrunk, 0, out=shrunk)
    return np.copysign(shrunk, v)


def deconvolve_block(block: np.ndarray, kernel: np.ndarray, weight: float,
                     cancel: CancelToken | None = None) -> np.ndarray:
    """Deconvolve a C x H x W float32 block (treated as the whole picture: its borders are
    extended smoothly, not wrapped)."""
    cancel = cancel or CancelToken()
    c, h, w = block.shape
    ks = kernel.shape[0]
    shape = F.padded_shape(h, w, 2 * ks)
    y = F.periodic_pad(block, shape[0] - h, shape[1] - w)
    clipped = y >= CLIPPED
    has_clip = float(clipped.mean()) > CLIPPED_SHARE
    KO = F.psf2otf(kernel, shape, centroid=True)
    KK = (KO.real ** 2 + KO.imag ** 2).astype(np.float32)
    DX, DY = F.gradient_otfs(shape)
    DD = (DX.real ** 2 + DX.imag ** 2 + DY.real ** 2 + DY.imag ** 2).astype(np.float32)
    KtY = np.conj(KO) * F.rfft2(y)
    x = y
    beta = BETA_START
    step = CLIPPED_BETA_STEP if has_clip else BETA_STEP
    while beta <= BETA_MAX:
        cancel.check()
        wx = _shrink(F.grad_x(x), beta)
        wy = _shrink(F.grad_y(x), beta)
        r = beta / weight
        X = (KtY + r * F.rfft2(F.grad_adjoint(wx, wy))) / (KK + r * DD)
        x = F.irfft2(X, shape)
        if has_clip:  # clipped pixels: trust the estimate's re-blur where it is brighter
            reblur = F.irfft2(KO * X, shape)
            yy = np.where(clipped, np.maximum(y, reblur), y)
            KtY = np.conj(KO) * F.rfft2(yy)
        beta *= step
    return x[:, :h, :w]


def deconvolve(image: np.ndarray, kernel: np.ndarray, weight: float,
               cancel: CancelToken | None = None, progress=None, tile: int = TILE,
               out: np.ndarray | None = None, on_tile=None) -> np.ndarray:
    """Deconvolve an H x W x 3 float photo; memory stays at a few tiles however big it is.
    ``on_tile(y0, y1, x0, x1)`` is called as each tile of ``out`` is finished."""
    cancel = cancel or CancelToken()
    h, w = image.shape[:2]
    ks = kernel.shape[0]
    margin = 3 * ks + 8
    out = np.empty((h, w, image.shape[2]), np.float32) if out is None else out
    ys = list(range(0, h, tile))
    xs = list(range(0, w, tile))
    total = len(ys) * len(xs)
    for i, (y0, x0) in enumerate((y, x) for y in ys for x in xs):
        cancel.check()
        y1, x1 = min(h, y0 + tile), min(w, x0 + tile)
        a0, b0 = max(0, y0 - margin), max(0, x0 - margin)
        a1, b1 = min(h, y1 + margin), min(w, x1 + margin)
        block = np.ascontiguousarray(image[a0:a1, b0:b1].transpose(2, 0, 1), np.float32)
        res = deconvolve_block(block, kernel, weight, cancel)
        out[y0:y1, x0:x1] = np.clip(res[:, y0 - a0:y1 - a0, x0 - b0:x1 - b0], 0, 1
                                    ).transpose(1, 2, 0)
        if on_tile:
            on_tile(y0, y1, x0, x1)
        if progress:
            progress(i + 1, total, f"deconvolving: tile {i + 1}/{total}")
    return out
