"""Cheap finishing touches after deblurring: unsharp masking and contrast.

Fast enough for a live preview (a 2-megapixel view in tens of milliseconds) and the same
code runs on the full-size photo when saving.  Every function takes and returns float32
H x W x 3 RGB in [0, 1]; a setting of zero returns the input array itself, untouched.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, Mapping

import cv2
import numpy as np

__all__ = ["LIMITS", "PostSettings", "adjust_contrast", "apply_post", "blend_with_original",
           "check_range", "check_strength", "finish", "unsharp_mask"]

_LUMA = np.array([[0.299, 0.587, 0.114]], dtype=np.float32)

# Local contrast: CLAHE on Lab lightness, as OpenCV defines it (clip limit relative to the
# mean bin count, tiles on a fixed grid so that a preview and the full photo look alike).
_CLAHE_CLIP_LIMIT = 2.0
_CLAHE_GRID = 8
_CLAHE_BINS = 256
_STATS_PIXELS = 500_000  # histograms are statistics: a subsample of this size is plenty
# Strength of the S-curve at contrast 1: alongside CLAHE, and when used alone.
_S_CURVE_WITH_LOCAL = 0.4
_S_CURVE_ALONE = 0.8


def _as_image(img: np.ndarray) -> np.ndarray:
    array = np.asarray(img)
    if array.ndim != 3 or array.shape[2] != 3:
        raise ValueError(f"expected an H x W x 3 image, not shape {array.shape}")
    if array.dtype != np.float32:
        array = array.astype(np.float32)
    return array


# --------------------------------------------------------------------------------------------
# Sharpening
# --------------------------------------------------------------------------------------------

def unsharp_mask(img: np.ndarray, amount: float = 1.0, radius: float = 1.5,
                 threshold: float = 0.0) -> np.ndarray:
    """Sharpen: ``img + amount * (img - gaussian_blur(img, sigma=radius))``, clipped to [0, 1].

    Detail whose luminance is below ``threshold`` (0..1 units) is left alone, with a soft
    ramp from half to one and a half times the threshold, so noise in flat areas is not
    sharpened.  ``amount`` 0 (or ``radius`` 0) returns ``img`` itself.
    """
    if amount == 0 or radius <= 0:
        return img
    image = _as_image(img)
    blur = cv2.GaussianBlur(image, (0, 0), sigmaX=float(radius), sigmaY=float(radius))
    if threshold <= 0:
        out = cv2.addWeighted(image, 1.0 + amount, blur, -float(amount), 0.0)
    else:
        detail = cv2.subtract(image, blur)
        strength = np.abs(cv2.transform(detail, _LUMA))  # H x W luminance of the detail
        weight = strength - np.float32(0.5 * threshold)
        weight *= np.float32(1.0 / threshold)
        np.clip(weight, 0.0, 1.0, out=weight)
        weight *= np.float32(amount)
        detail *= weight[:, :, None]
        out = cv2.add(image, detail)
    np.clip(out, 0.0, 1.0, out=out)
    return out


# --------------------------------------------------------------------------------------------
# Contrast
# --------------------------------------------------------------------------------------------

def adjust_contrast(img: np.ndarray, amount: float = 0.0, local: bool = True) -> np.ndarray:
    """More contrast on lightness only, so colours keep their hue and chroma.

    ``amount`` in [0, 1] blends in CLAHE (contrast-limited adaptive histogram equalisation,
    8 x 8 tiles, clip limit 2, as OpenCV defines it) when ``local``, plus a gentle S-curve;
    without ``local`` only a stronger S-curve.  Black, white and neutral greys stay put.
    Amount 0 returns ``img`` itself.

    Lightness is the Rec. 601 luma Y' of the (gamma-encoded) RGB, and colour is kept by
    changing all three channels by the same amount (Cb and Cr are unchanged).  Lab is not
    used because OpenCV's float Lab conversion is quantised to about 8 bits (it bands smooth
    gradients and tints greys); OpenCV's own CLAHE is not used because it quantises to 8 bits
    and its 16-bit variant depends on the image size.  Here the per-tile CLAHE curves are
    evaluated at full float precision.
    """
    amount = float(min(max(amount, 0.0), 1.0))
    if amount == 0:
        return img
    image = _as_image(img)
    luma = cv2.transform(image, _LUMA)  # H x W
    np.clip(luma, 0.0, 1.0, out=luma)
    height, width = luma.shape
    identity = np.linspace(0.0, 1.0, _CLAHE_BINS + 1)[None, :]
    if local:
        grid_y = max(1, min(_CLAHE_GRID, height // 8))
        grid_x = max(1, min(_CLAHE_GRID, width // 8))
        curves = identity + amount * (_clahe_mappings(luma, grid_y, grid_x) - identity)
        curves = _s_curve(curves, _S_CURVE_WITH_LOCAL * amount)
        new_luma = _apply_tile_curves(luma, curves, grid_y, grid_x)
    else:
        new_luma = _s_curve(luma, _S_CURVE_ALONE * amount)
    new_luma -= luma
    out = cv2.add(image, cv2.merge([new_luma, new_luma, new_luma]))  # faster than broadcasting
    np.clip(out, 0.0, 1.0, out=out)
    return out


def _s_curve(x: np.ndarray, a: float) -> np.ndarray:
    """``x + a * x(1-x)(2x-1)``: fixed 0, 1/2 and 1, slope 1 + a/2 mid-tones; monotone, a <= 1."""
    return x + a * x * (1.0 - x) * (2.0 * x - 1.0)


def _clahe_mappings(lightness: np.ndarray, grid_y: int, grid_x: int) -> np.ndarray:
    """Per-tile CLAHE tone curves, ``(grid_y * grid_x, bins + 1)`` samples on [0, 1]."""
    height, width = lightness.shape
    step = max(1, int(np.sqrt(height * width / _STATS_PIXELS)))
    sample = lightness[::step, ::step]
    rows = np.arange(0, height, step) * grid_y // height
    cols = np.arange(0, width, step) * grid_x // width
    bins = np.minimum((sample * _CLAHE_BINS).astype(np.int32), _CLAHE_BINS - 1)
    np.maximum(bins, 0, out=bins)
    tile = (rows[:, None] * grid_x + cols[None, :]) * _CLAHE_BINS
    hist = np.bincount((tile + bins).ravel(), minlength=grid_y * grid_x * _CLAHE_BINS)
    hist = hist.reshape(grid_y * grid_x, _CLAHE_BINS).astype(np.float64)
    count = np.maximum(hist.sum(axis=1, keepdims=True), 1.0)
    limit = np.maximum(_CLAHE_CLIP_LIMIT * count / _CLAHE_BINS, 1.0)
    excess = np.maximum(hist - limit, 0.0).sum(axis=1, keepdims=True)
    hist = np.minimum(hist, limit) + excess / _CLAHE_BINS  # clip, spread the excess evenly
    cdf = np.cumsum(hist, axis=1) / count
    return np.concatenate([np.zeros((cdf.shape[0], 1)), cdf], axis=1)


def _apply_tile_curves(lightness: np.ndarray, curves: np.ndarray, grid_y: int,
                       grid_x: int) -> np.ndarray:
    """Evaluate per-tile curves at each pixel, bilinearly blended between tile centres.

    One ``cv2.remap`` looks up, for every pixel, the curves of its four neighbouring tiles
    (a 4-channel table: row = top-left tile, channel = neighbour), interpolating linearly
    between curve samples; numpy then blends the four with the pixel's bilinear weights.
    """
    height, width = lightness.shape
    samples = curves.shape[1]
    table = curves.reshape(grid_y, grid_x, samples).astype(np.float32)
    ys = np.minimum(np.arange(grid_y) + 1, grid_y - 1)
    xs = np.minimum(np.arange(grid_x) + 1, grid_x - 1)
    four = np.stack([table, table[:, xs], table[ys], table[ys][:, xs]], axis=-1)
    four = np.ascontiguousarray(four.reshape(grid_y * grid_x, samples, 4))

    def centre_coordinates(size: int, grid: int) -> tuple[np.ndarray, np.ndarray]:
        pos = (np.arange(size, dtype=np.float32) + 0.5) * (grid / size) - 0.5
        pos = np.clip(pos, 0.0, grid - 1)
        first = np.minimum(np.floor(pos), max(grid - 2, 0))
        return first.astype(np.int32), (pos - first).astype(np.float32)

    row0, wy = centre_coordinates(height, grid_y)
    col0, wx = centre_coordinates(width, grid_x)
    map_y = (row0[:, None] * grid_x + col0[None, :]).astype(np.float32)
    map_x = lightness * np.float32(samples - 1)
    looked_up = cv2.remap(four, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    top_left, top_right = looked_up[:, :, 0], looked_up[:, :, 1]
    bottom_left, bottom_right = looked_up[:, :, 2], looked_up[:, :, 3]
    wx = wx[None, :]
    top = top_right - top_left
    top *= wx
    top += top_left
    bottom = bottom_right - bottom_left
    bottom *= wx
    bottom += bottom_left
    bottom -= top
    bottom *= wy[:, None]
    bottom += top
    return bottom


# --------------------------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------------------------

# The allowed range of every finishing setting, for the command line and the window alike
# (the window's sliders span exactly these).  ``strength`` is the blend with the original.
LIMITS: dict[str, tuple[float, float]] = {
    "sharpen_amount": (0.0, 3.0),
    "sharpen_radius": (0.3, 10.0),          # pixels of the saved photo
    "sharpen_threshold": (0.0, 50 / 255),   # luminance units (0..1)
    "contrast": (0.0, 1.0),
    "strength": (0.0, 1.0),
}


def check_range(name: str, value: float, label: str | None = None) -> float:
    """``value`` as a float if it lies within ``LIMITS[name]``, else a ValueError that names
    the setting and its range (NaN and infinities are refused too)."""
    low, high = LIMITS[name]
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{label or name} must be a number, not {value!r}") from None
    if not (low <= v <= high):  # also False for NaN
        raise ValueError(f"{label or name} must be between {low:g} and {high:g}, not {value}")
    return v


def check_strength(strength: float, label: str = "strength") -> float:
    return check_range("strength", strength, label)


@dataclass
class PostSettings:
    """The finishing touches chosen by the user; all zero means none."""

    sharpen_amount: float = 0.0
    sharpen_radius: float = 1.5
    sharpen_threshold: float = 0.0
    contrast: float = 0.0

    @property
    def is_identity(self) -> bool:
        sharpen = self.sharpen_amount != 0 and self.sharpen_radius > 0
        return not sharpen and self.contrast == 0

    def as_dict(self) -> dict[str, float]:
        return asdict(self)

    def check(self) -> "PostSettings":
        """Itself, if every value is within :data:`LIMITS` (else ValueError naming it)."""
        for f in fields(self):
            check_range(f.name, getattr(self, f.name))
        return self

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "PostSettings":
        """Settings from a dict (unknown keys ignored, missing ones default)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: float(v) for k, v in (data or {}).items() if k in names})


def apply_post(img: np.ndarray, settings: PostSettings) -> np.ndarray:
    """Contrast, then sharpening; the input object itself when the settings do nothing."""
    if settings.is_identity:
        return img
    out = adjust_contrast(img, settings.contrast)
    return unsharp_mask(out, settings.sharpen_amount, settings.sharpen_radius,
                        settings.sharpen_threshold)


def finish(original: np.ndarray, restored: np.ndarray, strength: float,
           post: PostSettings) -> np.ndarray:
    """The photo as it is saved and previewed: ``strength`` of the restoration blended over the
    original, then the finishing touches.  The one rule for batches, saving and the preview."""
    return apply_post(blend_with_original(original, restored, strength), post)


def blend_with_original(original: np.ndarray, restored: np.ndarray, strength: float) -> np.ndarray:
    """``strength`` (0..1) of ``restored`` over ``original``; the original is area-resized to the
    restored image's size when they differ (the 1/2 and 1/4 outputs).  1 returns ``restored``."""
    if strength >= 1.0:
        return restored
    if original.shape[:2] != restored.shape[:2]:
        original = cv2.resize(original, (restored.shape[1], restored.shape[0]),
                              interpolation=cv2.INTER_AREA)
    s = float(min(max(strength, 0.0), 1.0))
    return cv2.addWeighted(restored, s, original, 1.0 - s, 0.0)

