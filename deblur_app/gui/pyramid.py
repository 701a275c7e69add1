"""What the viewer paints: 8-bit copies of an image at halving sizes (plain arrays, no Qt).

Painting a 50-megapixel array at every pan or zoom step would be slow; painting from the level
whose size just exceeds the screen's need is not.  A level is an ``np.uint8`` H x W x 3 array
(C-contiguous, so the viewer can wrap it in a QImage without a copy).  Every pyramid knows the
size of the photo it belongs to (``ref_size``), so the network's 1/2 and 1/4 outputs are drawn
over the same area as the original, enlarged.
"""
from __future__ import annotations

import cv2
import numpy as np

MIN_SIDE = 256        # stop halving once the longer side is this small
_BAND_ROWS = 512      # float -> uint8 conversion in bands: no full-size float temporaries


def to_uint8(image: np.ndarray) -> np.ndarray:
    """Float RGB in [0, 1] (any size) -> contiguous uint8, rounded, clipped."""
    if image.dtype == np.uint8:
        return np.ascontiguousarray(image)
    out = np.empty(image.shape, np.uint8)
    for r0 in range(0, image.shape[0], _BAND_ROWS):
        band = image[r0:r0 + _BAND_ROWS] * np.float32(255.0)
        band += np.float32(0.5)
        np.clip(band, 0.0, 255.0, out=band)
        out[r0:r0 + _BAND_ROWS] = band.astype(np.uint8)
    return out


def to_float(image: np.ndarray) -> np.ndarray:
    return image.astype(np.float32) * np.float32(1.0 / 255.0)


def half_size(image: np.ndarray) -> np.ndarray:
    """Area-averaged half size, rounding up (like the network's 1/2 output)."""
    h, w = image.shape[:2]
    return cv2.resize(image, ((w + 1) // 2, (h + 1) // 2), interpolation=cv2.INTER_AREA)


class Pyramid:
    """Halving levels of one image, level 0 at the image's own (true) size.

    ``ref_size`` (width, height) is the size of the photo the image stands for: the original's
    size for the network's coarse and mid outputs, so they are shown over the same area.
    """

    def __init__(self, base: np.ndarray, ref_size: tuple[int, int] | None = None,
                 min_levels: int = 1):
        base = to_uint8(base)
        self.levels: list[np.ndarray] = [base]
        while (max(self.levels[-1].shape[:2]) > MIN_SIDE or len(self.levels) < min_levels) \
                and min(self.levels[-1].shape[:2]) > 1:
            self.levels.append(half_size(self.levels[-1]))
        h, w = base.shape[:2]
        self.ref_size = ref_size or (w, h)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the image itself (level 0)."""
        h, w = self.levels[0].shape[:2]
        return w, h

    def scale_of(self, level: int) -> tuple[float, float]:
        """Reference pixels per pixel of ``level``, along x and y."""
        h, w = self.levels[level].shape[:2]
        return self.ref_size[0] / w, self.ref_size[1] / h

    def level_for(self, zoom: float) -> int:
        """The smallest level still holding at least ``zoom`` pixels per reference pixel."""
        best = 0
        for i in range(len(self.levels)):
            if 1.0 / self.scale_of(i)[0] >= zoom * 0.999:
                best = i
            else:
                break
        return best

    @classmethod
    def pasted(cls, base: np.ndarray, patch: np.ndarray, x: int, y: int,
               ref_size: tuple[int, int]) -> "Pyramid":
        """A pyramid of a copy of ``base`` (uint8) with ``patch`` pasted at (x, y)."""
        image = base.copy()
        ph = min(patch.shape[0], image.shape[0] - y)
        pw = min(patch.shape[1], image.shape[1] - x)
        image[y:y + ph, x:x + pw] = to_uint8(patch[:ph, :pw])
        return cls(image, ref_size)

    def paste(self, x: int, y: int, patch: np.ndarray) -> None:
        """Write ``patch`` into level 0 at (x, y), in place, and refresh the smaller levels over
        the same area (a result filling in tile by tile)."""
        base = self.levels[0]
        ph, pw = min(patch.shape[0], base.shape[0] - y), min(patch.shape[1], base.shape[1] - x)
        if ph <= 0 or pw <= 0:
            return
        base[y:y + ph, x:x + pw] = to_uint8(patch[:ph, :pw])
        x0, y0, x1, y1 = x, y, x + pw, y + ph
        for i in range(1, len(self.levels)):
            prev, cur = self.levels[i - 1], self.levels[i]
            x0, y0 = x0 // 2 * 2, y0 // 2 * 2
            x1, y1 = min(prev.shape[1], -(-x1 // 2) * 2), min(prev.shape[0], -(-y1 // 2) * 2)
            small = half_size(prev[y0:y1, x0:x1])
            x0, y0 = x0 // 2, y0 // 2
            cur[y0:y0 + small.shape[0], x0:x0 + small.shape[1]] = small
            x1, y1 = x0 + small.shape[1], y0 + small.shape[0]

    def box_in_level(self, level: int, x0: float, y0: float, x1: float,
                     y1: float) -> tuple[int, int, int, int]:
        """A box in reference (photo) pixels as whole pixels of ``level``, clamped."""
        sx, sy = self.scale_of(level)
        lh, lw = self.levels[level].shape[:2]
        return (max(0, int(x0 / sx)), max(0, int(y0 / sy)),
                min(lw, int(np.ceil(x1 / sx))), min(lh, int(np.ceil(y1 / sy))))
