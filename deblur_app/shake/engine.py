"""Shake estimation as a restoration method with the network's contract.

    engine = open_shake(kernel_size="auto", region=None, detail="auto")
    result = engine.run(pixels, scales=("fine",), progress=cb, cancel=token)
    result.kernel      # the estimated blur kernel (None when no clear shake was found)

The kernel is estimated once per photo on a grey ~1 MP region (the most textured one, or the
user's), checked for plausibility, then every colour channel of the photo is deconvolved in
tiles.  The coarse and mid outputs are the photo shrunk 4 and 2 times deconvolved with the kernel
shrunk alike.  When the estimate is not trusted all outputs are the (resized) input and a note
says "no clear shake found".
"""
from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

import cv2
import numpy as np

from ..engine.inference import Restored, run_arguments
from ..engine.progress import CancelToken, Progress, no_progress
from ..engine.scales import FACTORS, SCALES, scale_size
from . import kernel as K
from .deconvolve import (deconvolve, deconvolve_block, detail_for_noise, noise_sigma,
                          weight_for)
from .estimate import estimate_kernel
from .region import REGION_PIXELS, choose_region, grey, textured_fraction

NO_SHAKE = "no clear shake found"
AUTO_START, AUTO_GROWTH, AUTO_MIN_TRIES, MAX_KERNEL = 15, 1.6, 3, 101
MAX_SPARSITY_RATIO = 0.72     # deconvolving must make the gradients this much sparser
MIN_AGREEMENT = 0.75          # kernels of the region's two halves must be this similar to it
MIN_SIDE = 32                 # smaller photos carry too little to estimate a shake from
MIN_TEXTURE = 0.03            # fraction of the region that must show detail
MIN_EXTENT = 2.0              # blurs spreading less than this (px): the photo is sharp
SMALL_EXTENT = 6.0            # blurs under this look like a sharp photo's texture kernels ...
SMALL_AGREEMENT = 0.97        # ... so their halves must agree this closely
MAX_AREA_PER_PX = 20          # a shake is a trace: more kernel pixels per pixel of spread is a
                              # noise-fitted cloud, not a camera path


@dataclass(frozen=True)
class MethodInfo:
    name: str
    title: str


SHAKE = MethodInfo("shake", "Shake estimation")


def parse_region(text: str) -> tuple[int, int, int, int]:
    """``"X,Y,W,H"`` -> a tuple, with a clear message for anything else."""
    parts = text.replace(" ", "").split(",")
    try:
        x, y, w, h = (int(p) for p in parts)
    except ValueError:
        raise ValueError(f"region must be X,Y,W,H in whole pixels, got {text!r}") from None
    if x < 0 or y < 0 or w < MIN_SIDE or h < MIN_SIDE:
        raise ValueError(f"region {text!r}: X and Y must be >= 0 and W, H at least {MIN_SIDE} px")
    return x, y, w, h


def check_kernel_size(size) -> int | None:
    """None for "auto", else an odd size between 3 and MAX_KERNEL."""
    if size is None or str(size).lower() == "auto":
        return None
    try:
        n = int(size)
    except ValueError:
        raise ValueError(f"kernel size must be a whole number or auto, got {size!r}") from None
    if not 3 <= n <= MAX_KERNEL:
        raise ValueError(f"kernel size must be between 3 and {MAX_KERNEL} px, got {n}")
    return n | 1


def check_detail(detail) -> float | None:
    """None for "auto" (noise-aware), else a float in 0..1."""
    if detail is None or str(detail).lower() == "auto":
        return None
    try:
        d = float(detail)
    except ValueError:
        raise ValueError(f"detail must be a number from 0 to 1 or auto, got {detail!r}") from None
    if not 0.0 <= d <= 1.0:
        raise ValueError(f"detail must be between 0 and 1, got {d}")
    return d


@dataclass
class KernelEstimate:
    kernel: np.ndarray | None            # None: refused
    region: tuple[int, int, int, int]
    reason: str                          # why it was refused, or a description
    score: float = np.nan                # sparsity ratio of the best kernel (lower: sharper)
    agreement: float = np.nan            # similarity of the halves' kernels to it


class ShakeDeblurrer:
    """Blind kernel estimation + deconvolution behind the same ``run`` as the network."""

    variant = SHAKE
    method = "shake"
    device = "cpu"
    source = "kernel estimation + deconvolution"

    def __init__(self, kernel_size: int | None = None,
                 region: tuple[int, int, int, int] | None = None, detail: float | None = None):
        self.kernel_size = kernel_size
        self.region = region
        self.detail = detail
        self.last_kernel: np.ndarray | None = None
        self.seconds_per_mp: float | None = None     # measured on the last run (for ETAs)

    def describe(self) -> str:
        """e.g. ``cpu (numpy, kernel auto, detail auto)``, for messages."""
        size = "auto" if self.kernel_size is None else f"{self.kernel_size} px"
        detail = "auto" if self.detail is None else f"{self.detail:g}"
        return f"cpu (numpy, kernel {size}, detail {detail})"

    def estimate_seconds(self, height: int, width: int) -> float | None:
        """Expected time for a photo of this size, from the speed of the last run."""
        if self.seconds_per_mp is None:
            return None
        return self.seconds_per_mp * height * width / 1e6

    # -- estimation ---------------------------------------------------------------------------
    def estimate(self, image: np.ndarray, progress: Progress = no_progress,
                 cancel: CancelToken | None = None) -> KernelEstimate:
        cancel = cancel or CancelToken()
        h, w = image.shape[:2]
        if min(h, w) < MIN_SIDE:
            return KernelEstimate(None, (0, 0, w, h), f"{NO_SHAKE} (photo smaller than "
                                  f"{MIN_SIDE} px)")
        if self.region is None:
            box = choose_region(image, REGION_PIXELS)
        else:
            x, y, rw, rh = self.region
            if x + MIN_SIDE > w or y + MIN_SIDE > h:
                raise ValueError(f"region {x},{y},{rw},{rh} lies outside the {w}x{h} photo")
            rw, rh = min(rw, w - x), min(rh, h - y)
            box = (x, y, rw, rh)
            if rw * rh > 2 * REGION_PIXELS:    # a big rectangle: its most detailed ~1 MP
                sx, sy, sw, sh = choose_region(image[y:y + rh, x:x + rw], REGION_PIXELS)
                box = (x + sx, y + sy, sw, sh)
        x, y, rw, rh = box
        crop = grey(image[y:y + rh, x:x + rw])
        if textured_fraction(crop) < MIN_TEXTURE:
            return KernelEstimate(None, box, f"{NO_SHAKE} (too little detail in the region "
                                  f"{x},{y},{rw},{rh})")
        limit = max(3, min(MAX_KERNEL, min(rw, rh) // 3) | 1)
        if self.kernel_size:
            sizes = [min(self.kernel_size, limit)]
        else:   # growing sizes while a bigger box explains the region better
            sizes = [AUTO_START]
            while sizes[-1] < limit and K.odd(sizes[-1] * AUTO_GROWTH) <= MAX_KERNEL:
                sizes.append(min(limit, K.odd(sizes[-1] * AUTO_GROWTH)))
        weight = weight_for(self._detail(image)[0])
        baseline = _l1_over_l2(deconvolve_block(crop[None], K.delta(1), weight, cancel)[0])
        best, best_score = None, np.inf
        for i, size in enumerate(sizes):
            k = estimate_kernel(crop, size, cancel, progress)
            score = sparsity_ratio(crop, k, weight, cancel, baseline)
            if score < best_score:
                best, best_score = k, score
            elif i >= AUTO_MIN_TRIES - 1:
                break
        if best_score > MAX_SPARSITY_RATIO:
            return KernelEstimate(None, box, f"{NO_SHAKE} (removing the estimated blur does not "
                                  f"make the region clearly sharper: {best_score:.2f})",
                                  best_score)
        k, box, reason = _judge(best, box)
        if k is None:
            return KernelEstimate(None, box, reason, best_score)
        agreement = halves_agreement(crop, k, cancel, progress)
        if np.isnan(agreement):
            return KernelEstimate(None, box, f"{NO_SHAKE} (the region is too small to check a "
                                  f"{k.shape[0]} px kernel)", best_score)
        if agreement < (MIN_AGREEMENT if K.extent(k) >= SMALL_EXTENT else SMALL_AGREEMENT):
            return KernelEstimate(None, box, f"{NO_SHAKE} (the two halves of the region show "
                                  f"different blurs: {agreement:.2f})", best_score, agreement)
        return KernelEstimate(k, box, reason, best_score, agreement)

    def _detail(self, image: np.ndarray) -> tuple[float, str]:
        if self.detail is not None:
            return self.detail, ""
        sigma = noise_sigma(grey(image[:2048, :2048]))
        detail = detail_for_noise(sigma)
        return detail, f"detail {detail:.2f} (auto, noise {100 * sigma:.2f} %)"

    # -- the method ---------------------------------------------------------------------------
    def run(self, image: np.ndarray, scales=SCALES, progress: Progress | None = None,
            cancel: CancelToken | None = None) -> Restored:
        image, scales, progress, cancel = run_arguments(image, scales, progress, cancel)
        t0 = time.perf_counter()
        key = (_fingerprint(image), self.region, self.kernel_size)
        est = _remembered(key)
        if est is None:
            est = self.estimate(image, progress, cancel)
            _remember(key, est)
        else:
            progress(0, 0, "Using the kernel estimated for this photo before")
        self.last_kernel = est.kernel
        res = Restored(device="cpu", kernel=est.kernel, notes=[est.reason])
        if est.kernel is None:
            for s in scales:
                setattr(res, s, _shrink(image, s))
        else:
            detail, note = self._detail(image)
            if note:
                res.notes.append(note)
            weight = weight_for(detail)
            tiles = 0
            for s in scales[::-1]:                      # fine first: the one that matters
                f = FACTORS[s]
                small = _shrink(image, s)
                out = deconvolve(small, K.scaled(est.kernel, f), weight, cancel, progress)
                tiles += -(-small.shape[0] // 1024) * -(-small.shape[1] // 1024)
                setattr(res, s, out)
            res.tiles = tiles
        res.seconds = time.perf_counter() - t0
        self.seconds_per_mp = res.seconds / max(image.shape[0] * image.shape[1] / 1e6, 1e-3)
        return res


# The last few estimates, by photo, region and kernel size: the estimate does not depend on the
# detail setting, so changing only the detail (the window's slider) deconvolves again at once.
_ESTIMATES: "OrderedDict[tuple, KernelEstimate]" = OrderedDict()
_ESTIMATES_LOCK = threading.Lock()
_ESTIMATES_KEPT = 4


def _fingerprint(image: np.ndarray) -> str:
    """Identifies a photo's pixels cheaply (a sparse sample of them, and the size)."""
    sample = np.ascontiguousarray(image[::17, ::13])
    return hashlib.blake2b(sample.tobytes() + repr(image.shape).encode(),
                           digest_size=16).hexdigest()


def _remembered(key: tuple) -> KernelEstimate | None:
    with _ESTIMATES_LOCK:
        est = _ESTIMATES.get(key)
        if est is not None:
            _ESTIMATES.move_to_end(key)
        return est


def _remember(key: tuple, est: KernelEstimate) -> None:
    with _ESTIMATES_LOCK:
        _ESTIMATES[key] = est
        while len(_ESTIMATES) > _ESTIMATES_KEPT:
            _ESTIMATES.popitem(last=False)


def open_shake(kernel_size="auto", region=None, detail="auto") -> ShakeDeblurrer:
    """The shake method with user settings validated (ValueError with a clear message)."""
    if isinstance(region, str):
        region = parse_region(region)
    return ShakeDeblurrer(check_kernel_size(kernel_size), region, check_detail(detail))


def _shrink(image: np.ndarray, scale: str) -> np.ndarray:
    if FACTORS[scale] == 1:
        return image
    size = scale_size(image.shape[1], image.shape[0], scale)
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def halves_agreement(g: np.ndarray, k: np.ndarray, cancel=None, progress=None) -> float:
    """Camera shake blurs the whole photo alike: the kernels estimated on the two halves of the
    region must look like ``k``.  Returns the lower of their similarities to ``k`` (a kernel
    fitted to noise or to moving objects differs from half to half)."""
    h, w = g.shape
    halves = (g[:, :w // 2], g[:, w // 2:]) if w >= h else (g[:h // 2], g[h // 2:])
    size = k.shape[0]
    if min(min(half.shape) for half in halves) < 3 * size // 2:
        return np.nan                      # too small to check: not trusted
    return min(K.similarity(estimate_kernel(half, size, cancel, progress), k) for half in halves)


def sparsity_ratio(g: np.ndarray, k: np.ndarray, weight: float,
                   cancel: CancelToken | None = None, baseline: float | None = None) -> float:
    """How much sharper the region gets when ``k`` is deconvolved: the normalised sparsity
    L1/L2 of its gradient magnitudes (Krishnan et al. 2011: lower is sharper), after
    deconvolving with ``k`` over after the same regularised solve with no blur (so that the
    solve's denoising alone does not count).  A right kernel gives clearly less than 1; no blur
    about 1; a wrong kernel or a sharp photo more (ringing and ghost edges are dense)."""
    if baseline is None:
        baseline = _l1_over_l2(deconvolve_block(g[None], K.delta(1), weight, cancel)[0])
    return _l1_over_l2(deconvolve_block(g[None], k, weight, cancel)[0]) / max(baseline, 1e-12)


def _l1_over_l2(g: np.ndarray) -> float:
    gx, gy = np.diff(g, axis=1)[:-1], np.diff(g, axis=0)[:, :-1]
    m = np.sqrt(gx * gx + gy * gy, dtype=np.float64)
    l2 = float(np.sqrt((m * m).sum()))
    return float(m.sum()) / l2 / np.sqrt(m.size) if l2 > 0 else np.inf


def _judge(k: np.ndarray, box) -> tuple[np.ndarray | None, tuple, str]:
    x, y, w, h = box
    spread = K.extent(k)
    area = int((k > 0).sum())
    if spread < MIN_EXTENT:
        return None, box, f"{NO_SHAKE} (the photo looks sharp: blur under {MIN_EXTENT:g} px)"
    if area > MAX_AREA_PER_PX * spread:
        return None, box, f"{NO_SHAKE} (the blur could not be identified reliably)"
    return k, box, (f"shake kernel {k.shape[0]} px (blur about {spread:.0f} px), estimated on "
                    f"region {x},{y},{w},{h}")
