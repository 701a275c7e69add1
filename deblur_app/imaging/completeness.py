"""Is a photo file whole?  A quick structural check for resuming batches.

Reading every earlier result of a 600-photo batch in full before starting would take minutes,
so the formats we write are checked by their structure instead, reading only the head, the
tail or the directory: a JPEG ends with its end-of-image marker, a PNG with its IEND chunk, a
WebP's RIFF size is the file's, a TIFF's image data lies within the file.  Anything else is
decoded in full.
"""
from __future__ import annotations

import os
import struct
from pathlib import Path

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"


def is_complete(path: str | os.PathLike) -> bool:
    """Whether ``path`` looks like a whole photo (False for empty, cut or unreadable files)."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size == 0:
            return False
        with open(path, "rb") as fh:
            head = fh.read(16)
            fh.seek(max(0, size - 16))
            tail = fh.read(16)
        if head.startswith(b"\xff\xd8"):
            return tail.endswith(b"\xff\xd9")
        if head.startswith(_PNG_SIGNATURE):
            return tail.endswith(_PNG_END)
        if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
            return struct.unpack("<I", head[4:8])[0] + 8 == size
        if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
            return _tiff_complete(path, size)
        return _decodes(path)
    except (OSError, ValueError, struct.error):
        return False


def _tiff_complete(path: Path, size: int) -> bool:
    import tifffile
    try:
        with tifffile.TiffFile(path) as tif:
            for page in tif.pages:
                for offset, count in zip(page.dataoffsets, page.databytecounts):
                    if offset + count > size or count == 0:
                        return False
        return True
    except Exception:  # noqa: BLE001 - any complaint of the TIFF reader means "damaged"
        return False


def _decodes(path: Path) -> bool:
    from .io import ImageReadError, read_photo
    try:
        read_photo(path)
        return True
    except (ImageReadError, OSError, ValueError, MemoryError):
        return False
