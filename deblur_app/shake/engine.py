"""Shake estimation as a restoration method with the network's contract.

    engine = open_shake(kernel_size="auto", region=None, detail="auto")
    result = engine.run(pixels, scales=("fine",), progress=cb, cancel=token)
    result.kernel      # the estimated blur kernel (None when no clear shake was found)

The kernel is estimated once per photo on a grey ~1 MP region (the most textured one, or the
user's), in linear light; the decision (:mod:`.decision`) judges it and gives a confidence;
then every colour channel of the photo is deconvolved in linear light, in tiles, and blended
with the photo by a strength that follows the confidence.  The coarse and mid outputs are the
photo shrunk 4 and 2 times deconvolved with the kernel shrunk alike.  When the estimate is not
trusted all outputs are the (resized) input and a note says "no clear shake found".  One
progress bar covers every step of a run.
"""
from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import cv2
import numpy as np

from ..engine.inference import Restored, run_arguments
from ..engine.progress import CancelToken, Progress, no_progress
from ..engine.scales import FACTORS, SCALES, scale_size
from . import kernel as K
from .deconvolve import deconvolve, detail_for_noise, noise_sigma, weight_for
from .decision import (NO_SHAKE, decide, overlapping_parts, shape_features, sparsity_ratios,
                       strength_for)
from .estimate import estimate_kernel
from .light import to_linear, to_srgb
from .region import REGION_PIXELS, choose_region, grey, textured_fraction

MAX_KERNEL = 101              # largest kernel a user may ask for (px)
AUTO_MAX = 79                 # largest kernel the automatic size looks for (px)
AUTO_SHARE = 1 / 6            # ... and at most this share of the region's shorter side
MIN_SIDE = 32                 # smaller photos carry too little to estimate a shake from
MIN_TEXTURE = 0.03            # fraction of the region that must show detail

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
    confidence: float = 0.0              # 0..1: how sure the kernel is a real, removable shake
    features: dict = field(default_factory=dict)   # what the decision looked at
    candidate: np.ndarray | None = None  # the kernel found, even when it was not trusted

    @property
    def strength(self) -> float:
        """How much of the deconvolution goes into the result (the rest is the photo)."""
        return strength_for(self.confidence) if self.kernel is not None else 0.0


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
        """The photo's shake kernel, judged: ``kernel`` is None when it is not trusted (the
        reason says why); ``candidate`` is the kernel found either way."""
        cancel = cancel or CancelToken()
        h, w = image.shape[:2]
        if min(h, w) < MIN_SIDE:
            return KernelEstimate(None, (0, 0, w, h), f"{NO_SHAKE} (photo smaller than "
                                  f"{MIN_SIDE} px)")
        box = self._region(image)
        x, y, rw, rh = box
        values = image[y:y + rh, x:x + rw]
        if textured_fraction(grey(values)) < MIN_TEXTURE:     # detail as the eye sees it
            return KernelEstimate(None, box, f"{NO_SHAKE} (too little detail in the region "
                                  f"{x},{y},{rw},{rh})")
        crop = grey(to_linear(values))
        limit = max(3, min(MAX_KERNEL, min(rw, rh) // 3) | 1)
        size = min(self.kernel_size or auto_size(rw, rh), limit)
        main, check, parts = _segments(progress, [ESTIMATE_COST, SPARSITY_COST,
                                                  2 * 0.75 ** 2 * ESTIMATE_COST])
        k = estimate_kernel(crop, size, cancel, main)
        weight = weight_for(self._detail(image)[0])
        f = shape_features(k)
        f["sparsity"], f["quarter"] = sparsity_ratios(crop, k, weight, cancel)
        check(1, 1, "checking the kernel")
        f["agreement"] = parts_agreement(crop, k, cancel, parts)
        confidence, reason = decide(f)
        if confidence <= 0:
            return KernelEstimate(None, box, reason, 0.0, f, k)
        reason = (f"shake kernel {k.shape[0]} px (blur about {f['extent']:.0f} px, confidence "
                  f"{confidence:.2f}), estimated on region {x},{y},{rw},{rh}")
        return KernelEstimate(k, box, reason, confidence, f, k)

    def _region(self, image: np.ndarray) -> tuple[int, int, int, int]:
        h, w = image.shape[:2]
        if self.region is None:
            return choose_region(image, REGION_PIXELS)
        x, y, rw, rh = self.region
        if x + MIN_SIDE > w or y + MIN_SIDE > h:
            raise ValueError(f"region {x},{y},{rw},{rh} lies outside the {w}x{h} photo")
        rw, rh = min(rw, w - x), min(rh, h - y)
        if rw * rh > 2 * REGION_PIXELS:    # a big rectangle: its most detailed ~1 MP
            sx, sy, sw, sh = choose_region(image[y:y + rh, x:x + rw], REGION_PIXELS)
            return x + sx, y + sy, sw, sh
        return x, y, rw, rh

    def _detail(self, image: np.ndarray) -> tuple[float, str]:
        if self.detail is not None:
            return self.detail, ""
        sigma = noise_sigma(grey(image[:2048, :2048]))
        detail = detail_for_noise(sigma)
        return detail, f"detail {detail:.2f} (auto, noise {100 * sigma:.2f} %)"

    # -- the method ---------------------------------------------------------------------------
    progress_total = True      # one progress total over every step of a run

    def run(self, image: np.ndarray, scales=SCALES, progress: Progress | None = None,
            cancel: CancelToken | None = None, on_tile=None) -> Restored:
        """The network's contract; ``on_tile(scale, y0, y1, x0, x1, pixels)`` receives each
        finished tile of each scale (its final pixels), so a window can fill in as it goes."""
        image, scales, progress, cancel = run_arguments(image, scales, progress, cancel)
        t0 = time.perf_counter()
        key = (_fingerprint(image), self.region, self.kernel_size)
        est = _remembered(key)
        shrunk = {s: _shrink(image, s) for s in scales}
        deconv_work = sum(_deconv_work(shrunk[s].shape) for s in scales)
        estimate_work = 0.0 if est else self._estimate_work(image)
        work = _Work(progress, deconv_work + estimate_work)
        if est is None:
            est = self.estimate(image, work.part(estimate_work), cancel)
            _remember(key, est)
        else:
            work.note("using the kernel estimated for this photo before")
        self.last_kernel = est.kernel
        res = Restored(device="cpu", kernel=est.kernel, notes=[est.reason])
        if est.kernel is None:
            for s in scales:
                setattr(res, s, shrunk[s])
        else:
            detail, note = self._detail(image)
            if note:
                res.notes.append(note)
            if est.strength < 1:
                res.notes.append(f"deconvolution strength {est.strength:.2f} (follows the "
                                 f"confidence)")
            weight = weight_for(detail)
            tiles = 0
            for s in scales[::-1]:                      # fine first: the one that matters
                small = shrunk[s]
                out = np.empty(small.shape, np.float32)
                finish = _tile_finisher(small, out, est.strength, s, on_tile)
                # in linear light, where a shake adds light up: in sRGB values a blur is not
                # a convolution (measured: +3 to +4 dB with the true kernel)
                deconvolve(to_linear(small), K.scaled(est.kernel, FACTORS[s]), weight, cancel,
                           work.part(_deconv_work(small.shape), f"{s} scale: "), out=out,
                           on_tile=finish)
                tiles += -(-small.shape[0] // 1024) * -(-small.shape[1] // 1024)
                setattr(res, s, out)
            res.tiles = tiles
        work.finish()
        res.seconds = time.perf_counter() - t0
        self.seconds_per_mp = res.seconds / max(image.shape[0] * image.shape[1] / 1e6, 1e-3)
        return res

    def _estimate_work(self, image: np.ndarray) -> float:
        """Relative cost of :meth:`estimate` (the unit: one FFT of a megapixel)."""
        h, w = image.shape[:2]
        if min(h, w) < MIN_SIDE:
            return 0.0
        px = min(h * w, REGION_PIXELS) / 1e6
        return px * ESTIMATE_COST * (1 + 2 * 0.75 ** 2) + px * SPARSITY_COST


def _tile_finisher(photo: np.ndarray, out: np.ndarray, strength: float, scale: str, on_tile):
    """Turns each deconvolved tile of ``out`` (linear light) into its final pixels in place:
    back to sRGB values, blended with the photo by ``strength``; then hands it on."""
    def finish(y0, y1, x0, x1):
        tile = to_srgb(out[y0:y1, x0:x1])
        if strength < 1:
            orig = photo[y0:y1, x0:x1]
            tile = orig + strength * (tile - orig)
        out[y0:y1, x0:x1] = tile
        if on_tile:
            on_tile(scale, y0, y1, x0, x1, out[y0:y1, x0:x1])
    return finish


# Relative costs, in FFTs of a megapixel, for one honest progress bar over the whole run
ESTIMATE_COST = 2 * 52 * 5   # a pyramid: 5 alternations of ~52 FFTs at the finest level, x2
SPARSITY_COST = 2 * 17 * 3   # two single-channel deconvolutions of the region
DECONV_COST = 3 * 17 * 3     # three channels, 17 steps of ~3 FFTs each


def _deconv_work(shape) -> float:
    return shape[0] * shape[1] / 1e6 * DECONV_COST


def _segments(progress: Progress, weights: list[float]) -> list[Progress]:
    """Split one progress bar (0..1000) into consecutive parts of the given relative sizes."""
    total = sum(weights)
    starts = np.cumsum([0.0] + list(weights))[:-1] / total

    def make(start, share):
        def step(done, total_, message):
            frac = min(done, total_) / total_ if total_ > 0 else 0.0
            progress(int(1000 * (start + share * frac)), 1000, message)
        return step
    return [make(st, w / total) for st, w in zip(starts, weights)]


class _Work:
    """One progress bar over all the steps of a run (estimation levels, checks, deconvolution
    tiles of each scale): each step's own progress is mapped into its share of the whole, so
    the bar only moves forward and its time estimate holds."""

    STEPS = 1000

    def __init__(self, progress: Progress, total: float):
        self.progress, self.total, self.done = progress, max(total, 1e-9), 0.0

    def _report(self, message: str) -> None:
        self.progress(min(self.STEPS, int(self.STEPS * self.done / self.total)), self.STEPS,
                      message)

    def note(self, message: str) -> None:
        self._report(message)

    def part(self, amount: float, prefix: str = "") -> Progress:
        start = self.done          # the part's share is added as it goes

        def step(done: int, total: int, message: str) -> None:
            if total > 0:
                self.done = max(self.done, start + amount * min(done, total) / total)
            self._report(prefix + message)
        return step

    def finish(self) -> None:
        self.done = self.total
        self._report("done")


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


def auto_size(w: int, h: int) -> int:
    """The kernel box of the automatic size: blurs larger than an eighth of the region cannot
    be told from its content (the coarsest levels would be a few dozen pixels)."""
    return min(AUTO_MAX, K.odd(min(w, h) * AUTO_SHARE))


def parts_agreement(g: np.ndarray, k: np.ndarray, cancel=None, progress=None) -> float:
    """Camera shake blurs the whole photo alike: kernels estimated on two overlapping parts of
    the region (three quarters of each side, opposite corners) must look like ``k``.  Returns
    the lower of their similarities to ``k``; NaN when the parts are too small to tell."""
    size = k.shape[0]
    parts = overlapping_parts(*g.shape)
    if min(min(y1 - y0, x1 - x0) for y0, y1, x0, x1 in parts) < 3 * size:
        return np.nan
    steps = _segments(progress or no_progress, [1.0, 1.0])
    return min(K.similarity(estimate_kernel(g[y0:y1, x0:x1], size, cancel, step), k)
               for (y0, y1, x0, x1), step in zip(parts, steps))
