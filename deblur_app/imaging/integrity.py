"""Can a photo file's data back what its header claims?  Checked before any pixel is decoded.

Decoders trust headers: a 2.5 KB JPEG that says 12000 x 16000 pixels makes them allocate and
fill 192 megapixels (gigabytes, minutes) of grey; a file whose data ends early is often
decoded with a grey or black band instead of an error.  :func:`check_data` reads only the
file's structure (segments, boxes, strip tables) and raises :class:`DamagedFile` naming the
reason when:

* the data ends before the image does (JPEG without its end-of-image marker after the scan,
  or with fewer restart intervals than its size needs, when it has them: a cut file closed
  with an end marker; BMP pixel rows or TIFF strips beyond the end of the file, a WebP RIFF
  or a HEIC/AVIF box longer than the file, an RLE bitmap without its end marker, a PNG
  without its end chunk, a WebP, HEIC or AVIF ending in zero bytes where its compressed
  data should be: a copy that stopped early);
* the header promises more pixels than any encoder could fit in the data: a JPEG spends at
  least one bit on every 8 x 8 block of its luminance (Huffman coding: one code for the DC
  difference), a PNG's zlib stream expands at most 1032 times, an uncompressed BMP or TIFF
  holds every row, a compressed TIFF strip expands at most a few thousand times.

Formats with no such floor (lossless WebP, HEIC and AVIF can code a plain area in almost no
bytes) are only checked for truncation; the pixel limit of the reader bounds them.
"""
from __future__ import annotations

import mmap
import os
import struct

__all__ = ["DamagedFile", "check_data", "sniff_format"]

_ZLIB_MAX_RATIO = 1100          # deflate expands at most ~1032:1
_CODEC_MAX_RATIO = 5000         # LZW, PackBits, deflate, JPEG in TIFF: generous
_ARITHMETIC_BITS_PER_BLOCK = 1 / 64   # arithmetic-coded JPEG: no hard floor, a generous one


class DamagedFile(ValueError):
    """The file cannot hold the image its header describes (the reason in words)."""


def check_data(path: str | os.PathLike, fmt: str, width: int, height: int) -> None:
    """Raise :class:`DamagedFile` if ``path`` (a ``fmt`` file of ``width`` x ``height``, as
    its header says) is truncated or cannot back that size (see the module docstring)."""
    if fmt == "TIFF":
        _tiff(path, os.stat(path).st_size, width, height)
        return
    checker = _CHECKS.get(fmt)
    if checker is None:
        return
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size == 0:
            return
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
            checker(data, size, width, height)


def sniff_format(path: str | os.PathLike) -> str | None:
    """The format a file's first bytes announce (JPEG, PNG, BMP, TIFF, WEBP, HEIF), or None."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        return None
    if head[:2] == b"\xff\xd8":
        return "JPEG"
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if head[:2] == b"BM":
        return "BMP"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "TIFF"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[4:8] == b"ftyp":
        return "HEIF"
    return None


def _too_small(width: int, height: int, size: int, need: float) -> DamagedFile:
    return DamagedFile(f"damaged: its header claims {width} x {height} pixels, more than its "
                       f"{_kb(size)} of data can hold (at least {_kb(int(need))} needed)")


def _truncated(what: str = "") -> DamagedFile:
    return DamagedFile("damaged or truncated: its data ends before the image does"
                       + (f" ({what})" if what else ""))


def _kb(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.1f} KB" if n >= 1e3 else f"{n} bytes"


# -- JPEG ----------------------------------------------------------------------------------------
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_ARITHMETIC = {0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg(data, size: int, width: int, height: int) -> None:
    pos, sof, scan, restart, sampling, components = 2, None, None, 0, (1, 1), 0
    while pos + 4 <= size:
        if data[pos] != 0xFF:
            raise DamagedFile("damaged: a JPEG segment is broken")
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if 0xD0 <= marker <= 0xD8 or marker == 0x01:
            pos += 2
            continue
        length = struct.unpack(">H", data[pos + 2:pos + 4])[0]
        if marker in _SOF and pos + 10 <= size:
            sof, components = marker, data[pos + 9]
            factors = [data[pos + 11 + 3 * i] for i in range(components)
                       if pos + 12 + 3 * i <= size]
            if factors:
                sampling = (max(f >> 4 for f in factors), max(f & 15 for f in factors))
        elif marker == 0xDD and length >= 4:
            restart = struct.unpack(">H", data[pos + 4:pos + 6])[0]
        elif marker == 0xDA:
            scan_components = data[pos + 4] if pos + 5 <= size else 0
            scan = pos + 2 + length
            break
        pos += 2 + length
    if scan is None or scan > size:
        raise _truncated("no image data")
    end = data.find(b"\xff\xd9", scan)
    if end < 0:
        raise _truncated("no end-of-image marker after the image data")
    blocks = -(-width // 8) * -(-height // 8)
    bits = blocks * (_ARITHMETIC_BITS_PER_BLOCK if sof in _ARITHMETIC else 1.0)
    if size - scan < bits / 8:
        raise _too_small(width, height, size, bits / 8)
    if restart and sof in (0xC0, 0xC1) and scan_components == components \
            and data.find(b"\xff\xda", scan, end) < 0:
        # one interleaved scan with restart markers: their count says how much data is there
        h, v = sampling if components > 1 else (1, 1)
        mcus = -(-width // (8 * h)) * -(-height // (8 * v))
        expected = -(-mcus // restart) - 1
        entropy = data[scan:end]
        found = sum(entropy.count(bytes((0xFF, m))) for m in range(0xD0, 0xD8))
        if found < expected:
            raise _truncated(f"{found + 1} of its {expected + 1} restart intervals")


# -- PNG -----------------------------------------------------------------------------------------
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def _png(data, size: int, width: int, height: int) -> None:
    if size < 33 or data[12:16] != b"IHDR":
        return
    if data.find(b"IEND", 33) < 0:
        raise _truncated("no end chunk")
    depth, colour = data[24], data[25]
    channels = _PNG_CHANNELS.get(colour, 4)
    raw = height * (1 + -(-width * channels * max(depth, 1) // 8))
    if size * _ZLIB_MAX_RATIO < raw:
        raise _too_small(width, height, size, raw / _ZLIB_MAX_RATIO)


# -- BMP -----------------------------------------------------------------------------------------
def _bmp(data, size: int, width: int, height: int) -> None:
    if size < 34:
        raise _truncated()
    offset = struct.unpack("<I", data[10:14])[0]
    header = struct.unpack("<I", data[14:18])[0]
    if header < 40 or size < 14 + 20:
        return                                      # OS/2 core header: Pillow decides
    bpp = struct.unpack("<H", data[28:30])[0]
    compression = struct.unpack("<I", data[30:34])[0]
    if compression in (0, 3, 6):                    # uncompressed rows, every one stored
        need = offset + ((bpp * width + 31) // 32) * 4 * height
        if need > size:
            if size - offset < need / 64:
                raise _too_small(width, height, size, need)
            raise _truncated(f"{_kb(size)} of {_kb(need)}")
    elif compression in (1, 2):                     # RLE: ends with its end-of-bitmap code
        if offset >= size or data.find(b"\x00\x01", offset) < 0:
            raise _truncated("no end-of-bitmap code")


# -- TIFF ----------------------------------------------------------------------------------------
def _tiff(path, size: int, width: int, height: int) -> None:
    import tifffile
    try:
        with tifffile.TiffFile(path) as tif:
            page = tif.pages[0]
            offsets, counts = page.dataoffsets, page.databytecounts
            compression = int(page.compression)
            raw = int(page.nbytes)
    except DamagedFile:
        raise
    except Exception:  # noqa: BLE001 - the decoder will name what is wrong with it
        return
    total = 0
    for offset, count in zip(offsets, counts):
        if count and offset + count > size:
            raise _truncated(f"an image strip ends {offset + count - size} bytes past the end")
        total += count
    if total == 0 and raw:
        raise _truncated("no image data")
    ratio = 1 if compression == 1 else _CODEC_MAX_RATIO
    if total * ratio < raw * (0.999 if ratio == 1 else 1):
        if ratio == 1:
            raise _truncated(f"{_kb(total)} of {_kb(raw)} of pixel data")
        raise _too_small(width, height, size, raw / ratio)


# -- WebP, HEIC, AVIF ----------------------------------------------------------------------------
def _webp(data, size: int, width: int, height: int) -> None:
    if data[:4] == b"RIFF" and struct.unpack("<I", data[4:8])[0] + 8 > size:
        raise _truncated("the RIFF container is longer than the file")
    _zero_tail(data, size)


_ZERO_TAIL = 64


def _zero_tail(data, size: int) -> None:
    """Compressed image data never ends in a long run of zero bytes; a copy that stopped
    early on a card or a disk that reserved the file's size does."""
    if size > _ZERO_TAIL and not any(data[size - _ZERO_TAIL:size]):
        raise _truncated(f"it ends in zero bytes where its data should be (an incomplete "
                         "copy?)")


def _isobmff(data, size: int, width: int, height: int) -> None:
    _zero_tail(data, size)
    pos = 0
    while pos + 8 <= size:
        length = struct.unpack(">I", data[pos:pos + 4])[0]
        if length == 1:
            if pos + 16 > size:
                raise _truncated()
            length = struct.unpack(">Q", data[pos + 8:pos + 16])[0]
        elif length == 0:
            return                                  # the last box runs to the end of the file
        if length < 8:
            raise DamagedFile("damaged: a box of the file has an impossible size")
        if pos + length > size:
            kind = bytes(data[pos + 4:pos + 8]).decode("latin-1")
            raise _truncated(f"its '{kind}' box is {pos + length - size} bytes longer than the "
                             "file")
        pos += length


_CHECKS = {"JPEG": _jpeg, "PNG": _png, "BMP": _bmp, "WEBP": _webp,
           "HEIF": _isobmff, "AVIF": _isobmff}
