"""Blur kernels as estimated: clean-up, centring, resizing, comparison and a picture of one."""
from __future__ import annotations

import cv2
import numpy as np


def odd(n: float, minimum: int = 3) -> int:
    n = max(minimum, int(round(n)))
    return n if n % 2 else n + 1


def normalise(k: np.ndarray) -> np.ndarray:
    k = np.clip(k, 0, None).astype(np.float32)
    s = float(k.sum())
    if s <= 0:
        return delta(k.shape[0])
    return k / s


def delta(size: int) -> np.ndarray:
    k = np.zeros((size, size), np.float32)
    k[size // 2, size // 2] = 1.0
    return k


def clean(k: np.ndarray, rel_threshold: float = 0.05, min_component: float = 0.05) -> np.ndarray:
    """Non-negative, small values removed, isolated specks removed, normalised.

    ``rel_threshold``: values under this fraction of the peak become zero; then connected
    pieces (8-connected) holding less than ``min_component`` of the total mass are dropped."""
    k = np.clip(k, 0, None).astype(np.float32)
    peak = float(k.max())
    if peak <= 0:
        return delta(k.shape[0])
    k[k < rel_threshold * peak] = 0
    n, labels = cv2.connectedComponents((k > 0).astype(np.uint8), connectivity=8)
    if n > 2:
        total = float(k.sum())
        mass = np.bincount(labels.ravel(), weights=k.ravel(), minlength=n)
        keep = mass >= min_component * total
        keep[0] = False
        k = np.where(keep[labels], k, 0).astype(np.float32)
    return normalise(k)


def shift_zero_fill(k: np.ndarray, dy: int, dx: int) -> np.ndarray:
    out = np.zeros_like(k)
    h, w = k.shape
    ys, yd = (slice(0, h - dy), slice(dy, h)) if dy >= 0 else (slice(-dy, h), slice(0, h + dy))
    xs, xd = (slice(0, w - dx), slice(dx, w)) if dx >= 0 else (slice(-dx, w), slice(0, w + dx))
    out[yd, xd] = k[ys, xs]
    return out


def centre(k: np.ndarray) -> np.ndarray:
    """Move the centre of mass to the middle pixel (whole pixels; blind deblurring cannot know
    the true offset, and a centred kernel does not shift the photo)."""
    s = float(k.sum())
    if s <= 0:
        return k
    yy, xx = np.indices(k.shape)
    cy, cx = float((yy * k).sum() / s), float((xx * k).sum() / s)
    dy, dx = int(round(k.shape[0] // 2 - cy)), int(round(k.shape[1] // 2 - cx))
    return shift_zero_fill(k, dy, dx) if (dy or dx) else k


def resize(k: np.ndarray, size: int) -> np.ndarray:
    """The same blur drawn on a ``size`` x ``size`` grid (pixel units scale with the grid)."""
    if k.shape[0] == size:
        return k.astype(np.float32)
    interp = cv2.INTER_AREA if size < k.shape[0] else cv2.INTER_LINEAR
    return normalise(cv2.resize(k.astype(np.float32), (size, size), interpolation=interp))


def canvas(k: np.ndarray, size: int) -> np.ndarray:
    """``k`` cropped or padded (centred) to ``size`` x ``size``, renormalised."""
    n = k.shape[0]
    out = np.zeros((size, size), np.float32)
    if size >= n:
        o = (size - n) // 2
        out[o:o + n, o:o + n] = k
    else:
        o = (n - size) // 2
        out[:] = k[o:o + size, o:o + size]
    return normalise(out)


def support_radius(k: np.ndarray, rel: float = 0.0) -> int:
    """Largest distance (in x or y, px) from the middle pixel of a value over ``rel`` times
    the peak."""
    ys, xs = np.nonzero(k > rel * float(k.max()))
    if ys.size == 0:
        return 0
    c = k.shape[0] // 2
    return int(max(np.abs(ys - c).max(), np.abs(xs - c).max()))


def scaled(k: np.ndarray, factor: int) -> np.ndarray:
    """The blur of a photo shrunk ``factor`` times."""
    if factor == 1:
        return k
    return centre(resize(k, odd(k.shape[0] / factor)))


def extent(k: np.ndarray) -> float:
    """Spread of the blur in pixels: twice the RMS distance of the mass from its centroid."""
    s = float(k.sum())
    yy, xx = np.indices(k.shape)
    cy, cx = (yy * k).sum() / s, (xx * k).sum() / s
    return 2.0 * float(np.sqrt((((yy - cy) ** 2 + (xx - cx) ** 2) * k).sum() / s))


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Best normalised correlation between two kernels over all relative shifts (blind
    deblurring finds a kernel up to a shift), 1 = identical shape."""
    size = max(a.shape[0], b.shape[0])
    pa = np.zeros((size, size), np.float32)
    pb = np.zeros((size, size), np.float32)
    oa, ob = (size - a.shape[0]) // 2, (size - b.shape[0]) // 2
    pa[oa:oa + a.shape[0], oa:oa + a.shape[1]] = a
    pb[ob:ob + b.shape[0], ob:ob + b.shape[1]] = b
    big = np.zeros((3 * size, 3 * size), np.float32)
    big[size:2 * size, size:2 * size] = pa
    corr = cv2.matchTemplate(big, pb, cv2.TM_CCORR)
    na, nb = float(np.linalg.norm(pa)), float(np.linalg.norm(pb))
    return float(corr.max() / (na * nb)) if na > 0 and nb > 0 else 0.0


def picture(k: np.ndarray, min_side: int = 128) -> np.ndarray:
    """The kernel as a grey RGB picture (brightest = 1), enlarged with square pixels so it can
    be seen: the "blur trace"."""
    img = k / max(float(k.max()), 1e-12)
    zoom = max(1, -(-min_side // k.shape[0]))
    img = np.kron(img, np.ones((zoom, zoom), np.float32))
    return np.repeat(img[:, :, None], 3, axis=2).astype(np.float32)
