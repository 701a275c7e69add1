"""Photo metadata: EXIF orientation, EXIF/ICC bytes, and embedding them where Pillow cannot.

EXIF is handled as the bytes of a JPEG APP1 payload: ``b"Exif\\0\\0"`` followed by a TIFF
structure (header, IFD0, the Exif and GPS sub-IFDs).  Everything here works on bytes and
numpy arrays; nothing decodes or encodes pixels.
"""

from __future__ import annotations

import struct
import zlib
from typing import BinaryIO

import numpy as np
from PIL import Image, TiffImagePlugin

EXIF_HEADER = b"Exif\x00\x00"
ORIENTATION_TAG = 0x0112
EXIF_IFD_TAG = 0x8769  # 34665
GPS_IFD_TAG = 0x8825  # 34853

# IFD0 tags worth carrying from a TIFF's own directory into a photo's EXIF: descriptive tags
# only, never the tags that describe the TIFF's pixel layout (strips, samples, compression...).
DESCRIPTIVE_IFD0_TAGS = frozenset({
    0x010E,  # ImageDescription
    0x010F,  # Make
    0x0110,  # Model
    ORIENTATION_TAG,
    0x011A, 0x011B, 0x0128,  # XResolution, YResolution, ResolutionUnit
    0x0131,  # Software
    0x0132,  # DateTime
    0x013B,  # Artist
    0x013C,  # HostComputer
    0x8298,  # Copyright
    EXIF_IFD_TAG,
    GPS_IFD_TAG,
    0x9C9B, 0x9C9C, 0x9C9D, 0x9C9E, 0x9C9F,  # XPTitle, XPComment, XPAuthor, XPKeywords, XPSubject
})

# IFD0 tags written as plain TIFF tags in a 16-bit TIFF (tifffile): ASCII text only.
_ASCII_IFD0_TAGS = (0x010E, 0x010F, 0x0110, 0x0131, 0x0132, 0x013B, 0x013C, 0x8298)
# Placeholder tag codes for the sub-IFD pointers, which tifffile refuses to write. Each sorts
# exactly where the real code does among the tags we write, so renaming keeps IFD0 ordered.
_POINTER_PLACEHOLDERS = {EXIF_IFD_TAG: 34666, GPS_IFD_TAG: 34854}


# --------------------------------------------------------------------------------------------
# Orientation
# --------------------------------------------------------------------------------------------

def apply_orientation(array: np.ndarray, orientation: int) -> np.ndarray:
    """Turn an H x W (x C) array stored with EXIF ``orientation`` (1..8) upright.

    Matches ``PIL.ImageOps.exif_transpose``; unknown values count as 1 (no change).
    """
    if orientation == 2:
        out = array[:, ::-1]
    elif orientation == 3:
        out = array[::-1, ::-1]
    elif orientation == 4:
        out = array[::-1]
    elif orientation == 5:
        out = array.swapaxes(0, 1)
    elif orientation == 6:
        out = np.rot90(array, -1)
    elif orientation == 7:
        out = array[::-1, ::-1].swapaxes(0, 1)
    elif orientation == 8:
        out = np.rot90(array, 1)
    else:
        return array
    return np.ascontiguousarray(out)


def orientation_of(image: Image.Image) -> int:
    """EXIF orientation of an open Pillow image (1 when absent or invalid)."""
    try:
        value = int(image.getexif().get(ORIENTATION_TAG, 1))
    except Exception:  # malformed EXIF must not stop a photo from opening
        return 1
    return value if 1 <= value <= 8 else 1


# --------------------------------------------------------------------------------------------
# EXIF bytes
# --------------------------------------------------------------------------------------------

def normalize_exif(exif: bytes | None) -> bytes | None:
    """EXIF bytes with the ``Exif\\0\\0`` header (added when missing); None for nothing usable."""
    if not exif:
        return None
    body = exif[len(EXIF_HEADER):] if exif.startswith(EXIF_HEADER) else exif
    if body[:4] not in (b"II*\x00", b"MM\x00*"):
        return None
    return EXIF_HEADER + body


def reset_orientation(exif: bytes | None) -> bytes | None:
    """EXIF bytes with the Orientation tag set to 1 (top-left); all else byte-for-byte kept.

    The tag is patched in place, so maker notes and other offset-sensitive blocks survive.
    """
    exif = normalize_exif(exif)
    if exif is None:
        return None
    body = bytearray(exif[len(EXIF_HEADER):])
    endian = "<" if body[:2] == b"II" else ">"
    try:
        (ifd0,) = struct.unpack_from(endian + "I", body, 4)
        (count,) = struct.unpack_from(endian + "H", body, ifd0)
        for i in range(count):
            entry = ifd0 + 2 + 12 * i
            tag, typ, n = struct.unpack_from(endian + "HHI", body, entry)
            if tag != ORIENTATION_TAG:
                continue
            if n == 1 and typ == 3:  # SHORT, stored in the entry itself
                struct.pack_into(endian + "H", body, entry + 8, 1)
            elif n == 1 and typ == 4:  # LONG, written by a few tools
                struct.pack_into(endian + "I", body, entry + 8, 1)
            else:
                return _reset_orientation_by_rewrite(exif)
            break
    except struct.error:
        return _reset_orientation_by_rewrite(exif)
    return EXIF_HEADER + bytes(body)


def _reset_orientation_by_rewrite(exif: bytes) -> bytes | None:
    parsed = Image.Exif()
    try:
        parsed.load(exif)
        for tag in (EXIF_IFD_TAG, GPS_IFD_TAG):
            if tag in parsed:
                parsed.get_ifd(tag)
        parsed[ORIENTATION_TAG] = 1
        return normalize_exif(parsed.tobytes())
    except Exception:  # unreadable EXIF is dropped rather than carried broken
        return None


def exif_from_image(image: Image.Image) -> bytes | None:
    """The EXIF of an open Pillow image as APP1-style bytes, orientation reset to 1.

    JPEG, PNG and WebP keep their EXIF block verbatim (bar the orientation). A TIFF has no
    separate block: its descriptive IFD0 tags and its Exif/GPS sub-IFDs are gathered into one.
    """
    raw = normalize_exif(image.info.get("exif"))
    if raw is not None:
        return reset_orientation(raw)
    if image.format != "TIFF":
        return None
    try:
        source = image.getexif()
        exif = Image.Exif()
        for tag in (EXIF_IFD_TAG, GPS_IFD_TAG):
            if tag in source:
                sub = source.get_ifd(tag)
                if sub:
                    exif.get_ifd(tag).update(sub)
        for tag, value in source.items():
            if tag in DESCRIPTIVE_IFD0_TAGS and tag not in (EXIF_IFD_TAG, GPS_IFD_TAG):
                exif[tag] = value
        if not len(exif) and not any(exif.get_ifd(t) for t in (EXIF_IFD_TAG, GPS_IFD_TAG)):
            return None
        exif[ORIENTATION_TAG] = 1
        return normalize_exif(exif.tobytes())
    except Exception:  # unreadable EXIF is dropped rather than carried broken
        return None


def exif_without_thumbnail(exif: bytes) -> bytes | None:
    """Re-serialise EXIF through Pillow, which drops the IFD1 thumbnail (to fit a JPEG APP1)."""
    return _reset_orientation_by_rewrite(exif)


# --------------------------------------------------------------------------------------------
# PNG chunks (for 16-bit PNGs encoded by OpenCV)
# --------------------------------------------------------------------------------------------

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png_with_metadata(png: bytes, *, icc_profile: bytes | None, exif: bytes | None) -> bytes:
    """Insert iCCP and eXIf chunks right after IHDR of an encoded PNG.

    Existing iCCP/sRGB/gAMA (when an ICC profile is given) and eXIf chunks are replaced.
    """
    if not png.startswith(_PNG_SIGNATURE):
        raise ValueError("not a PNG stream")
    extra = b""
    drop: set[bytes] = set()
    if icc_profile:
        extra += _png_chunk(b"iCCP", b"ICC profile\x00\x00" + zlib.compress(icc_profile))
        drop |= {b"iCCP", b"sRGB", b"gAMA"}
    exif = normalize_exif(exif)
    if exif:
        extra += _png_chunk(b"eXIf", exif[len(EXIF_HEADER):])
        drop.add(b"eXIf")
    if not extra:
        return png
    out = [_PNG_SIGNATURE]
    pos = len(_PNG_SIGNATURE)
    while pos < len(png):
        (length,) = struct.unpack_from(">I", png, pos)
        kind = png[pos + 4:pos + 8]
        end = pos + 12 + length
        if kind not in drop:
            out.append(png[pos:end])
        if kind == b"IHDR":
            out.append(extra)
        pos = end
    return b"".join(out)


# --------------------------------------------------------------------------------------------
# TIFF tags (for 16-bit TIFFs encoded by tifffile)
# --------------------------------------------------------------------------------------------

def tiff_extratags(exif: bytes | None) -> tuple[list[tuple], dict[int, dict]]:
    """Plain IFD0 tags for tifffile, and the Exif/GPS sub-IFDs to append afterwards.

    Returns ``(extratags, sub_ifds)``; ``extratags`` includes Orientation=1 and placeholders
    for the sub-IFD pointers, which :func:`append_tiff_sub_ifds` fills in.
    """
    tags: list[tuple] = [(ORIENTATION_TAG, "H", 1, 1, True)]
    sub_ifds: dict[int, dict] = {}
    exif = normalize_exif(exif)
    if exif is None:
        return tags, sub_ifds
    parsed = Image.Exif()
    try:
        parsed.load(exif)
        for code in _ASCII_IFD0_TAGS:
            value = parsed.get(code)
            if isinstance(value, bytes):
                value = value.decode("latin-1")
            if isinstance(value, str) and value.strip("\x00"):
                text = value.strip("\x00").encode("ascii", "replace").decode("ascii")
                tags.append((code, "s", 0, text, True))
        for pointer in (EXIF_IFD_TAG, GPS_IFD_TAG):
            if pointer in parsed:
                sub = dict(parsed.get_ifd(pointer))
                sub.pop(0xA005, None)  # Interop pointer: nested IFD, not carried
                if sub:
                    sub_ifds[pointer] = sub
                    tags.append((_POINTER_PLACEHOLDERS[pointer], "I", 1, 0, True))
    except Exception:  # unreadable EXIF: write the pixels without it
        return [(ORIENTATION_TAG, "H", 1, 1, True)], {}
    return tags, sub_ifds


def append_tiff_sub_ifds(fh: BinaryIO, sub_ifds: dict[int, dict]) -> None:
    """Append Exif/GPS sub-IFDs to a classic TIFF written with :func:`tiff_extratags` tags.

    Each sub-IFD is serialised by Pillow at the end of the file and the placeholder entry in
    IFD0 is renamed to the real pointer tag and pointed at it.
    """
    if not sub_ifds:
        return
    fh.seek(0)
    header = fh.read(8)
    if header[:4] not in (b"II*\x00", b"MM\x00*"):
        return  # BigTIFF or unknown: leave the placeholders, which readers ignore
    endian = "<" if header[:2] == b"II" else ">"
    (ifd0,) = struct.unpack(endian + "I", header[4:8])
    fh.seek(ifd0)
    (count,) = struct.unpack(endian + "H", fh.read(2))
    entries = fh.read(12 * count)
    positions = {}
    for i in range(count):
        (tag,) = struct.unpack_from(endian + "H", entries, 12 * i)
        positions[tag] = ifd0 + 2 + 12 * i
    for pointer, values in sub_ifds.items():
        entry = positions.get(_POINTER_PLACEHOLDERS[pointer])
        if entry is None:
            continue
        fh.seek(0, 2)
        offset = fh.tell()
        if offset % 2:
            fh.write(b"\x00")
            offset += 1
        ifd = TiffImagePlugin.ImageFileDirectory_v2(ifh=header, group=pointer)
        for tag, value in values.items():
            ifd[tag] = value
        fh.write(ifd.tobytes(offset))
        fh.seek(entry)
        fh.write(struct.pack(endian + "HHI", pointer, 4, 1) + struct.pack(endian + "I", offset))
