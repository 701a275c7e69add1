"""The look of the "after" image: which scale, how much of it (blend strength), which finishing.

The same three steps run on the full-resolution result when saving
(:func:`deblur_app.imaging.postprocess.finish`) and on the displayed pyramid level for the live preview (:class:`LookRenderer`), where only
the visible region (plus a margin) is processed, so a slider moves the picture within a
fraction of a second even for a 50-megapixel photo.  The sharpening radius is scaled to the
level shown, so a zoomed-out preview looks like the saved photo zoomed out.  Local contrast
needs the whole picture (its tiles span the photo), so it is computed for the whole level and
cached while only the sharpening follows the view.
"""
from __future__ import annotations

import math
import weakref
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from ..imaging.postprocess import PostSettings, apply_post, blend_with_original
from .pyramid import Pyramid, to_float, to_uint8


@dataclass(frozen=True)
class Look:
    scale: str = "fine"
    strength: float = 1.0                       # 0 = original, 1 = network output
    post: PostSettings = field(default_factory=PostSettings)

    @property
    def is_identity(self) -> bool:
        """Whether the after image is the network's output untouched."""
        return self.strength >= 1.0 and self.post.is_identity


def _sharpening(post: PostSettings) -> PostSettings:
    return replace(post, contrast=0.0)


def _contrast(post: PostSettings) -> PostSettings:
    return replace(post, sharpen_amount=0.0)


EXACT_CONTRAST_PIXELS = 4_000_000   # larger levels get a quick approximation first


class LookRenderer:
    """Renders the look for part of a pyramid level (one thread at a time).

    Local contrast of a large level (a 50-megapixel photo at 100%) takes seconds; with
    ``allow_approx`` its first render takes the contrast change of a smaller level, enlarged,
    and the caller asks again with ``allow_approx=False`` for the exact one.
    """

    def __init__(self):
        self._cache: dict[tuple, np.ndarray] = {}

    def render(self, before: Pyramid, after: Pyramid, level: int,
               rect: tuple[int, int, int, int], look: Look,
               allow_approx: bool = True) -> tuple[np.ndarray, bool]:
        """(uint8 pixels of ``rect`` = (x0, y0, x1, y1) of ``after``'s ``level``, exact?)."""
        x0, y0, x1, y1 = rect
        post = look.post
        level_w = after.levels[level].shape[1]
        sharpen = _sharpening(post)
        sharpen = replace(sharpen, sharpen_radius=post.sharpen_radius * level_w / after.size[0])
        pad = int(math.ceil(3 * sharpen.sharpen_radius)) + 2 if not sharpen.is_identity else 0
        h, w = after.levels[level].shape[:2]
        box = (max(0, x0 - pad), max(0, y0 - pad), min(w, x1 + pad), min(h, y1 + pad))
        px0, py0, px1, py1 = box
        exact = True
        if post.contrast > 0:
            key = self._key("whole", before, after, level, look)
            if allow_approx and h * w > EXACT_CONTRAST_PIXELS and \
                    self._recall(key, before, after) is None:
                img = self._approximate_contrast(before, after, level, box, look)
                exact = False
            else:
                img = self._whole_level(before, after, level, look)[py0:py1, px0:px1]
        else:
            img = self._blended(before, after, level, box, look.strength)
        img = apply_post(img, sharpen)
        return to_uint8(img[y0 - py0:y1 - py0, x0 - px0:x1 - px0]), exact

    @staticmethod
    def _key(kind, before, after, level, look: Look) -> tuple:
        return (kind, id(before), id(after), level, look.strength, look.post.contrast)

    def _remember(self, key: tuple, before, after, value: np.ndarray) -> np.ndarray:
        while len(self._cache) >= 2:
            self._cache.pop(next(iter(self._cache)))
        self._cache[key] = (weakref.ref(before), weakref.ref(after), value)
        return value

    def _recall(self, key: tuple, before, after) -> np.ndarray | None:
        """A cached array, if it was made from these very pyramids (ids can be reused)."""
        hit = self._cache.get(key)
        if hit is None or hit[0]() is not before or hit[1]() is not after:
            return None
        return hit[2]

    @staticmethod
    def _before_level(before: Pyramid, after: Pyramid, level: int) -> np.ndarray:
        shape = after.levels[level].shape
        for lv in before.levels:
            if lv.shape == shape:
                return lv
        finer = [lv for lv in before.levels if lv.shape[1] >= shape[1]]
        src = finer[-1] if finer else before.levels[0]
        return cv2.resize(src, (shape[1], shape[0]), interpolation=cv2.INTER_AREA)

    def _blended(self, before, after, level, box, strength) -> np.ndarray:
        x0, y0, x1, y1 = box
        a = to_float(after.levels[level][y0:y1, x0:x1])
        if strength >= 1.0:
            return a
        b = to_float(self._before_level(before, after, level)[y0:y1, x0:x1])
        return blend_with_original(b, a, strength)

    def _whole_level(self, before, after, level, look: Look) -> np.ndarray:
        key = self._key("whole", before, after, level, look)
        whole = self._recall(key, before, after)
        if whole is None:
            h, w = after.levels[level].shape[:2]
            img = self._blended(before, after, level, (0, 0, w, h), look.strength)
            whole = self._remember(key, before, after, apply_post(img, _contrast(look.post)))
        return whole

    def _approximate_contrast(self, before, after, level, box, look: Look) -> np.ndarray:
        """The exact contrast change of a smaller level, enlarged onto ``box``."""
        small = next((i for i in range(level + 1, len(after.levels))
                      if after.levels[i].shape[0] * after.levels[i].shape[1]
                      <= EXACT_CONTRAST_PIXELS), len(after.levels) - 1)
        key = self._key("delta", before, after, small, look)
        delta = self._recall(key, before, after)
        if delta is None:
            sh, sw = after.levels[small].shape[:2]
            base = self._blended(before, after, small, (0, 0, sw, sh), look.strength)
            delta = apply_post(base, _contrast(look.post))
            delta = self._remember(key, before, after, delta - base)
        x0, y0, x1, y1 = box
        h, w = after.levels[level].shape[:2]
        fy, fx = delta.shape[0] / h, delta.shape[1] / w
        sx0, sy0 = int(x0 * fx), int(y0 * fy)
        sx1, sy1 = min(delta.shape[1], int(math.ceil(x1 * fx)) + 1), \
            min(delta.shape[0], int(math.ceil(y1 * fy)) + 1)
        part = cv2.resize(delta[sy0:sy1, sx0:sx1],
                          (round((sx1 - sx0) / fx), round((sy1 - sy0) / fy)),
                          interpolation=cv2.INTER_LINEAR)
        ox, oy = x0 - round(sx0 / fx), y0 - round(sy0 / fy)
        img = self._blended(before, after, level, box, look.strength)
        part = part[max(0, oy):max(0, oy) + img.shape[0], max(0, ox):max(0, ox) + img.shape[1]]
        img[:part.shape[0], :part.shape[1]] += part
        np.clip(img, 0.0, 1.0, out=img)
        return img
