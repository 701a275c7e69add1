"""Is an estimated kernel a real camera shake that deconvolution removes?

The features a kernel is judged by, and the rule that turns them into a confidence (0..1) and a
deconvolution strength.  The thresholds were chosen on the calibration bank of
``scripts/shake_calibration.py`` (shaken, sharp and defocused real photos, and frame-averaged
video pairs), where each case's gain in dB is known: see ``docs/shake_comparison.md``.
"""
from __future__ import annotations

import numpy as np

from ..engine.progress import CancelToken
from . import kernel as K
from .deconvolve import deconvolve_block

NO_SHAKE = "no clear shake found"

MIN_EXTENT = 1.5        # blurs spreading less than this (px): the photo is sharp
MAX_SPARSITY = 0.75     # deconvolving must make the region's gradients at least this much sparser
FULL_SPARSITY = 0.55    # ... and at this ratio (or lower) the confidence is full
MIN_AGREEMENT = 0.85    # kernels found on two overlapping parts of the region must agree this well
FULL_AGREEMENT = 0.97
SMALL_EXTENT = 5.0      # blurs under this (px) look like a sharp photo's texture "kernels" ...
SMALL_AGREEMENT = 0.98  # ... so their parts must agree this closely
MAX_AREA_PER_PX = 12    # a shake is a trace: more kernel pixels per pixel of spread is a cloud
MAX_QUARTER = 0.80      # ... and sharpen each quarter of the region (a shake blurs them alike)
MIN_STRENGTH = 0.5      # the deconvolution strength at the lowest accepted confidence


def _l1_over_l2(g: np.ndarray) -> float:
    gx, gy = np.diff(g, axis=1)[:-1], np.diff(g, axis=0)[:, :-1]
    m = np.sqrt(gx * gx + gy * gy, dtype=np.float64)
    l2 = float(np.sqrt((m * m).sum()))
    return float(m.sum()) / l2 / np.sqrt(m.size) if l2 > 0 else np.inf


def sparsity_ratios(g: np.ndarray, k: np.ndarray, weight: float,
                    cancel: CancelToken | None = None) -> tuple[float, float]:
    """How much sharper the region gets when ``k`` is deconvolved, for the whole region and
    for the worst of its four quarters: the normalised sparsity L1/L2 of its gradient
    magnitudes (Krishnan et al. 2011: lower is sharper) after deconvolving with ``k``, over the
    same regularised solve with no blur (so that the solve's denoising alone does not count).
    A right kernel gives clearly less than 1; no blur about 1; a wrong kernel or a sharp photo
    more (ringing and ghost edges are dense).  A camera shake sharpens every part of the photo
    alike, while the kernel of blur that differs across the photo (moving subjects, a turning
    camera) sharpens some parts and rings in others."""
    base = deconvolve_block(g[None], K.delta(1), weight, cancel)[0]
    sharp = deconvolve_block(g[None], k, weight, cancel)[0]
    h, w = g.shape
    whole = _l1_over_l2(sharp) / max(_l1_over_l2(base), 1e-12)
    quarters = []
    for ys in (slice(0, h // 2), slice(h // 2, h)):
        for xs in (slice(0, w // 2), slice(w // 2, w)):
            quarters.append(_l1_over_l2(sharp[ys, xs]) / max(_l1_over_l2(base[ys, xs]), 1e-12))
    return whole, max(quarters)


def shape_features(k: np.ndarray) -> dict:
    spread = K.extent(k)
    return {"extent": spread, "area_per_px": float((k > 0).sum()) / max(spread, 1.0),
            "peak": float(k.max()), "size": int(k.shape[0])}


def overlapping_parts(h: int, w: int, share: float = 0.75):
    """Two windows of ``share`` of each side, at opposite corners (top-left, bottom-right):
    they overlap in the middle, so each holds most of the region's detail, yet differ."""
    ph, pw = max(1, int(h * share)), max(1, int(w * share))
    return [(0, ph, 0, pw), (h - ph, h, w - pw, w)]


def interp(v: float, lo: float, hi: float) -> float:
    """0 at ``lo``, 1 at ``hi`` (either order), linear in between, clipped."""
    if hi == lo:
        return float(v >= hi)
    return float(np.clip((v - lo) / (hi - lo), 0.0, 1.0))


def decide(f: dict) -> tuple[float, str]:
    """(confidence, reason): 0 and the reason for a refusal, else a confidence in (0, 1]."""
    if f["extent"] < MIN_EXTENT:
        return 0.0, f"{NO_SHAKE} (the photo looks sharp: blur under {MIN_EXTENT:g} px)"
    if f["area_per_px"] > MAX_AREA_PER_PX:
        return 0.0, f"{NO_SHAKE} (the blur could not be identified reliably)"
    if f["sparsity"] > MAX_SPARSITY:
        return 0.0, (f"{NO_SHAKE} (removing the estimated blur does not make the region "
                     f"clearly sharper: {f['sparsity']:.2f})")
    if f.get("quarter", 0.0) > MAX_QUARTER:
        return 0.0, (f"{NO_SHAKE} (the estimated blur does not sharpen every part of the "
                     f"region alike: {f['quarter']:.2f})")
    agreement = f.get("agreement", np.nan)
    if np.isnan(agreement):
        return 0.0, f"{NO_SHAKE} (the region is too small to check a {f['size']} px kernel)"
    least = SMALL_AGREEMENT if f["extent"] < SMALL_EXTENT else MIN_AGREEMENT
    if agreement < least:
        return 0.0, (f"{NO_SHAKE} (two parts of the region show different blurs: "
                     f"{agreement:.2f})")
    c = min(interp(f["sparsity"], MAX_SPARSITY, FULL_SPARSITY),
            interp(agreement, least, max(least, FULL_AGREEMENT)))
    return max(c, 0.01), f"camera shake found (confidence {max(c, 0.01):.2f})"


def strength_for(confidence: float) -> float:
    """Deconvolution strength for an accepted kernel: from MIN_STRENGTH up to 1."""
    return float(MIN_STRENGTH + (1 - MIN_STRENGTH) * np.clip(confidence, 0, 1))
