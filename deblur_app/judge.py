"""Judging a photo's blur, without deblurring it: sharp, camera shake, other blur, or unclear.

    j = judge_photo(pixels)              # float32 H x W x 3 RGB in [0, 1]
    j.kind, j.label(), j.reason          # "shake", "camera shake, 14 px at 30 deg", "..."

Shared by the Auto method (:mod:`deblur_app.engine.auto`), the triage (``deblur --triage``,
:mod:`deblur_app.batch.triage`) and the window's batch list; the two methods know nothing of it.

Two measures, both cheap next to deblurring:

1. **Blur width** (px, at the photo's full resolution) on the most detailed ~0.5 MP region:
   the gradient-ratio estimate of Zhuo & Sim (2011): at edge pixels, re-blurring with a
   Gaussian of sigma s lowers the gradient by ``sqrt(b^2 + s^2) / b`` for an edge blurred by
   ``b``, so ``b`` follows from the ratio.  Measured along four directions: a camera or object
   motion blurs one direction more than the others (anisotropy), defocus blurs them alike.
2. **Shake estimate** (only when a shake is possible): shake estimation's own kernel estimate
   (:meth:`ShakeDeblurrer.estimate`) on the photo shrunk to <= 0.3 MP, with its confidence that
   a uniform camera shake explains the blur; ``fast`` (Auto and the triage) tries one kernel
   size fitted to the measured blur, a few seconds, instead of the method's growing sizes.

The thresholds are calibrated on synthetic blur of sharp photos (scripts/measure_auto.py,
docs/auto.md).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import cv2
import numpy as np

SHARP_PX = 1.5            # blur width under this: sharp (the network was measured to lose there)
SHARP_WIDE_PX = 1.8       # ... and the widest quarter of the edges under this: sharp at once;
                          # else sharp only when no camera shake is found (a shake's thin path
                          # leaves many edges crisp: the median alone misses it)
MOTION_ANISOTROPY = 1.6   # widest / narrowest direction above this: motion, not defocus
SHAKE_CONFIDENCE = 0.5    # shake estimation's confidence needed to choose it
JUDGE_REGION = 512 * 1024  # pixels of the region the blur width is measured on
ESTIMATE_PIXELS = 300_000  # the photo is shrunk to this for the shake estimate
ESTIMATE_BLUR = 6.0       # ... but not so far that the blur gets narrower than this (px)
MIN_EDGES = 200           # fewer edge pixels than this: no measure ("unclear")
REBLUR = 1.5              # sigma of the re-blur (px)

KINDS = ("sharp", "shake", "blur", "unclear")
TITLES = {"sharp": "sharp", "shake": "camera shake", "blur": "motion or defocus",
          "unclear": "unclear"}


@dataclass
class Judgement:
    """What a photo's blur looks like (all sizes in pixels of the full photo)."""
    kind: str                          # sharp | shake | blur | unclear
    blur_px: float = float("nan")      # blur width (Gaussian-equivalent sigma x 2), median
    wide_px: float = float("nan")      # the same, of the widest quarter of the edges
    anisotropy: float = float("nan")   # widest / narrowest direction (1 = round: defocus)
    direction: float | None = None     # degrees, 0 = horizontal, of the main blur direction
    shake_px: float | None = None      # extent of the estimated shake kernel
    confidence: float = 0.0            # shake estimation's confidence (0 when not estimated)
    kernel: np.ndarray | None = None   # the estimated blur trace (at the shrunk size)
    reason: str = ""
    seconds: float = 0.0
    details: dict = field(default_factory=dict)

    @property
    def subtype(self) -> str:
        """For "blur": "motion" (one direction) or "defocus" (all alike)."""
        if self.kind != "blur":
            return ""
        return "motion" if self.anisotropy >= MOTION_ANISOTROPY else "defocus"

    def label(self) -> str:
        """Short words for a table or a list: "camera shake, 14 px at 30 deg"."""
        if self.kind == "shake":
            return f"camera shake, {self.shake_px:.0f} px at {self.direction:.0f} deg"
        if self.kind == "blur":
            what = self.subtype
            size = f"{self.blur_px:.1f} px"
            if what == "motion" and self.direction is not None:
                return f"motion blur, {size} at {self.direction:.0f} deg"
            return f"{what} blur, {size}"
        if self.kind == "sharp":
            return f"sharp ({self.blur_px:.1f} px)"
        return "unclear"

    def severity(self) -> float:
        """One number to sort by: larger = blurrier (unclear sorts last)."""
        if self.kind == "unclear" or not math.isfinite(self.blur_px):
            return -1.0
        return max(self.blur_px, self.shake_px or 0.0)

    def as_dict(self) -> dict:
        out = {"blur": self.kind, "label": self.label(), "blur_px": _num(self.blur_px),
           "wide_px": _num(self.wide_px),
               "anisotropy": _num(self.anisotropy), "direction_deg": _num(self.direction),
               "shake_px": _num(self.shake_px), "confidence": round(float(self.confidence), 3),
               "reason": self.reason, "seconds": round(self.seconds, 2)}
        if self.kind == "blur":
            out["subtype"] = self.subtype
        return out


def _num(v):
    if v is None or not math.isfinite(v):
        return None
    return round(float(v), 2)


def grey(image: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(image[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32),
                                np.float32)


def _region(image: np.ndarray, pixels: int) -> np.ndarray:
    from .shake.region import choose_region
    x, y, w, h = choose_region(image, pixels)
    return image[y:y + h, x:x + w]


def blur_width(g: np.ndarray) -> tuple[float, float, float | None, int, float]:
    """(blur width px, anisotropy, direction deg, edge pixels, wide) of a grey image in [0, 1].

    Width: twice the Gaussian-equivalent sigma from the gradient ratio at edge pixels (median);
    wide: the same of the widest quarter of the edges; per direction (0, 45, 90, 135 deg) from
    the edges facing that way."""
    g = g.astype(np.float32)
    g1 = cv2.GaussianBlur(g, (0, 0), REBLUR)
    gx0, gy0 = cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3)
    gx1, gy1 = cv2.Sobel(g1, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(g1, cv2.CV_32F, 0, 1, ksize=3)
    m0 = np.hypot(gx0, gy0)
    m1 = np.hypot(gx1, gy1)
    # edges: local maxima of the re-blurred gradient (stable under noise), strong ones only
    u8 = np.clip(g1 * 255, 0, 255).astype(np.uint8)
    hi = float(np.percentile(m1, 90)) * 255 / 8
    edges = cv2.Canny(u8, max(4.0, hi * 0.5), max(8.0, hi), L2gradient=True) > 0
    strong = m1 > max(np.percentile(m1[edges], 30) if edges.any() else 0, 0.02 * 8)
    sel = edges & strong
    n = int(sel.sum())
    if n < MIN_EDGES:
        return float("nan"), float("nan"), None, n, float("nan")
    r = m0[sel] / np.maximum(m1[sel], 1e-6)
    width = 2 * _sigma(np.median(r))
    wide = 2 * _sigma(np.percentile(r, 25))        # a lower ratio: a wider edge
    # per direction: edges whose gradient points along it
    theta = np.degrees(np.arctan2(gy1[sel], gx1[sel])) % 180
    widths = []
    for d in (0, 45, 90, 135):
        near = np.abs((theta - d + 90) % 180 - 90) < 22.5
        widths.append(2 * _sigma(np.median(r[near])) if near.sum() >= MIN_EDGES // 4
                      else float("nan"))
    w = np.array(widths)
    if np.isfinite(w).sum() >= 3:
        wmax, wmin = np.nanmax(w), np.nanmin(w)
        anis = float(max(wmax, 0.5) / max(wmin, 0.5))
        direction = float((0, 45, 90, 135)[int(np.nanargmax(w))])
    else:
        anis, direction = float("nan"), None
    return float(width), anis, direction, n, float(wide)


def _sigma(ratio: float) -> float:
    """Gaussian-equivalent blur sigma from the gradient ratio (Sobel's own spread removed)."""
    ratio = float(ratio)
    if not ratio > 1.0 + 1e-6:
        return 99.0
    s2 = REBLUR ** 2 / (ratio * ratio - 1.0) - 0.7 ** 2   # 0.7: the spread of Sobel + pixels
    return float(math.sqrt(max(s2, 0.0)))


def shrink_for_estimate(image: np.ndarray, blur_px: float, pixels: int = ESTIMATE_PIXELS):
    """The part of the photo the shake is estimated on, and the factor it was shrunk by.

    Shrunk as far as the blur allows (it must stay about ``ESTIMATE_BLUR`` px wide in the
    shrunk photo, else small shakes of big photos vanish), at least to ``pixels``; when that
    is still bigger than ``pixels``, its most detailed ``pixels`` region."""
    from .shake.region import choose_region
    h, w = image.shape[:2]
    f = min(1.0, math.sqrt(pixels / float(h * w)))
    if math.isfinite(blur_px) and blur_px > 0:
        f = min(1.0, max(f, ESTIMATE_BLUR / blur_px))
    small = image if f >= 1.0 else cv2.resize(
        image, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)
    if small.shape[0] * small.shape[1] > pixels * 1.2:
        x, y, rw, rh = choose_region(small, pixels)
        small = small[y:y + rh, x:x + rw]
    return np.ascontiguousarray(small), f


def estimate_kernel_size(blur_px: float, f: float) -> int:
    """The kernel size to look for in the shrunk photo: a few times the measured blur (of the
    widest quarter of the edges: a shake's path is longer than most edge widths it leaves),
    15 to 41 px like shake estimation's first sizes."""
    n = int(np.clip(4 * blur_px * f, 15, 41)) if math.isfinite(blur_px) else 25
    return n | 1


def shake_confidence(est) -> float:
    """Shake estimation's confidence in its kernel; before the estimate carried one: 1 with a
    kernel, 0 without."""
    return float(getattr(est, "confidence", 1.0 if est.kernel is not None else 0.0))


def kernel_extent(k: np.ndarray) -> float:
    """Spread of a kernel in pixels: twice the RMS distance of its mass from the centroid."""
    s = float(k.sum())
    yy, xx = np.indices(k.shape)
    cy, cx = (yy * k).sum() / s, (xx * k).sum() / s
    return 2.0 * float(np.sqrt((((yy - cy) ** 2 + (xx - cx) ** 2) * k).sum() / s))


def kernel_direction(k: np.ndarray) -> float:
    """Main direction (degrees, 0 = horizontal, 0..180) of a kernel's mass."""
    s = float(k.sum())
    yy, xx = np.indices(k.shape)
    cy, cx = (yy * k).sum() / s, (xx * k).sum() / s
    cxx = ((xx - cx) ** 2 * k).sum() / s
    cyy = ((yy - cy) ** 2 * k).sum() / s
    cxy = ((xx - cx) * (yy - cy) * k).sum() / s
    return float(np.degrees(0.5 * np.arctan2(2 * cxy, cxx - cyy)) % 180)


def needs_estimate(width: float, wide: float) -> bool:
    """Whether the blur widths leave a camera shake possible (then it is looked for)."""
    return math.isfinite(width) and not (width < SHARP_PX and wide < SHARP_WIDE_PX)


def judge_photo(image: np.ndarray, estimate: bool = True, progress=None, cancel=None,
                fast: bool = False, shake_factory=None) -> Judgement:
    """How ``image`` (float RGB) is blurred.  ``estimate=False``: the blur width only (no shake
    estimate: milliseconds; "shake" is then never said).  ``fast``: the shake estimate tries one
    kernel size, fitted to the measured blur, instead of shake estimation's growing sizes
    (about half the time; the triage).  ``shake_factory``: makes the shake estimator from a
    kernel size (default :class:`deblur_app.shake.ShakeDeblurrer`)."""
    t0 = time.perf_counter()
    g = grey(_region(image, JUDGE_REGION))
    width, anis, direction, n, wide = blur_width(g)
    j = Judgement("unclear", width, wide, anis, direction)
    j.details["edges"] = n
    sharp_reason = f"the photo is already sharp (blur about {width:.1f} px)"
    if not math.isfinite(width):
        j.reason = "too little detail to judge the blur"
    elif not needs_estimate(width, wide):
        j.kind, j.reason = "sharp", sharp_reason
    else:
        j.kind = "blur"
        j.reason = (f"blur about {width:.1f} px, " +
                    ("one direction more than the others" if anis >= MOTION_ANISOTROPY
                     else "alike in all directions"))
        if estimate:
            _estimate_shake(image, j, progress, cancel, fast, shake_factory)
        if j.kind == "blur" and width < SHARP_PX:
            j.kind = "sharp"
            j.reason = sharp_reason + (", and no camera shake was found" if estimate else "")
    j.seconds = time.perf_counter() - t0
    return j


def _estimate_shake(image, j: Judgement, progress, cancel, fast, shake_factory) -> None:
    from .engine.progress import no_progress
    from .shake import ShakeDeblurrer
    small, f = shrink_for_estimate(image, max(j.blur_px, j.wide_px))
    size = estimate_kernel_size(max(j.blur_px, j.wide_px), f) if fast else None
    j.details["estimate"] = {"factor": round(f, 3), "size": list(small.shape[:2]), "kernel": size}
    est = (shake_factory or ShakeDeblurrer)(kernel_size=size).estimate(
        small, progress or no_progress, cancel)
    j.confidence = shake_confidence(est) if est.kernel is not None else 0.0
    j.details["shake"] = est.reason
    if est.kernel is None:
        j.reason += f"; shake estimation: {est.reason}"
        return
    j.kernel = est.kernel
    j.shake_px = kernel_extent(est.kernel) / f
    j.direction = kernel_direction(est.kernel)
    if j.confidence >= SHAKE_CONFIDENCE:
        j.kind = "shake"
        j.reason = (f"a camera shake of about {j.shake_px:.0f} px found "
                    f"(confidence {j.confidence:.2f})")
    else:
        j.reason += f"; a shake kernel was found, but with low confidence ({j.confidence:.2f})"
