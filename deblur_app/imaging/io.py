"""Reading and writing photos.

``read_photo`` turns a JPEG, PNG, TIFF, WebP, BMP, HEIC/HEIF, AVIF or camera RAW file into a
:class:`Photo`: float32 RGB pixels in [0, 1], upright (EXIF orientation applied), with its
alpha, bit depth, metadata (EXIF, IPTC, XMP through exiv2, see :mod:`.metadata`) and ICC profile
kept for writing.  ``write_photo`` writes pixels back, by default in the manner of the photo they
came from, atomically (temporary file in the same folder, then a rename).

==================  ===========  ========  =================  ==================================
format              bit depth    alpha     ICC profile        EXIF, IPTC, XMP
==================  ===========  ========  =================  ==================================
JPEG (Pillow)       8            dropped   yes                all three, written by exiv2
PNG 8 (Pillow)      8            yes       yes                all three, written by exiv2
PNG 16 (OpenCV)     16           yes, 16   yes (exiv2)        all three, written by exiv2
TIFF (tifffile)     8 or 16      yes       yes                all three, written by exiv2
WebP (Pillow)       8            yes       yes                EXIF and XMP, written by exiv2
HEIC (pillow-heif)  8            yes       yes                EXIF and XMP, by the encoder
AVIF (Pillow)       8            yes       yes                EXIF and XMP, by the encoder
BMP (Pillow)        8            dropped   no                 none
==================  ===========  ========  =================  ==================================

The IPTC fields are mirrored into XMP, so formats without IPTC keep them there.  An ICC profile
is kept only if it describes RGB: a grey profile is dropped when grey becomes RGB, and CMYK
converted through its profile gets the sRGB profile.  A camera RAW (``format == "RAW"``) is
demosaiced by :mod:`.raw` and written as a 16-bit TIFF when the output format is "same".  Lossy
outputs use ``jpeg_quality``; JPEG at 90 or more keeps full colour resolution (4:4:4).
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
import pillow_heif
import tifffile
from exiv2 import Exiv2Error
from PIL import Image, ImageCms, UnidentifiedImageError

from deblur_app.atomic import FileId, atomic_write
from deblur_app.imaging import raw as _raw
from deblur_app.imaging.integrity import DamagedFile, check_data, sniff_format
from deblur_app.imaging.formats import (
    FORMAT_ALIASES as _FORMAT_ALIASES,
    SUPPORTED_EXTENSIONS,
    format_for_suffix,
    is_raw,
    is_supported,
    open_dialog_filter,
    output_format_for,
)
from deblur_app.imaging.metadata import (
    EMBEDDED_BY_EXIV2,
    IPTC_MIRRORED,
    ORIENTATION_TAG,
    Metadata,
    apply_orientation,
    bmp_with_xmp,
    embed,
    orientation_of,
    read_metadata,
    read_sidecar,
    sidecars_of,
)
from deblur_app.imaging.record import ProcessingRecord, write_record

pillow_heif.register_heif_opener()  # HEIC/HEIF through Pillow's API (AVIF is Pillow's own)

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "SUPPORTED_EXTENSIONS",
    "ImageReadError",
    "ImageWriteError",
    "Photo",
    "ProcessingRecord",
    "format_for_suffix",
    "is_raw",
    "is_supported",
    "open_dialog_filter",
    "output_format_for",
    "read_photo",
    "read_raw_preview",
    "write_photo",
]

DEFAULT_MAX_PIXELS = 200_000_000

_SIXTEEN_BIT_FORMATS = frozenset({"PNG", "TIFF"})
_ALPHA_FORMATS = frozenset({"PNG", "TIFF", "WEBP", "HEIF", "AVIF"})
_READ_FORMATS = "JPEG, PNG, TIFF, WebP, BMP, HEIC, AVIF or a camera RAW"


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
    (JPEG, PNG, TIFF, WEBP, BMP, HEIF, AVIF) or RAW; ``metadata`` its EXIF, IPTC and XMP
    (exiv2), already upright (Orientation 1); ``icc_profile`` the RGB profile bytes or None
    (meaning sRGB); ``mode`` the file's Pillow mode, with ``;16`` appended for 16-bit colour,
    which Pillow has no mode for (``RGB;16``, ``RGBA;16``); ``notes`` what the user should
    know about the reading (only the first frame of an animation, unreadable metadata...).
    """

    pixels: np.ndarray
    alpha: np.ndarray | None = None
    bit_depth: int = 8
    format: str = "PNG"
    metadata: Metadata = field(default_factory=Metadata)
    icc_profile: bytes | None = None
    source: Path = field(default_factory=Path)
    mode: str = "RGB"
    notes: list[str] = field(default_factory=list)

    @property
    def exif(self) -> bytes | None:
        """The EXIF as a JPEG APP1 payload (``Exif\\0\\0`` + TIFF structure), or None."""
        return self.metadata.exif_bytes()

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def megapixels(self) -> float:
        return self.width * self.height / 1e6


# ============================================================================================
# Reading
# ============================================================================================

def read_photo(path: str | os.PathLike, max_pixels: int = DEFAULT_MAX_PIXELS) -> Photo:
    """Read a photo file into a :class:`Photo`.

    Raises :class:`ImageReadError` (naming the file) when the file is missing, empty, not an
    image, of an unsupported format, truncated or damaged, or larger than ``max_pixels``.
    Unreadable metadata does not stop the photo: it is left out and ``notes`` says so.
    """
    path = Path(path)
    _check_file(path)
    if is_raw(path):
        return _read_raw(path, max_pixels, preview=False)
    _allow_pillow_up_to(max_pixels)
    with _read_errors(path):
        try:
            image = Image.open(path)
        except UnidentifiedImageError:
            if not _is_tiff(path):
                _check_data(path, sniff_format(path), 1, 1)   # damaged rather than unknown?
                raise
            # TIFFs Pillow has no mode for (float RGB, 16-bit grey + alpha): tifffile alone
            return _with_metadata(_read_tiff_without_pillow(path, max_pixels))
    with image, _read_errors(path):
        return _with_metadata(_decode(path, image, max_pixels))


def read_raw_preview(path: str | os.PathLike, max_pixels: int = DEFAULT_MAX_PIXELS) -> Photo:
    """A quick look at a camera RAW: its embedded preview, else a half-size demosaic.

    The pixels are for showing only (8-bit, possibly smaller than the RAW); read the photo
    with :func:`read_photo` for processing.  Raises :class:`ImageReadError` like it.
    """
    path = Path(path)
    _check_file(path)
    return _read_raw(path, max_pixels, preview=True)


def _read_raw(path: Path, max_pixels: int, preview: bool) -> Photo:
    with _read_errors(path):
        try:
            decoded = _raw.read_raw(path, max_pixels, preview=preview)
        except _raw.RawReadError as exc:
            raise ImageReadError(path, str(exc)) from None
    pixels, alpha = _split_channels(decoded.pixels, bgr=False)
    photo = Photo(pixels=pixels, alpha=alpha, bit_depth=16 if decoded.pixels.itemsize > 1 else 8,
                  format="RAW", icc_profile=_srgb_profile_bytes(), source=path,
                  mode="RGB;16" if decoded.pixels.itemsize > 1 else "RGB",
                  notes=list(decoded.notes))
    photo = _with_metadata(photo)
    for sidecar in sidecars_of(path):
        xmp = read_sidecar(sidecar) if sidecar.is_file() else None
        if xmp is not None:
            photo.metadata.merge_xmp(xmp)
            photo.notes.append(f"XMP sidecar {sidecar.name} carried over")
            break
    return photo


def _with_metadata(photo: Photo) -> Photo:
    """``photo`` with the EXIF, IPTC and XMP of its file (exiv2); a note if unreadable.  For
    HEIC and AVIF, what exiv2 does not find (it misses the items of many tools' HEICs) is
    taken from the decoder (libheif, libavif)."""
    try:
        photo.metadata = read_metadata(photo.source)
    except (OSError, ValueError) as exc:
        photo.notes.append(f"{photo.source.name}: metadata left out: {exc}")
    return photo


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
                                   f"read (use {_READ_FORMATS})") from None
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


def _check_data(path: Path, fmt: str, width: int, height: int) -> None:
    """A truncated file, or a header its data cannot back, named as damaged before decoding
    (see :mod:`.integrity`)."""
    try:
        check_data(path, fmt, width, height)
    except DamagedFile as exc:
        raise ImageReadError(path, str(exc)) from None


def _decode(path: Path, image: Image.Image, max_pixels: int) -> Photo:
    fmt = _FORMAT_ALIASES.get(image.format or "")
    if fmt is None:
        raise ImageReadError(path, f"unsupported image format {image.format} "
                                   f"(use {_READ_FORMATS})")
    _check_size(path, *image.size, max_pixels)
    _check_data(path, fmt, *image.size)
    icc = image.info.get("icc_profile") or None
    mode = image.mode
    notes = _frame_notes(image, fmt)
    if fmt == "PNG":
        image.load()  # validates the whole stream and finds an eXIf chunk after the pixels
    orientation = orientation_of(image)

    decoded = None
    if fmt == "TIFF" and _tiff_bits(image) > 8:
        try:
            decoded, upright = _deep_tiff_pixels(path)
            if upright:
                orientation = 1   # OpenCV's TIFF decoder turned it already: turn it once
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
        if fmt == "TIFF" and ORIENTATION_TAG not in image.tag_v2:
            # Pillow turns a TIFF upright while loading it, and then drops the tag
            orientation = 1
    photo = _photo(path, pixels, alpha, orientation, deep=deep, fmt=fmt, icc=icc, mode=mode)
    photo.notes.extend(notes)
    return photo


def _frame_notes(image: Image.Image, fmt: str) -> list[str]:
    frames = getattr(image, "n_frames", 1) or 1
    if frames <= 1 or fmt == "JPEG":  # an MPO's extra frames are previews, not photos
        return []
    what = "pages" if fmt == "TIFF" else "frames"
    return [f"{image.filename and Path(image.filename).name}: only the first of its "
            f"{frames} {what} was processed"]


def _photo(path: Path, pixels: np.ndarray, alpha: np.ndarray | None, orientation: int, *,
           deep: bool, fmt: str, icc: bytes | None, mode: str) -> Photo:
    pixels = apply_orientation(pixels, orientation)
    if alpha is not None:
        alpha = apply_orientation(alpha, orientation)
    if icc is not None and icc[16:20] != b"RGB ":
        icc = None  # a grey or CMYK profile does not describe the RGB pixels we now hold
    return Photo(pixels=pixels, alpha=alpha, bit_depth=16 if deep else 8, format=fmt,
                 icc_profile=icc, source=path, mode=mode)


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
        top = np.iinfo(array.dtype).max  # uint32 spans 0..2**32-1, not 0..65535
        if array.dtype.kind == "i":
            array = np.clip(array, 0, top)
        out = array.astype(np.float64 if array.dtype.itemsize > 2 else np.float32)
        out *= 1.0 / top
        return out.astype(np.float32, copy=False)
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


def _deep_tiff_pixels(path: Path):
    """16-bit (or float) TIFF pixels via tifffile, falling back to OpenCV (e.g. LZW, which
    tifffile cannot decode without imagecodecs): ``((rgb, alpha, deep), upright)``, where
    ``upright`` says the orientation was applied already (OpenCV's TIFF decoder applies the
    Orientation tag itself, whatever the flags)."""
    try:
        with tifffile.TiffFile(path) as tif:
            return _tifffile_pixels(tif.pages[0]), False
    except Exception as tiff_error:
        try:
            return _opencv_pixels(path), True
        except Exception:
            raise tiff_error from None


def _read_tiff_without_pillow(path: Path, max_pixels: int) -> Photo:
    with tifffile.TiffFile(path) as tif:
        page = tif.pages[0]
        pages = len(tif.pages)
        _check_size(path, int(page.imagewidth), int(page.imagelength), max_pixels)
        _check_data(path, "TIFF", int(page.imagewidth), int(page.imagelength))
        tags = page.tags
        orientation = int(tags[274].value) if 274 in tags else 1
        icc = tags[34675].value if 34675 in tags else None
        pixels, alpha, deep = _tifffile_pixels(page)
        kind = "F" if page.dtype is not None and page.dtype.kind == "f" else ""
        mode = ("RGB" if int(page.photometric) == 2 else "L") + ("A" if alpha is not None else "")
        mode += f";{page.bitspersample}{kind}"
    photo = _photo(path, pixels, alpha, orientation if 1 <= orientation <= 8 else 1,
                   deep=deep, fmt="TIFF", icc=bytes(icc) if icc else None, mode=mode)
    if pages > 1:
        photo.notes.append(f"{path.name}: only the first of its {pages} pages was processed")
    return photo


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
    fmt: str | None = None,
    bit_depth: int | None = None,
    jpeg_quality: int = 95,
    alpha: np.ndarray | None = None,
    exif: bytes | None = None,
    icc_profile: bytes | None = None,
    metadata: Metadata | None = None,
    record: ProcessingRecord | None = None,
    notes: list[str] | None = None,
    replace: "bool | FileId" = True,
) -> Path:
    """Write float RGB ``pixels`` (H x W x 3, clipped to [0, 1]) to ``path``; return the path.

    The format is ``fmt`` if given, else the one the path's extension names, else
    ``like.format``.  ``bit_depth``, ``exif``, ``icc_profile`` and ``alpha`` default to those
    of ``like``, and so does ``metadata`` (EXIF, IPTC, XMP); ``exif`` (an EXIF block) replaces
    the metadata's EXIF; pass ``b""`` for ``exif`` or ``icc_profile`` to write none.  The
    output states Orientation 1 and its own pixel size, and has no embedded thumbnail;
    ``record`` adds the processing record to its XMP (see :mod:`.record`).  Metadata exiv2
    cannot write is left out rather than failing the photo (first the EXIF, then all of it),
    and a sentence saying so is appended to ``notes`` when given.  An alpha whose
    size differs from the pixels' is resized to match (area filter when shrinking).  16 bits
    are written for PNG and TIFF only; other formats get 8.  See the module docstring for
    what each format keeps.  The file is written to a temporary file in the same folder
    (:mod:`deblur_app.atomic`), synced and renamed into place; on any error the partial file
    is removed and an existing file at ``path`` is left untouched.  Writing over
    ``like.source`` is refused.  ``replace`` (see :func:`deblur_app.atomic.atomic_write`):
    False never replaces a file (``FileExistsError`` if the name was taken meanwhile), a
    ``FileId`` only that file.

    Raises :class:`ImageWriteError` for failures of the file system or the encoder and
    ``ValueError`` for invalid arguments.
    """
    target = Path(path)
    fmt = _resolve_format(fmt, target, like)
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
    icc = icc_profile if icc_profile is not None else (like.icc_profile if like else None)
    icc = icc or None
    quality = int(min(max(jpeg_quality, 1), 100))
    if like is not None and _same_file(target, like.source):
        raise ImageWriteError(target, "refusing to overwrite the original photo")
    meta = _output_metadata(like, metadata, exif, width, height)
    dropped = _left_out_by(fmt, meta)
    if dropped and notes is not None and like is not None:
        note = f"{like.source.name}: {dropped} (no place for it in {fmt})"
        if note not in notes:
            notes.append(note)
    if record is not None:
        source_format = like.format if like is not None else fmt
        write_record(meta, record, converted=output_format_for(source_format, "same")[0] != fmt
                     or source_format == "RAW")

    def encode(fh: BinaryIO) -> None:
        if fmt == "BMP":   # no metadata in BMP; the XMP (our record) in its header gap
            buffer = _bytes_io.BytesIO()
            _encode_with_pillow(buffer, fmt, pixels, alpha, quality=quality)
            fh.write(bmp_with_xmp(buffer.getvalue(), meta.xmp_packet()))
        elif fmt in ("HEIF", "AVIF"):  # their encoders embed the metadata themselves
            _encode_with_pillow(fh, fmt, pixels, alpha, quality=quality, icc=icc,
                                exif=meta.exif_bytes(), xmp=meta.xmp_packet())
        else:
            buffer = _bytes_io.BytesIO()
            if depth == 16 and fmt == "PNG":
                _encode_png16(buffer, pixels, alpha, icc)
            elif fmt == "TIFF":
                _encode_tiff(buffer, pixels, alpha, icc, depth)
            else:
                _encode_with_pillow(buffer, fmt, pixels, alpha, quality=quality, icc=icc)
            encoded = buffer.getbuffer()
            if fmt in EMBEDDED_BY_EXIV2 and (meta or icc) and not _is_bigtiff(encoded):
                _embed_or_less(encoded, meta, icc, target, notes, fh)
            else:
                fh.write(encoded)

    _write_atomically(target, encode, fmt, replace)
    return target


def _embed_or_less(encoded, meta: Metadata, icc: bytes | None, target: Path,
                   notes: list[str] | None, out: BinaryIO) -> None:
    """``embed``, and when exiv2 refuses: again without the EXIF, then with the ICC alone."""
    tries = (meta, Metadata(iptc=meta.iptc, xmp=meta.xmp), None)
    for i, attempt in enumerate(tries):
        try:
            embed(encoded, attempt, icc, out)
            return
        except Exiv2Error as exc:
            if i == len(tries) - 1:
                raise
            if notes is not None:
                what = "the EXIF" if i == 0 else "the IPTC and XMP"
                notes.append(f"{target.name}: {what} could not be written and was left out "
                             f"({exc.message})")


def _left_out_by(fmt: str, meta: Metadata) -> str:
    """What of ``meta`` an output in ``fmt`` cannot hold, in words ('' when nothing)."""
    if fmt == "BMP":
        what = [name for name, block in (("the EXIF", meta.exif), ("the IPTC", meta.iptc))
                if not block.empty()]
        return " and ".join(what) + " left out" if what else ""
    if fmt in ("WEBP", "HEIF", "AVIF"):
        mirrored = set(IPTC_MIRRORED) | {"Iptc.Application2.RecordVersion",
                                         "Iptc.Envelope.CharacterSet"}
        lost = sorted({d.key().split(".")[-1] for d in meta.iptc if d.key() not in mirrored})
        if lost:
            return f"IPTC {', '.join(lost)} left out (the main IPTC fields are kept in XMP)"
    return ""


def _output_metadata(like: Photo | None, metadata: Metadata | None, exif: bytes | None,
                     width: int, height: int) -> Metadata:
    base = metadata if metadata is not None else (like.metadata if like is not None else None)
    base = base.copy() if base is not None else Metadata()
    if exif is not None:
        try:
            base.set_exif_bytes(exif)
        except ValueError:
            base.set_exif_bytes(None)  # unreadable EXIF is dropped rather than carried broken
    return base.for_output(width, height)


def _is_bigtiff(data) -> bool:
    return bytes(data[:4]) in (b"II+\x00", b"MM\x00+")  # beyond exiv2: written without metadata


def _resolve_format(requested: str | None, target: Path, like: Photo | None) -> str:
    if requested:
        fmt = _FORMAT_ALIASES.get(requested.strip().upper().lstrip("."))
        if fmt is None:
            raise ValueError(f"unsupported output format {requested!r}")
        return fmt
    fmt = _FORMAT_ALIASES.get(format_for_suffix(target) or "")
    if fmt is None and like is not None:
        fmt = output_format_for(like.format, "same")[0]
    if fmt is None:
        raise ValueError(f"cannot tell the output format of {target}: give a known extension "
                         "or fmt=")
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
                        *, quality: int, icc: bytes | None = None, exif: bytes | None = None,
                        xmp: bytes | None = None) -> None:
    rgb = _quantize(pixels, 8)
    data = _with_alpha(rgb, None if alpha is None else _quantize(alpha, 8))
    image = Image.fromarray(data, "RGBA" if alpha is not None else "RGB")
    params: dict = {}
    if icc:
        params["icc_profile"] = icc
    if exif:
        params["exif"] = exif
    if xmp:
        params["xmp"] = xmp
    if fmt == "JPEG":
        params.update(quality=quality, subsampling=0 if quality >= 90 else 2)
    elif fmt == "WEBP":
        params.update(quality=quality, method=4, exact=True)  # keep RGB under clear alpha
    elif fmt in ("HEIF", "AVIF"):
        params.update(quality=quality)
    image.save(fh, format=fmt, **params)


def _encode_png16(fh: BinaryIO, pixels: np.ndarray, alpha: np.ndarray | None,
                  icc: bytes | None = None) -> None:
    bgr = _quantize(pixels, 16)[:, :, ::-1]
    data = _with_alpha(bgr, None if alpha is None else _quantize(alpha, 16))
    ok, encoded = cv2.imencode(".png", np.ascontiguousarray(data),
                               [cv2.IMWRITE_PNG_COMPRESSION, 4])
    if not ok:
        raise ValueError("OpenCV could not encode the PNG")
    encoded = encoded.tobytes()
    if icc:  # our own iCCP chunk, named: exiv2 would add one with an empty (invalid) name
        encoded = _png_with_iccp(encoded, icc)
    fh.write(encoded)


def _png_with_iccp(png: bytes, icc: bytes, name: bytes = b"ICC Profile") -> bytes:
    """``png`` with an iCCP chunk (the profile, zlib-compressed) right after IHDR."""
    import struct
    import zlib
    body = name + b"\0\0" + zlib.compress(icc)
    chunk = struct.pack(">I", len(body)) + b"iCCP" + body + \
        struct.pack(">I", zlib.crc32(b"iCCP" + body) & 0xFFFFFFFF)
    ihdr_end = 8 + 8 + 13 + 4          # signature, IHDR length+type, IHDR data, CRC
    return png[:ihdr_end] + chunk + png[ihdr_end:]


def _encode_tiff(fh: BinaryIO, pixels: np.ndarray, alpha: np.ndarray | None,
                 icc: bytes | None, depth: int) -> None:
    rgb = _quantize(pixels, depth)
    data = _with_alpha(rgb, None if alpha is None else _quantize(alpha, depth))
    tifffile.imwrite(
        fh, data, photometric="rgb", extrasamples=(2,) if alpha is not None else None,
        compression="zlib", predictor=True, iccprofile=icc, metadata=None, software=False,
        bigtiff=data.nbytes > 3_500_000_000)


def _same_file(a: Path, b: Path | None) -> bool:
    if not b or not str(b) or str(b) == ".":
        return False
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _write_atomically(target: Path, encode: Callable[[BinaryIO], None], fmt: str,
                      replace: "bool | FileId" = True) -> None:
    """:func:`deblur_app.atomic.atomic_write`, its errors as :class:`ImageWriteError`
    (``FileExistsError`` passes: the caller chooses another name)."""
    try:
        atomic_write(target, encode, replace)
    except FileExistsError:
        raise
    except FileNotFoundError:
        raise ImageWriteError(target, "the folder does not exist") from None
    except OSError as exc:
        raise ImageWriteError(target, exc.strerror or str(exc)) from exc
    except Exception as exc:  # noqa: BLE001 - an encoder's failure, named
        detail = str(exc).strip() or type(exc).__name__
        raise ImageWriteError(target, f"could not encode {fmt}: {detail}") from exc

