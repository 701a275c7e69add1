"""Camera RAW files (DNG, CR2, CR3, NEF, ARW, RAF, ORF, RW2, PEF...) through LibRaw (rawpy).

:func:`read_raw` demosaics with the camera's white balance into 16-bit sRGB (sRGB primaries
and tone curve), upright (LibRaw applies the camera's orientation).  With ``preview=True`` it
returns quickly instead: the camera's embedded JPEG preview when there is one, else a
half-size demosaic, in 8 bits, for the window to show while the full photo is read.  The
metadata (EXIF, XMP, sidecar) is read by :mod:`.metadata`, not here.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import rawpy
from PIL import Image, ImageOps

__all__ = ["DecodedRaw", "RawReadError", "read_raw"]

# sRGB's tone curve in LibRaw's terms: (power, toe slope)
_SRGB_GAMMA = (2.4, 12.92)
# Share of the brightest pixels LibRaw's automatic brightening may clip (LibRaw's own default,
# 1 %, visibly clips highlights that a photographer wants to keep).
_AUTO_BRIGHT_CLIP = 0.001


class RawReadError(ValueError):
    """LibRaw could not read the file; the message is the reason in words."""


@dataclass
class DecodedRaw:
    pixels: np.ndarray                  # H x W x 3 uint16 (full) or uint8 (preview), upright
    notes: list[str] = field(default_factory=list)


def read_raw(path: str | Path, max_pixels: int, *, preview: bool = False) -> DecodedRaw:
    """Demosaic a camera RAW (see the module docstring); raises :class:`RawReadError`."""
    try:
        with rawpy.imread(str(path)) as raw:
            width, height = raw.sizes.width, raw.sizes.height
            if width * height > max_pixels:
                raise RawReadError(f"too many pixels: {width} x {height} = "
                                   f"{width * height / 1e6:.1f} megapixels, the limit is "
                                   f"{max_pixels / 1e6:g} megapixels")
            if preview:
                thumb = _embedded_preview(raw)
                if thumb is not None:
                    return DecodedRaw(thumb, ["embedded preview of the RAW"])
            rgb = raw.postprocess(
                use_camera_wb=True, output_color=rawpy.ColorSpace.sRGB, gamma=_SRGB_GAMMA,
                output_bps=8 if preview else 16, half_size=preview,
                auto_bright_thr=_AUTO_BRIGHT_CLIP)
    except rawpy.LibRawFileUnsupportedError:
        raise RawReadError("not a camera RAW that LibRaw can read") from None
    except rawpy.LibRawIOError:
        raise RawReadError("the RAW file is truncated or cannot be read") from None
    except rawpy.LibRawError as exc:
        raise RawReadError(f"LibRaw could not decode it ({type(exc).__name__})") from None
    notes = ["half-size preview of the RAW"] if preview else []
    return DecodedRaw(np.ascontiguousarray(rgb), notes)


def _embedded_preview(raw) -> np.ndarray | None:
    """The camera's JPEG (or bitmap) preview, upright, or None."""
    try:
        thumb = raw.extract_thumb()
    except (rawpy.LibRawNoThumbnailError, rawpy.LibRawUnsupportedThumbnailError):
        return None
    except rawpy.LibRawError:
        return None
    if thumb.format == rawpy.ThumbFormat.BITMAP:
        pixels = np.asarray(thumb.data)
    else:
        try:
            with Image.open(io.BytesIO(thumb.data)) as image:
                if image.getexif().get(0x0112, 1) != 1:
                    return np.asarray(ImageOps.exif_transpose(image).convert("RGB"))
                pixels = np.asarray(image.convert("RGB"))
        except Exception:  # a damaged preview: fall back to demosaicing
            return None
    # the preview is stored as the sensor is; LibRaw's flip: 3 = 180 degrees, 5 = 90 degrees
    # counter-clockwise, 6 = 90 degrees clockwise
    turns = {3: 2, 5: 1, 6: -1}.get(int(raw.sizes.flip), 0)
    return np.ascontiguousarray(np.rot90(pixels, turns))
