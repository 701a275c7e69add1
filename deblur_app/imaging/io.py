"""Reading and writing photos.

``read_photo`` turns a JPEG, PNG, TIFF, WebP or BMP file into a :class:`Photo`: float32 RGB
pixels in [0, 1], upright (EXIF orientation applied), with its alpha, bit depth, EXIF and ICC
profile kept for writing.  ``write_photo`` writes pixels back, by default in the manner of the
photo they came from, atomically (temporary file in the same folder, then a rename).

What is kept when writing (``exif``/``icc_profile``/``alpha`` come from ``like`` unless given):

==================  ===========  ========  =================  ==================================
format              bit depth    alpha     ICC profile        EXIF (Orientation always 1)
==================  ===========  ========  =================  ==================================
JPEG (Pillow)       8            dropped   yes, APP2          yes, APP1 (if over 64 KB: without
                                                              the thumbnail, else not at all)
PNG 8 (Pillow)      8            yes       yes, iCCP          yes, eXIf
PNG 16 (OpenCV)     16           yes, 16   yes, iCCP added    yes, eXIf added
TIFF (tifffile)     8 or 16      yes       yes, tag 34675     text IFD0 tags (Make, Model,
                                                              Artist, Copyright, DateTime, ...)
                                                              and the Exif and GPS sub-IFDs
WebP (Pillow)       8            yes       yes, ICCP          yes, EXIF chunk
BMP (Pillow)        8            dropped   no                 no
==================  ===========  ========  =================  ==================================

Reading keeps EXIF byte for byte (except Orientation, patched to 1) from JPEG, PNG and WebP;
from a TIFF it gathers the descriptive IFD0 tags and the Exif/GPS sub-IFDs (none from the few
TIFFs Pillow cannot open, such as float RGB).  An ICC profile is kept only if it describes RGB:
a grey profile is dropped when grey becomes RGB, and CMYK converted through its profile gets
the sRGB profile.  Lossy outputs use ``jpeg_quality``; JPEG at 90 or more keeps full colour
resolution (4:4:4).  XMP and IPTC are not carried.
"""

from __future__ import annotations

import functools
import io as _bytes_io
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import cv2
import numpy as np
import tifffile
from PIL import Image, ImageCms, UnidentifiedImageError

from deblur_app.atomic import atomic_write
from deblur_app.imaging.metadata import (
    append_tiff_sub_ifds,
    apply_orientation,
    exif_from_image,
    exif_without_thumbnail,
    orientation_of,
    png_with_metadata,
    reset_orientation,
    tiff_extratags,
)

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "SUPPORTED_EXTENSIONS",
    "ImageReadError",
    "ImageWriteError",
    "Photo",
    "format_for_suffix",
    "is_supported",
    "output_format_for",
    "read_photo",
    "write_photo",
]

DEFAULT_MAX_PIXELS = 200_000_000

SUPPORTED_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".jpe", ".png", ".tif", ".tiff", ".webp", ".bmp"}
)
_FORMAT_BY_EXTENSION = {
    ".jpg": "JPEG", ".jpeg": "JPEG", ".jpe": "JPEG", ".png": "PNG", ".tif": "TIFF",
    ".tiff": "TIFF", ".webp": "WEBP", ".bmp": "BMP",
}
_EXTENSION_BY_FORMAT = {
    "JPEG": ".jpg", "PNG": ".png", "TIFF": ".tif", "WEBP": ".webp", "BMP": ".bmp",
}
# Names accepted for a format, including Pillow's: an MPO is a camera JPEG with extra frames.
_FORMAT_ALIASES = {
    "JPEG": "JPEG", "JPG": "JPEG", "JPE": "JPEG", "MPO": "JPEG", "PNG": "PNG", "TIFF": "TIFF",
    "TIF": "TIFF", "WEBP": "WEBP", "BMP": "BMP",
}
_SIXTEEN_BIT_FORMATS = frozenset({"PNG", "TIFF"})
_ALPHA_FORMATS = frozenset({"PNG", "TIFF", "WEBP"})
_MAX_JPEG_EXIF = 65533  # one APP1 marker segment, "Exif\0\0" included


class ImageReadError(ValueError):
    """A photo could not be read; the message names the file and the reason."""

    def __init__(self, path: str | os.PathLike, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"Cannot read {self.path}: {reason}")


class ImageWriteError(OSError):
    """A photo could not be written; the message names the file and the reason."""

    def __init__(self, path: str | os.PathLike, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"Cannot write {self.path}: {reason}")

    def __str__(self) -> str:
        return f"Cannot write {self.path}: {self.reason}"


@dataclass(eq=False)
class Photo:
    """A decoded photo.

    ``pixels`` is float32 H x W x 3 RGB in [0, 1], upright; ``alpha`` float32 H x W in [0, 1]
    or None.  ``bit_depth`` is 8 or 16 (per channel, of the file); ``format`` the Pillow name
    (JPEG, PNG, TIFF, WEBP, BMP); ``exif`` APP1-style bytes (``Exif\\0\\0`` + TIFF structure)
    with Orientation reset to 1, or None; ``icc_profile`` the RGB profile bytes or None
    (meaning sRGB); ``mode`` the file's Pillow mode, with ``;16`` appended for 16-bit colour,
    which Pillow has no mode for (``RGB;16``, ``RGBA;16``).
    """

    pixels: np.ndarray
    alpha: np.ndarray | None = None
    bit_depth: int = 8
    format: str = "PNG"
    exif: bytes | None = None
    icc_profile: bytes | None = None
    source: Path = field(default_factory=Path)
    mode: str = "RGB"

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def megapixels(self) -> float:
        return self.width * self.height / 1e6


def is_supported(path: str | os.PathLike) -> bool:
    """Whether the file name has an extension Deblur Studio reads (case-insensitive)."""
    return Path(path).suffix.lower() in SUPPORTED_EXTENSIONS


def format_for_suffix(path: str | os.PathLike) -> str | None:
    """The Pillow format a file name's extension stands for ('JPEG', 'PNG', ...), or None."""
    return _FORMAT_BY_EXTENSION.get(Path(path).suffix.lower())


def output_format_for(photo_format: str, requested: str) -> tuple[str, str]:
    """``(Pillow format, extension)`` for an output choice 'same', 'png', 'jpg' or 'tif'.

    'same' keeps the photo's format (MPO counts as JPEG; anything unwritable becomes PNG).
    'jpeg', 'tiff', 'webp' and 'bmp' are accepted too.
    """
    choice = requested.strip().lower().lstrip(".")
    if choice == "same":
        fmt = _FORMAT_ALIASES.get((photo_format or "").upper(), "PNG")
    else:
        fmt = _FORMAT_ALIASES.get(choice.upper())
        if fmt is None:
            raise ValueError(f"unknown output format {requested!r}")
    return fmt, _EXTENSION_BY_FORMAT[fmt]


# ============================================================================================
# Reading
# ============================================================================================

def read_photo(path: str | os.PathLike, max_pixels: int = DEFAULT_MAX_PIXELS) -> Photo:
    """Read a photo file into a :class:`Photo`.

    Raises :class:`ImageReadError` (naming the file) when the file is missing, empty, not an
    image, of an unsupported format, truncated or damaged, or larger than ``max_pixels``.
    """
    path = Path(path)
    _check_file(path)
    _allow_pillow_up_to(max_pixels)
    with _read_errors(path):
        try:
            image = Image.open(path)
        except UnidentifiedImageError:
            if not _is_tiff(path):
                raise
            # TIFFs Pillow has no mode for (float RGB, 16-bit grey + alpha): tifffile alone
            return _read_tiff_without_pillow(path, max_pixels)
    with image, _read_errors(path):
        return _decode(path, image, max_pixels)


def _check_file(path: Path) -> None:
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ImageReadError(path, "file not found") from None
    except OSError as exc:
        raise ImageReadError(path, exc.strerror or str(exc)) from None
    if path.is_dir():
        raise ImageReadError(path, "this is a folder, not a photo")
    if info.st_size == 0:
        raise ImageReadError(path, "the file is empty (0 bytes)")


def _allow_pillow_up_to(max_pixels: int) -> None:
    # Pillow refuses images over twice its own global limit while opening them; our limit is
    # checked right after opening, so only ever raise Pillow's (never lower it).
    limit = Image.MAX_IMAGE_PIXELS
    if limit is not None and limit < max_pixels:
        Image.MAX_IMAGE_PIXELS = int(max_pixels)


@contextmanager
def _read_errors(path: Path) -> Iterator[None]:
    """Turn whatever a decoder raises into one ImageReadError naming the file."""
    try:
        yield
    except ImageReadError:
        raise
    except UnidentifiedImageError:
        raise ImageReadError(path, "not an image, or an image format Deblur Studio cannot "
                                   "read (use JPEG, PNG, TIFF, WebP or BMP)") from None
    except Image.DecompressionBombError:
        raise ImageReadError(path, "too many pixels (possible decompression bomb)") from None
    except PermissionError:
        raise ImageReadError(path, "permission denied") from None
    except FileNotFoundError:
        raise ImageReadError(path, "file not found") from None
    except MemoryError:
        raise ImageReadError(path, "not enough memory to decode it") from None
    except Exception as exc:  # every decoder has its own exceptions for damaged data
        detail = str(exc).strip() or type(exc).__name__
        raise ImageReadError(path, f"the file is damaged or truncated ({detail})") from exc


def _check_size(path: Path, width: int, height: int, max_pixels: int) -> None:
    if width < 1 or height < 1:
        raise ImageReadError(path, "the image has no pixels")
    if width * height > max_pixels:
        raise ImageReadError(
            path, f"too many pixels: {width} x {height} = {width * height / 1e6:.1f} "
                  f"megapixels, the limit is {max_pixels / 1e6:g} megapixels")


def _decode(path: Path, image: Image.Image, max_pixels: int) -> Photo:
    fmt = _FORMAT_ALIASES.get(image.format or "")
    if fmt is None:
        raise ImageReadError(path, f"unsupported image format {image.format} "
                                   "(use JPEG, PNG, TIFF, WebP or BMP)")
    _check_size(path, *image.size, max_pixels)
    icc = image.info.get("icc_profile") or None
    mode = image.mode
    if fmt == "PNG":
        image.load()  # validates the whole stream and finds an eXIf chunk after the pixels
    orientation = orientation_of(image)
    exif = exif_from_image(image)

    decoded = None
    if fmt == "TIFF" and _tiff_bits(image) > 8:
        try:
            decoded = _deep_tiff_pixels(path)
        except Exception as exc:
            try:
                image.load()  # last resort: Pillow, which reduces to 8 bits
            except Exception:
                raise ImageReadError(path, f"cannot decode this TIFF ({exc})") from None
    elif fmt == "PNG" and _png_bit_depth(path) == 16:
        image.close()  # drop Pillow's 8-bit copy before decoding the 16-bit data
        decoded = _opencv_pixels(path)
    else:
        image.load()
    if decoded is not None:
        pixels, alpha, deep = decoded
        if deep and not any(tag in mode for tag in (";16", "I", "F")):
            mode += ";16"
    else:
        pixels, alpha, deep, icc = _from_pillow(image, icc)
    return _photo(path, pixels, alpha, orientation, deep=deep, fmt=fmt, exif=exif, icc=icc,
                  mode=mode)


def _photo(path: Path, pixels: np.ndarray, alpha: np.ndarray | None, orientation: int, *,
           deep: bool, fmt: str, exif: bytes | None, icc: bytes | None, mode: str) -> Photo:
    pixels = apply_orientation(pixels, orientation)
    if alpha is not None:
        alpha = apply_orientation(alpha, orientation)
    if icc is not None and icc[16:20] != b"RGB ":
        icc = None  # a grey or CMYK profile does not describe the RGB pixels we now hold
    return Photo(pixels=pixels, alpha=alpha, bit_depth=16 if deep else 8, format=fmt,
                 exif=exif, icc_profile=icc, source=path, mode=mode)


def _is_tiff(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(4) in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")


def _tiff_bits(image: Image.Image) -> int:
    bits = getattr(image, "tag_v2", {}).get(258, 8)
    if isinstance(bits, (tuple, list)):
        return max(int(b) for b in bits) if bits else 8
    return int(bits)


def _png_bit_depth(path: Path) -> int:
    with open(path, "rb") as fh:
        header = fh.read(25)
    return header[24] if len(header) == 25 and header[12:16] == b"IHDR" else 8


def _to_unit_float(array: np.ndarray) -> np.ndarray:
    """Integer or float samples to float32 in [0, 1]."""
    if array.dtype.kind == "f":
        out = np.nan_to_num(array.astype(np.float32), nan=0.0)
        return np.clip(out, 0.0, 1.0, out=out)
    if array.dtype.kind in "iu":
        top = 65535 if array.dtype.itemsize >= 2 else 255
        if array.dtype.itemsize > 2 or array.dtype.kind == "i":
            array = np.clip(array, 0, top)
        out = array.astype(np.float32)
        out *= np.float32(1.0 / top)
        return out
    if array.dtype == bool:
        return array.astype(np.float32)
    raise ValueError(f"unsupported sample type {array.dtype}")


def _split_channels(array: np.ndarray, bgr: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """H x W (x C) samples to float RGB and optional alpha; C in 1..4, BGR order if ``bgr``."""
    if array.ndim == 2:
        array = array[:, :, None]
    channels = array.shape[2]
    alpha = None
    if channels in (2, 4):
        alpha = _to_unit_float(array[:, :, -1])
        array = array[:, :, :-1]
        channels -= 1
    if channels == 1:
        grey = _to_unit_float(array[:, :, 0])
        return np.repeat(grey[:, :, None], 3, axis=2), alpha
    if channels != 3:
        raise ValueError(f"{array.shape[2]} colour channels")
    if bgr:
        array = array[:, :, ::-1]
    return np.ascontiguousarray(_to_unit_float(array)), alpha


def _opencv_pixels(path: Path) -> tuple[np.ndarray, np.ndarray | None, bool]:
    data = np.fromfile(path, dtype=np.uint8)  # imdecode also copes with non-ASCII paths
    array = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if array is None:
        raise ValueError("OpenCV could not decode the pixel data")
    pixels, alpha = _split_channels(array, bgr=True)
    return pixels, alpha, array.dtype.itemsize > 1


def _tifffile_pixels(page) -> tuple[np.ndarray, np.ndarray | None, bool]:
    """Pixels of a tifffile page that holds grey or RGB, with an optional extra alpha."""
    array = page.asarray()
    axes = page.axes
    photometric = int(page.photometric)
    extrasamples = tuple(int(e) for e in page.extrasamples)
    if axes.startswith("S") and array.ndim == 3:
        array = np.moveaxis(array, 0, -1)
    if array.ndim not in (2, 3) or photometric not in (0, 1, 2):
        raise NotImplementedError(f"photometric {photometric}, axes {axes}")
    if photometric == 0:  # min-is-white grey
        top = 1.0 if array.dtype.kind == "f" else np.iinfo(array.dtype).max
        array = top - array
    samples = 1 if array.ndim == 2 else array.shape[2]
    colours = 3 if photometric == 2 else 1
    if samples > colours:
        array = array[:, :, :colours + 1]
        if not extrasamples or extrasamples[0] == 0:  # unspecified extra sample: ignore
            array = array[:, :, :colours]
    pixels, alpha = _split_channels(array, bgr=False)
    if alpha is not None and extrasamples and extrasamples[0] == 1:  # premultiplied
        safe = np.where(alpha > 0, alpha, 1.0)[:, :, None]
        pixels = np.clip(pixels / safe, 0.0, 1.0).astype(np.float32)
    return pixels, alpha, array.dtype.itemsize > 1


def _deep_tiff_pixels(path: Path) -> tuple[np.ndarray, np.ndarray | None, bool]:
    """16-bit (or float) TIFF pixels via tifffile, falling back to OpenCV (e.g. LZW)."""
    try:
        with tifffile.TiffFile(path) as tif:
            return _tifffile_pixels(tif.pages[0])
    except Exception as tiff_error:
        try:
            return _opencv_pixels(path)
        except Exception:
            raise tiff_error from None


def _read_tiff_without_pillow(path: Path, max_pixels: int) -> Photo:
    with tifffile.TiffFile(path) as tif:
        page = tif.pages[0]
        _check_size(path, int(page.imagewidth), int(page.imagelength), max_pixels)
        tags = page.tags
        orientation = int(tags[274].value) if 274 in tags else 1
        icc = tags[34675].value if 34675 in tags else None
        pixels, alpha, deep = _tifffile_pixels(page)
        kind = "F" if page.dtype is not None and page.dtype.kind == "f" else ""
        mode = ("RGB" if int(page.photometric) == 2 else "L") + ("A" if alpha is not None else "")
        mode += f";{page.bitspersample}{kind}"
    return _photo(path, pixels, alpha, orientation if 1 <= orientation <= 8 else 1,
                  deep=deep, fmt="TIFF", exif=None, icc=bytes(icc) if icc else None, mode=mode)


def _from_pillow(image: Image.Image, icc: bytes | None):
    """Pixels of a loaded Pillow image: (rgb, alpha, is_16_bit, icc)."""
    mode = image.mode
    if mode == "CMYK":
        image, icc = _cmyk_to_rgb(image, icc)
        mode = "RGB"
    elif mode in ("P", "PA"):
        has_alpha = mode == "PA" or image.has_transparency_data
        image = image.convert("RGBA" if has_alpha else "RGB")
        mode = image.mode
    elif mode in ("RGBa", "La"):
        image = image.convert("RGBA")
        mode = "RGBA"
    elif mode == "RGBX":
        image = image.convert("RGB")
        mode = "RGB"
    elif mode not in ("1", "L", "LA", "RGB", "RGBA", "I", "F") and not mode.startswith("I;16"):
        image = image.convert("RGB")  # YCbCr, LAB, HSV...
        mode = "RGB"
    array = np.asarray(image)
    deep = mode.startswith("I") or mode == "F"
    if mode.startswith("I;16") and array.dtype != np.uint16:
        array = array.astype(np.uint16)
    if mode == "I":
        array = np.clip(array, 0, 65535).astype(np.uint16)
    pixels, alpha = _split_channels(array, bgr=False)
    return pixels, alpha, deep, icc


@functools.lru_cache(maxsize=1)
def _srgb_profile_bytes() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _cmyk_to_rgb(image: Image.Image, icc: bytes | None) -> tuple[Image.Image, bytes | None]:
    """CMYK to sRGB through the embedded profile when there is one, else Pillow's formula."""
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(_bytes_io.BytesIO(icc))
            target = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
            converted = ImageCms.profileToProfile(
                image, source, target, renderingIntent=ImageCms.Intent.PERCEPTUAL,
                outputMode="RGB")
            if converted is not None:
                return converted, _srgb_profile_bytes()
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # a broken profile: fall back to the plain conversion
    return image.convert("RGB"), None


# ============================================================================================
# Writing
# ============================================================================================

def write_photo(
    path: str | os.PathLike,
    pixels: np.ndarray,
    like: Photo | None = None,
    *,
    format: str | None = None,
    bit_depth: int | None = None,
    jpeg_quality: int = 95,
    alpha: np.ndarray | None = None,
    exif: bytes | None = None,
    icc_profile: bytes | None = None,
) -> Path:
    """Write float RGB ``pixels`` (H x W x 3, clipped to [0, 1]) to ``path``; return the path.

    The format is ``format`` if given, else the one the path's extension names, else
    ``like.format``.  ``bit_depth``, ``exif``, ``icc_profile`` and ``alpha`` default to those
    of ``like``; pass ``b""`` for ``exif`` or ``icc_profile`` to write none.  An alpha whose
    size differs from the pixels' is resized to match (area filter when shrinking).  16 bits
    are written for PNG and TIFF only; other formats get 8.  See the module docstring for
    what each format keeps.  The file is written to a temporary file in the same folder
    (:mod:`deblur_app.atomic`), synced and renamed into place; on any error the partial file
    is removed and an existing file at ``path`` is left untouched.  Writing over ``like.source`` is refused.

    Raises :class:`ImageWriteError` for failures of the file system or the encoder and
    ``ValueError`` for invalid arguments.
    """
    target = Path(path)
    fmt = _resolve_format(format, target, like)
    pixels = _as_rgb(pixels)
    height, width = pixels.shape[:2]
    depth = bit_depth if bit_depth is not None else (like.bit_depth if like else 8)
    if depth not in (8, 16):
        raise ValueError(f"bit_depth must be 8 or 16, not {depth!r}")
    if fmt not in _SIXTEEN_BIT_FORMATS:
        depth = 8
    if alpha is None and like is not None:
        alpha = like.alpha
    if fmt not in _ALPHA_FORMATS:
        alpha = None
    if alpha is not None:
        alpha = _fit_alpha(alpha, height, width)
    exif_bytes = reset_orientation(exif if exif is not None else (like.exif if like else None))
    icc = icc_profile if icc_profile is not None else (like.icc_profile if like else None)
    icc = icc or None
    quality = int(min(max(jpeg_quality, 1), 100))
    if like is not None and _same_file(target, like.source):
        raise ImageWriteError(target, "refusing to overwrite the original photo")

    if depth == 16 and fmt == "PNG":
        def encode(fh: BinaryIO) -> None:
            _encode_png16(fh, pixels, alpha, exif_bytes, icc)
    elif fmt == "TIFF":
        def encode(fh: BinaryIO) -> None:
            _encode_tiff(fh, pixels, alpha, exif_bytes, icc, depth)
    else:
        def encode(fh: BinaryIO) -> None:
            _encode_with_pillow(fh, fmt, pixels, alpha, exif_bytes, icc, quality)
    _write_atomically(target, encode, fmt)
    return target


def _resolve_format(format: str | None, target: Path, like: Photo | None) -> str:
    if format:
        fmt = _FORMAT_ALIASES.get(format.strip().upper().lstrip("."))
        if fmt is None:
            raise ValueError(f"unsupported output format {format!r}")
        return fmt
    fmt = format_for_suffix(target)
    if fmt is None and like is not None:
        fmt = _FORMAT_ALIASES.get(like.format.upper())
    if fmt is None:
        raise ValueError(f"cannot tell the output format of {target}: give a known extension "
                         "or format=")
    return fmt


def _as_rgb(pixels: np.ndarray) -> np.ndarray:
    array = np.asarray(pixels)
    if array.ndim != 3 or array.shape[2] != 3:
        raise ValueError(f"pixels must be H x W x 3, not {array.shape}")
    if array.dtype.kind != "f":
        raise ValueError(f"pixels must be floating point in [0, 1], not {array.dtype}")
    if array.shape[0] < 1 or array.shape[1] < 1:
        raise ValueError("pixels are empty")
    return array


def _fit_alpha(alpha: np.ndarray, height: int, width: int) -> np.ndarray:
    array = np.asarray(alpha, dtype=np.float32)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim != 2:
        raise ValueError(f"alpha must be H x W, not {array.shape}")
    if array.shape != (height, width):
        shrinking = array.shape[0] * array.shape[1] > height * width
        array = cv2.resize(array, (width, height),
                           interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)
    return array


def _quantize(array: np.ndarray, depth: int) -> np.ndarray:
    """[0, 1] floats to uint8/uint16: clip, scale, add 0.5, truncate."""
    top = 255.0 if depth == 8 else 65535.0
    out = np.nan_to_num(np.asarray(array, dtype=np.float32), nan=0.0)  # always a copy
    np.clip(out, 0.0, 1.0, out=out)
    out *= np.float32(top)
    out += np.float32(0.5)
    return out.astype(np.uint8 if depth == 8 else np.uint16)


def _with_alpha(rgb: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    return rgb if alpha is None else np.dstack((rgb, alpha))


def _encode_with_pillow(fh: BinaryIO, fmt: str, pixels: np.ndarray, alpha: np.ndarray | None,
                        exif: bytes | None, icc: bytes | None, quality: int) -> None:
    rgb = _quantize(pixels, 8)
    data = _with_alpha(rgb, None if alpha is None else _quantize(alpha, 8))
    image = Image.fromarray(data, "RGBA" if alpha is not None else "RGB")
    params: dict = {}
    if fmt != "BMP":
        if icc:
            params["icc_profile"] = icc
        if exif and fmt == "JPEG" and len(exif) > _MAX_JPEG_EXIF:
            exif = exif_without_thumbnail(exif)
            if exif and len(exif) > _MAX_JPEG_EXIF:
                exif = None
        if exif:
            params["exif"] = exif
    if fmt == "JPEG":
        params.update(quality=quality, subsampling=0 if quality >= 90 else 2)
    elif fmt == "WEBP":
        params.update(quality=quality, method=4, exact=True)  # keep RGB under clear alpha
    image.save(fh, format=fmt, **params)


def _encode_png16(fh: BinaryIO, pixels: np.ndarray, alpha: np.ndarray | None,
                  exif: bytes | None, icc: bytes | None) -> None:
    bgr = _quantize(pixels, 16)[:, :, ::-1]
    data = _with_alpha(bgr, None if alpha is None else _quantize(alpha, 16))
    ok, encoded = cv2.imencode(".png", np.ascontiguousarray(data),
                               [cv2.IMWRITE_PNG_COMPRESSION, 4])
    if not ok:
        raise ValueError("OpenCV could not encode the PNG")
    fh.write(png_with_metadata(encoded.tobytes(), icc_profile=icc, exif=exif))


def _encode_tiff(fh: BinaryIO, pixels: np.ndarray, alpha: np.ndarray | None,
                 exif: bytes | None, icc: bytes | None, depth: int) -> None:
    # tifffile for both depths: Pillow's compressed (libtiff) TIFF writer rejects EXIF sub-IFDs
    rgb = _quantize(pixels, depth)
    data = _with_alpha(rgb, None if alpha is None else _quantize(alpha, depth))
    extratags, sub_ifds = tiff_extratags(exif)
    tifffile.imwrite(
        fh, data, photometric="rgb", extrasamples=(2,) if alpha is not None else None,
        compression="zlib", predictor=True, iccprofile=icc, metadata=None, software=False,
        extratags=extratags, bigtiff=data.nbytes > 3_500_000_000)
    append_tiff_sub_ifds(fh, sub_ifds)


def _same_file(a: Path, b: Path | None) -> bool:
    if not b or not str(b) or str(b) == ".":
        return False
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _write_atomically(target: Path, encode: Callable[[BinaryIO], None], fmt: str) -> None:
    """:func:`deblur_app.atomic.atomic_write`, its errors as :class:`ImageWriteError`."""
    try:
        atomic_write(target, encode)
    except FileNotFoundError:
        raise ImageWriteError(target, "the folder does not exist") from None
    except OSError as exc:
        raise ImageWriteError(target, exc.strerror or str(exc)) from exc
    except Exception as exc:  # noqa: BLE001 - an encoder's failure, named
        raise ImageWriteError(target, f"could not encode {fmt}: {exc}") from exc


SOFTWARE_NAME = "Deblur Studio"


def written_by_us(path: str | os.PathLike) -> bool:
    """Whether the file carries Deblur Studio's processing record (looked for in its metadata
    blocks, which every format we write keeps near its start or its end)."""
    mark = SOFTWARE_NAME.encode()
    try:
        with open(path, "rb") as fh:
            head = fh.read(1 << 20)
            if mark in head:
                return True
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            if size <= len(head):
                return False
            fh.seek(max(len(head), size - (1 << 20)))
            return mark in fh.read()
    except OSError:
        return False
