"""Which files Deblur Studio opens and which formats it writes: the one table of extensions.

The window's open dialog, its drag and drop, the batch folder scan and the output naming all
read this module; nothing here imports Qt (the dialog filter is a plain string).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "RAW_EXTENSIONS",
    "SUPPORTED_EXTENSIONS",
    "format_for_suffix",
    "is_raw",
    "is_supported",
    "open_dialog_filter",
    "output_format_for",
    "save_dialog_filters",
]

# Files read by Pillow (and pillow-heif for HEIC/HEIF, Pillow's own AVIF plugin for AVIF).
_FORMAT_BY_EXTENSION = {
    ".jpg": "JPEG", ".jpeg": "JPEG", ".jpe": "JPEG", ".png": "PNG", ".tif": "TIFF",
    ".tiff": "TIFF", ".webp": "WEBP", ".bmp": "BMP", ".heic": "HEIF", ".heif": "HEIF",
    ".hif": "HEIF", ".avif": "AVIF",
}
# Camera RAW files, demosaiced by LibRaw (rawpy); their format is "RAW".
RAW_EXTENSIONS = frozenset({
    ".dng", ".cr2", ".cr3", ".nef", ".nrw", ".arw", ".raf", ".orf", ".rw2", ".pef",
})
SUPPORTED_EXTENSIONS = frozenset(_FORMAT_BY_EXTENSION) | RAW_EXTENSIONS

# Formats written, and their extension.
_EXTENSION_BY_FORMAT = {
    "JPEG": ".jpg", "PNG": ".png", "TIFF": ".tif", "WEBP": ".webp", "BMP": ".bmp",
    "HEIF": ".heic", "AVIF": ".avif",
}
# Names accepted for a format to write, including Pillow's: an MPO is a camera JPEG with extra
# frames.
FORMAT_ALIASES = {
    "JPEG": "JPEG", "JPG": "JPEG", "JPE": "JPEG", "MPO": "JPEG", "PNG": "PNG", "TIFF": "TIFF",
    "TIF": "TIFF", "WEBP": "WEBP", "BMP": "BMP", "HEIF": "HEIF", "HEIC": "HEIF", "HIF": "HEIF",
    "AVIF": "AVIF",
}
# What "same format" means for a format that cannot be written: a RAW becomes a 16-bit TIFF.
_SAME_AS = {"RAW": "TIFF"}


def is_supported(path: str | os.PathLike) -> bool:
    """Whether the file name has an extension Deblur Studio reads (case-insensitive)."""
    return Path(path).suffix.lower() in SUPPORTED_EXTENSIONS


def is_raw(path: str | os.PathLike) -> bool:
    """Whether the file name is a camera RAW's (read through LibRaw)."""
    return Path(path).suffix.lower() in RAW_EXTENSIONS


def format_for_suffix(path: str | os.PathLike) -> str | None:
    """The format a file name's extension stands for ('JPEG', 'HEIF', 'RAW', ...), or None."""
    suffix = Path(path).suffix.lower()
    return "RAW" if suffix in RAW_EXTENSIONS else _FORMAT_BY_EXTENSION.get(suffix)


def output_format_for(photo_format: str, requested: str) -> tuple[str, str]:
    """``(format, extension)`` for an output choice 'same', 'png', 'jpg', 'tif', 'heic', ...

    'same' keeps the photo's format (MPO counts as JPEG, a camera RAW becomes TIFF; anything
    else unwritable becomes PNG).  'jpeg', 'tiff', 'webp', 'bmp', 'heif' and 'avif' are
    accepted too.
    """
    choice = requested.strip().lower().lstrip(".")
    if choice == "same":
        name = (photo_format or "").upper()
        fmt = FORMAT_ALIASES.get(_SAME_AS.get(name, name), "PNG")
    else:
        fmt = FORMAT_ALIASES.get(choice.upper())
        if fmt is None:
            raise ValueError(f"unknown output format {requested!r}")
    return fmt, _EXTENSION_BY_FORMAT[fmt]


def _patterns(extensions) -> str:
    # both cases: the file dialogs of some platforms match case-sensitively
    return " ".join(f"*{e} *{e.upper()}" for e in sorted(extensions))


def save_dialog_filters(photo_format: str) -> list[str]:
    """The choices of a save dialog (Qt syntax), the photo's own format ('same') first."""
    fmt, ext = output_format_for(photo_format, "same")
    return [f"Same as original, {fmt} (*{ext})", "JPEG (*.jpg *.jpeg)", "PNG (*.png)",
            "TIFF (*.tif *.tiff)", "WebP (*.webp)", "HEIC (*.heic *.heif)", "AVIF (*.avif)"]


def open_dialog_filter() -> str:
    """The name filter for the open dialogs (Qt syntax, ``;;`` between choices)."""
    return (f"Photos ({_patterns(SUPPORTED_EXTENSIONS)});;"
            f"Camera RAW ({_patterns(RAW_EXTENSIONS)});;All files (*)")
