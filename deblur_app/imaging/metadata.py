"""Photo metadata through exiv2: every EXIF, IPTC and XMP entry read from the source photo and
written into the output, plus EXIF orientation handling of pixel arrays.

:func:`read_metadata` reads a file (any format exiv2 knows, camera RAWs and HEIC/AVIF
included) into a :class:`Metadata` that is already *upright*: Orientation 1 in EXIF and XMP,
no embedded thumbnail, and none of the tags that describe the source file's pixel layout
(strips, bits per sample, DNG colour matrices...), since the pixels are decoded and written
anew.  :func:`embed` writes a :class:`Metadata` (and an ICC profile) into an encoded JPEG,
TIFF, PNG or WebP; :meth:`Metadata.exif_bytes` and :meth:`Metadata.xmp_packet` give the blocks
that encoders of other formats (HEIC, AVIF) take themselves.

IPTC-IIM has no place in PNG, WebP, HEIC and AVIF (and exiv2 cannot read its own IPTC in PNG
back), so the main IPTC fields (caption, keywords, copyright, creator, title, headline,
location, credit, source) are always mirrored into their XMP equivalents where the XMP lacks
them, as the Metadata Working Group recommends; every format then carries them in XMP.
"""

from __future__ import annotations

import hashlib
import io as _bytes_io
import mmap
import os
import re
import struct
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

import exiv2
import numpy as np
from PIL import Image

__all__ = [
    "Metadata",
    "apply_orientation",
    "describe",
    "embed",
    "orientation_of",
    "read_metadata",
    "read_sidecar",
]

exiv2.LogMsg.setLevel(exiv2.LogMsg.Level.error)  # warnings about odd tags are not the user's

ORIENTATION_TAG = 0x0112
# Formats exiv2 writes into after our encoders made the pixels (Pillow format names).
EMBEDDED_BY_EXIV2 = frozenset({"JPEG", "PNG", "TIFF", "WEBP"})

# IFD0 tags that describe a file's pixel layout or hold another metadata family; never carried.
_STRUCTURE_TAGS = frozenset({
    0x00FE, 0x00FF, 0x0100, 0x0101, 0x0102, 0x0103, 0x0106, 0x010A, 0x0111, 0x0115, 0x0116,
    0x0117, 0x011C, 0x012D, 0x013D, 0x013E, 0x013F, 0x0142, 0x0143, 0x0144, 0x0145, 0x014A,
    0x0152, 0x0153, 0x015B, 0x0201, 0x0202, 0x0211, 0x0212, 0x0213, 0x0214,
    0x02BC,  # XMLPacket: XMP, carried as XMP
    0x83BB,  # IPTC-NAA: carried as IPTC
    0x8649,  # Photoshop image resources
    0x8773,  # InterColorProfile: carried as the ICC profile
    0x828D, 0x828E,  # CFARepeatPatternDim, CFAPattern (of a RAW)
})
_DNG_TAGS = range(0xC612, 0xCD40)  # DNGVersion ... : colour matrices, black levels, previews
# EXIF groups of other images in the file (thumbnail, RAW previews and sub-images).
_OTHER_IMAGE_GROUP = re.compile(r"^(Thumbnail|SubImage\d+|SubThumb\d+|Image[2-9])$")
# XMP properties of the source file's layout, dropped like their EXIF twins.
_XMP_STRUCTURE = ("Xmp.tiff.BitsPerSample", "Xmp.tiff.Compression",
                  "Xmp.tiff.PhotometricInterpretation", "Xmp.tiff.SamplesPerPixel",
                  "Xmp.tiff.PlanarConfiguration", "Xmp.tiff.YCbCrSubSampling",
                  "Xmp.tiff.YCbCrPositioning")

# IPTC-IIM field -> (XMP property, kind) for the mirror described in the module docstring.
_IPTC_TO_XMP = {
    "Iptc.Application2.Caption": ("Xmp.dc.description", "langalt"),
    "Iptc.Application2.Keywords": ("Xmp.dc.subject", "bag"),
    "Iptc.Application2.Copyright": ("Xmp.dc.rights", "langalt"),
    "Iptc.Application2.Byline": ("Xmp.dc.creator", "seq"),
    "Iptc.Application2.ObjectName": ("Xmp.dc.title", "langalt"),
    "Iptc.Application2.Headline": ("Xmp.photoshop.Headline", "text"),
    "Iptc.Application2.City": ("Xmp.photoshop.City", "text"),
    "Iptc.Application2.ProvinceState": ("Xmp.photoshop.State", "text"),
    "Iptc.Application2.CountryName": ("Xmp.photoshop.Country", "text"),
    "Iptc.Application2.Credit": ("Xmp.photoshop.Credit", "text"),
    "Iptc.Application2.Source": ("Xmp.photoshop.Source", "text"),
}
IPTC_MIRRORED = tuple(_IPTC_TO_XMP)
_ARRAY_TYPES = {"bag": exiv2.TypeId.xmpBag, "seq": exiv2.TypeId.xmpSeq}

# A TIFF holding nothing but one IFD0 entry: exiv2 writes EXIF into it, and what comes out is
# exactly the TIFF structure of an EXIF block (exiv2's Python API has no EXIF encoder).
_EXIF_CARRIER = (b"II*\x00" + struct.pack("<IH", 8, 1)
                 + struct.pack("<HHII", ORIENTATION_TAG, 3, 1, 1) + struct.pack("<I", 0))
EXIF_HEADER = b"Exif\x00\x00"


# --------------------------------------------------------------------------------------------
# Orientation of pixel arrays
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
# The metadata of one photo
# --------------------------------------------------------------------------------------------

def _io_bytes(image) -> bytes:
    """The whole content of an exiv2 image's (memory) I/O after ``writeMetadata``."""
    io = image.io()
    io.open()
    try:
        with io.mmap() as view:
            return bytes(view)
    finally:
        io.close()


def _copy(container, keep=lambda datum: True):
    out = type(container)()
    for datum in container:
        if keep(datum):
            out.add(datum)
    return out


def _find(container, key: str):
    """The datum under ``key`` or None (exiv2's ``findKey`` returns an end iterator)."""
    key_type = {exiv2.ExifData: exiv2.ExifKey, exiv2.IptcData: exiv2.IptcKey,
                exiv2.XmpData: exiv2.XmpKey}[type(container)]
    found = container.findKey(key_type(key))
    return None if found == container.end() else found


def _erase(container, key: str) -> None:
    while (found := _find(container, key)) is not None:
        container.erase(found)


class Metadata:
    """EXIF, IPTC and XMP of a photo, held by exiv2 (``exif``, ``iptc``, ``xmp``)."""

    def __init__(self, exif=None, iptc=None, xmp=None):
        self.exif = exif if exif is not None else exiv2.ExifData()
        self.iptc = iptc if iptc is not None else exiv2.IptcData()
        self.xmp = xmp if xmp is not None else exiv2.XmpData()

    def __bool__(self) -> bool:
        return not (self.exif.empty() and self.iptc.empty() and self.xmp.empty())

    def copy(self) -> "Metadata":
        return Metadata(_copy(self.exif), _copy(self.iptc), _copy(self.xmp))

    # -- reading values ------------------------------------------------------------------------
    def get(self, key: str) -> str | None:
        """The value of one ``Exif.*``, ``Iptc.*`` or ``Xmp.*`` key as text, or None.

        Repeated IPTC datasets (keywords) and XMP arrays come as ``"a, b"``.
        """
        family = key.split(".", 1)[0]
        container = {"Exif": self.exif, "Iptc": self.iptc, "Xmp": self.xmp}.get(family)
        if container is None:
            return None
        if family == "Iptc":
            values = self.values(key)
            return ", ".join(values) if values else None
        found = _find(container, key)
        return None if found is None else found.toString()

    def values(self, key: str) -> list[str]:
        """All values of a key: repeated IPTC datasets, or the items of an XMP array."""
        if key.startswith("Iptc."):
            utf8 = self._iptc_is_utf8()
            return [_iptc_text(d, utf8) for d in self.iptc if d.key() == key]
        container = self.xmp if key.startswith("Xmp.") else self.exif
        found = _find(container, key)
        if found is None:
            return []
        value = found.value()
        if key.startswith("Xmp.") and found.typeName() in ("XmpBag", "XmpSeq", "XmpAlt"):
            return [value.toString(i) for i in range(value.count())]
        return [found.toString()]

    def _iptc_is_utf8(self) -> bool:
        """Whether the IPTC declares UTF-8 (coded character set ESC % G)."""
        for d in self.iptc:
            if d.key() == "Iptc.Envelope.CharacterSet":
                return _raw_text(d).startswith(b"\x1b%G")
        return False

    # -- blocks for encoders that embed metadata themselves ------------------------------------
    def exif_bytes(self) -> bytes | None:
        """The EXIF as a JPEG APP1 payload (``Exif\\0\\0`` + TIFF structure), or None."""
        if self.exif.empty():
            return None
        carrier = exiv2.ImageFactory.open(_EXIF_CARRIER)
        carrier.setExifData(self.exif)
        carrier.writeMetadata()
        return EXIF_HEADER + _io_bytes(carrier)

    def xmp_packet(self) -> bytes | None:
        """The XMP as a serialised packet (UTF-8), or None."""
        if self.xmp.empty():
            return None
        rc, packet = exiv2.XmpParser.encode(self.xmp,
                                            exiv2.XmpParser.XmpFormatFlags.useCompactFormat)
        return packet.encode("utf-8") if rc == 0 else None

    # -- changing ------------------------------------------------------------------------------
    def set_exif_bytes(self, data: bytes | None) -> None:
        """Replace the EXIF with the EXIF block ``data`` (with or without its header);
        None or ``b""`` removes it.  Raises ``ValueError`` for bytes that are not EXIF."""
        self.exif = exiv2.ExifData()
        if not data:
            return
        body = data[len(EXIF_HEADER):] if data.startswith(EXIF_HEADER) else data
        if body[:4] not in (b"II*\x00", b"MM\x00*"):
            raise ValueError("not an EXIF block")
        try:
            image = exiv2.ImageFactory.open(body)
            image.readMetadata()
        except exiv2.Exiv2Error as exc:
            raise ValueError(f"unreadable EXIF ({exc})") from None
        self.exif = _copy(image.exifData(), _descriptive)
        self._upright()

    def merge_xmp(self, other) -> None:
        """Take every XMP property of ``other`` (an XmpData), replacing ours of the same name."""
        tops = {_top_property(d.key()) for d in other}
        self.xmp = _copy(self.xmp, lambda d: _top_property(d.key()) not in tops)
        for datum in other:
            self.xmp.add(datum)

    def mirror_iptc_to_xmp(self) -> None:
        """Fill the XMP equivalents of the main IPTC fields that the XMP does not have."""
        for iptc_key, (xmp_key, kind) in _IPTC_TO_XMP.items():
            values = self.values(iptc_key)
            if not values or _find(self.xmp, xmp_key) is not None:
                continue
            if kind == "text":
                self.xmp[xmp_key] = values[0]
            elif kind == "langalt":
                self.xmp[xmp_key] = f'lang="x-default" {values[0]}'
            else:
                array = exiv2.XmpArrayValue(_ARRAY_TYPES[kind])
                for v in values:
                    array.read(v)
                self.xmp.add(exiv2.XmpKey(xmp_key), array)

    def for_output(self, width: int, height: int) -> "Metadata":
        """A copy for an output of ``width`` x ``height`` pixels: pixel dimensions updated, a new
        XMP instance ID, IPTC mirrored into XMP."""
        out = self.copy()
        out._upright()
        if not out.exif.empty():
            out.exif["Exif.Image.Orientation"] = exiv2.UShortValue(1)
            out.exif["Exif.Photo.PixelXDimension"] = exiv2.ULongValue(width)
            out.exif["Exif.Photo.PixelYDimension"] = exiv2.ULongValue(height)
        for key, value in (("Xmp.exif.PixelXDimension", width),
                           ("Xmp.exif.PixelYDimension", height),
                           ("Xmp.tiff.ImageWidth", width), ("Xmp.tiff.ImageLength", height)):
            if _find(out.xmp, key) is not None:
                out.xmp[key] = str(value)
        out.mirror_iptc_to_xmp()
        if not out.xmp.empty() or not out.exif.empty() or not out.iptc.empty():
            out.xmp["Xmp.xmpMM.InstanceID"] = f"xmp.iid:{uuid.uuid4()}"
        return out

    def _upright(self) -> None:
        """Orientation 1 wherever the photo states one: the pixels we hold are upright."""
        if _find(self.exif, "Exif.Image.Orientation") is not None:
            self.exif["Exif.Image.Orientation"] = exiv2.UShortValue(1)
        if _find(self.xmp, "Xmp.tiff.Orientation") is not None:
            self.xmp["Xmp.tiff.Orientation"] = "1"


def _raw_text(datum) -> bytes:
    """The bytes of a text datum as stored (exiv2 hands undecodable bytes over as surrogates)."""
    return datum.toString().encode("utf-8", "surrogateescape")


def _iptc_text(datum, utf8: bool) -> str:
    """An IPTC text as proper Unicode: UTF-8 where declared or valid, else Latin-1 (Windows
    code page 1252), the common encoding of IPTC written without a coded character set by
    older cameras and software."""
    raw = _raw_text(datum)
    if utf8:
        return raw.decode("utf-8", "replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", "replace")


def _top_property(key: str) -> str:
    return re.split(r"[\[/]", key, maxsplit=1)[0]


def _descriptive(datum) -> bool:
    """Whether an EXIF entry describes the photo (kept) rather than the file's layout."""
    group = datum.groupName()
    if _OTHER_IMAGE_GROUP.match(group):
        return False
    if group == "Image":
        tag = datum.tag()
        return tag not in _STRUCTURE_TAGS and tag not in _DNG_TAGS
    return True


def _from_image(image) -> Metadata:
    meta = Metadata(_copy(image.exifData(), _descriptive), _copy(image.iptcData()),
                    _copy(image.xmpData(), lambda d: d.key() not in _XMP_STRUCTURE))
    meta._upright()
    return meta


def read_metadata(path: str | os.PathLike) -> Metadata:
    """The upright metadata of a photo file (empty where there is none).

    A JPEG's extended XMP (the part of an XMP over 64 KB, in further APP1 segments) is read
    too and merged.  Raises ``ValueError`` naming the reason when exiv2 cannot parse the file's
    metadata (the caller decides whether the photo is still usable without it).
    """
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as view:
        heif = view[4:8] == b"ftyp"
        try:
            image = exiv2.ImageFactory.open(view)
            image.readMetadata()
            meta = _from_image(image)
        except exiv2.Exiv2Error as exc:
            if not heif:
                raise ValueError(f"its metadata cannot be read ({exc})") from None
            meta = Metadata()
        finally:
            image = None  # release the buffer before the map closes
        if view[:2] == b"\xff\xd8":
            _merge_extended_xmp(meta, view)
        elif view[:2] == b"BM" and meta.xmp.empty():
            _read_bmp_xmp(meta, view)
    if heif and (meta.exif.empty() or meta.xmp.empty()):
        _fill_from_decoder(meta, path)
    return meta


# --------------------------------------------------------------------------------------------
# BMP: no metadata of its own; our XMP (with the processing record) goes into the gap that the
# format allows between its headers and its pixels, which every reader skips
# --------------------------------------------------------------------------------------------

def bmp_with_xmp(bmp: bytes, packet: bytes | None) -> bytes:
    """``bmp`` (as Pillow writes it) with ``packet`` in the gap before its pixel rows."""
    if not packet or bmp[:2] != b"BM":
        return bmp
    offset = struct.unpack("<I", bmp[10:14])[0]
    gap = packet + b" " * (-len(packet) % 4)
    head = bytearray(bmp[:offset])
    head[2:6] = struct.pack("<I", len(bmp) + len(gap))
    head[10:14] = struct.pack("<I", offset + len(gap))
    return bytes(head) + gap + bmp[offset:]


def _read_bmp_xmp(meta: Metadata, data) -> None:
    if len(data) < 18:
        return
    offset = min(struct.unpack("<I", data[10:14])[0], len(data))
    start = data.find(b"<?xpacket begin", 14, offset)
    end = data.find(b"<?xpacket end", max(start, 0), offset)
    if start < 0 or end < 0:
        return
    end = data.find(b"?>", end, offset)
    if end < 0:
        return
    try:
        image = exiv2.ImageFactory.open(bytes(data[start:end + 2]))
        image.readMetadata()
        meta.xmp = _copy(image.xmpData(), lambda d: d.key() not in _XMP_STRUCTURE)
    except exiv2.Exiv2Error:
        pass


def _fill_from_decoder(meta: Metadata, path) -> None:
    """HEIC and AVIF: exiv2 misses the EXIF and XMP items of many tools' HEICs; libheif (and
    Pillow's AVIF plugin) hand them over, and fill what exiv2 did not find."""
    import pillow_heif
    pillow_heif.register_heif_opener()
    try:
        with Image.open(path) as image:
            exif, xmp = image.info.get("exif"), image.info.get("xmp")
    except Exception:  # noqa: BLE001 - unreadable blocks: the photo has none we can keep
        return
    fill_from_blocks(meta, exif, xmp)


# --------------------------------------------------------------------------------------------
# JPEG extended XMP (XMP specification part 3, 1.1.3.1): an XMP over 64 KB is split into a
# standard packet (with xmpNote:HasExtendedXMP = GUID) and the rest, in APP1 segments of its own
# --------------------------------------------------------------------------------------------

_EXT_HEADER = b"http://ns.adobe.com/xmp/extension/\x00"
_STD_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
_HAS_EXTENDED = "Xmp.xmpNote.HasExtendedXMP"
exiv2.XmpProperties.registerNs("http://ns.adobe.com/xmp/note/", "xmpNote")
STANDARD_XMP_LIMIT = 65000           # bytes of the standard packet in its APP1 segment
_EXT_CHUNK = 65400


def _jpeg_segments(data) -> list[tuple[int, int, int]]:
    """(marker, start, end) of a JPEG's segments before its first scan."""
    out, pos, size = [], 2, len(data)
    while pos + 4 <= size and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker == 0xDA or 0xD0 <= marker <= 0xD9:
            break
        length = struct.unpack(">H", data[pos + 2:pos + 4])[0]
        out.append((marker, pos, pos + 2 + length))
        pos += 2 + length
    return out


def _merge_extended_xmp(meta: Metadata, data) -> None:
    guid = meta.get(_HAS_EXTENDED)
    if not guid:
        return
    chunks: dict[int, bytes] = {}
    for marker, start, end in _jpeg_segments(data):
        payload = data[start + 4:end]
        if marker == 0xE1 and payload[:35] == _EXT_HEADER and \
                payload[35:67] == guid.strip().encode("ascii", "replace"):
            offset = struct.unpack(">I", payload[71:75])[0]
            chunks[offset] = bytes(payload[75:])
    if not chunks:
        return
    packet = b"".join(chunks[o] for o in sorted(chunks))
    try:
        image = exiv2.ImageFactory.open(packet)
        image.readMetadata()
        extended = _copy(image.xmpData(), lambda d: d.key() not in _XMP_STRUCTURE)
    except exiv2.Exiv2Error:
        return
    meta.merge_xmp(extended)
    _erase(meta.xmp, _HAS_EXTENDED)


def _encode_xmp(xmp) -> bytes:
    rc, packet = exiv2.XmpParser.encode(xmp, exiv2.XmpParser.XmpFormatFlags.useCompactFormat)
    return packet.encode("utf-8") if rc == 0 else b""


def split_xmp(meta: Metadata) -> tuple[Metadata, bytes | None]:
    """For a JPEG: ``meta`` with a standard XMP that fits its segment, and the extended XMP
    packet (None when all fits): the largest properties move to the extended XMP."""
    packet = _encode_xmp(meta.xmp)
    if len(packet) <= STANDARD_XMP_LIMIT:
        return meta, None
    sizes: dict[str, int] = {}
    for d in meta.xmp:
        top = _top_property(d.key())
        sizes[top] = sizes.get(top, 0) + len(d.toString()) + len(d.key())
    moved: set[str] = set()
    standard = meta.xmp
    for top in sorted(sizes, key=sizes.get, reverse=True):
        moved.add(top)
        standard = _copy(meta.xmp, lambda d: _top_property(d.key()) not in moved)
        if len(_encode_xmp(standard)) <= STANDARD_XMP_LIMIT - 200:
            break
    extended = _copy(meta.xmp, lambda d: _top_property(d.key()) in moved)
    ext_packet = _encode_xmp(extended)
    guid = hashlib.md5(ext_packet).hexdigest().upper()
    standard[_HAS_EXTENDED] = guid
    return Metadata(meta.exif, meta.iptc, standard), ext_packet


def _insert_extended_xmp(jpeg: bytes, packet: bytes, guid: str) -> bytes:
    """``jpeg`` with ``packet`` in extended-XMP APP1 segments after its standard XMP."""
    segments = _jpeg_segments(jpeg)
    at = 2
    for marker, start, end in segments:
        if marker == 0xE1 and jpeg[start + 4:start + 4 + len(_STD_HEADER)] == _STD_HEADER:
            at = end
            break
        if 0xE0 <= marker <= 0xEF:
            at = end
    parts = []
    for offset in range(0, len(packet), _EXT_CHUNK):
        chunk = packet[offset:offset + _EXT_CHUNK]
        body = (_EXT_HEADER + guid.encode("ascii") + struct.pack(">II", len(packet), offset)
                + chunk)
        parts.append(b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body)
    return jpeg[:at] + b"".join(parts) + jpeg[at:]


def fill_from_blocks(meta: Metadata, exif: bytes | None, xmp: bytes | None) -> list[str]:
    """Fill what ``meta`` lacks from an EXIF block and an XMP packet (as a decoder hands them
    over, e.g. libheif for a HEIC whose items exiv2 does not find); returns what was taken."""
    taken = []
    if exif and meta.exif.empty():
        exif = bytes(exif)
        starts = [i for i in (exif.find(b"II*\x00", 0, 16), exif.find(b"MM\x00*", 0, 16)) if i >= 0]
        try:
            meta.set_exif_bytes(exif[min(starts):] if starts else exif)
            taken.append("EXIF")
        except ValueError:
            pass
    if xmp and meta.xmp.empty():
        try:
            image = exiv2.ImageFactory.open(bytes(xmp))
            image.readMetadata()
            meta.xmp = _copy(image.xmpData(), lambda d: d.key() not in _XMP_STRUCTURE)
            meta._upright()
            taken.append("XMP")
        except exiv2.Exiv2Error:
            pass
    return taken


def read_sidecar(path: str | os.PathLike) -> exiv2.XmpData | None:
    """The XMP of a sidecar file (``photo.xmp``), or None when it is not readable XMP."""
    try:
        data = Path(path).read_bytes()
        image = exiv2.ImageFactory.open(data)
        image.readMetadata()
        return _copy(image.xmpData(), lambda d: d.key() not in _XMP_STRUCTURE)
    except (OSError, exiv2.Exiv2Error):
        return None


def sidecars_of(path: Path) -> Iterable[Path]:
    """Where a sidecar of ``path`` may be: ``name.xmp`` (Lightroom) and ``name.ext.xmp``
    (darktable), either case."""
    for name in (path.stem, path.name):
        for ext in (".xmp", ".XMP"):
            yield path.with_name(name + ext)


def embed(encoded, metadata: Metadata | None, icc_profile: bytes | None,
          out: BinaryIO) -> None:
    """Write ``encoded`` (a JPEG, TIFF, PNG or WebP file) to ``out`` with ``metadata`` written
    in by exiv2; the ICC profile the encoder wrote is kept, else ``icc_profile`` is added.
    Raises ``exiv2.Exiv2Error`` (before writing anything) when exiv2 refuses the metadata."""
    meta = metadata or Metadata()
    extended = None
    if bytes(encoded[:2]) == b"\xff\xd8" and not meta.xmp.empty():
        meta, extended = split_xmp(meta)
    if extended is not None:
        buffer = _bytes_io.BytesIO()
        embed(encoded, meta, icc_profile, buffer)
        out.write(_insert_extended_xmp(buffer.getvalue(), extended, meta.get(_HAS_EXTENDED)))
        return
    image = exiv2.ImageFactory.open(encoded)
    image.readMetadata()
    image.setExifData(meta.exif)
    image.setIptcData(meta.iptc)
    image.setXmpData(meta.xmp)
    if icc_profile and not image.iccProfileDefined():
        image.setIccProfile(exiv2.DataBuf(icc_profile))
    image.writeMetadata()
    io = image.io()
    io.open()
    try:
        with io.mmap() as view:
            out.write(view)  # straight from exiv2's buffer: no copy of a large TIFF
    finally:
        io.close()


# --------------------------------------------------------------------------------------------
# In words, for the window's Info panel
# --------------------------------------------------------------------------------------------

def describe(meta: Metadata) -> list[tuple[str, str]]:
    """What a photographer looks for, as ``(label, text)`` rows; rows without a value are left
    out.  Camera, lens, date, GPS, rating, label, keywords, hierarchy, caption, copyright."""
    def first(*keys: str) -> str:
        for key in keys:
            value = meta.get(key)
            if value:
                return value.removeprefix('lang="x-default" ').strip()
        return ""

    make, model = first("Exif.Image.Make"), first("Exif.Image.Model")
    # many makers repeat their name in the model ("Canon" + "Canon PowerShot G7 X")
    camera = model if make and model.lower().startswith(make.split()[0].lower()) else \
        " ".join(v for v in (make, model) if v)
    gps = ", ".join(f"{_degrees(first(f'Exif.GPSInfo.GPS{axis}'))} "
                    f"{first(f'Exif.GPSInfo.GPS{axis}Ref')}".strip()
                    for axis in ("Latitude", "Longitude") if first(f"Exif.GPSInfo.GPS{axis}"))
    rows = [
        ("Camera", camera),
        ("Lens", first("Exif.Photo.LensModel", "Xmp.aux.Lens")),
        ("Taken", first("Exif.Photo.DateTimeOriginal", "Xmp.photoshop.DateCreated")),
        ("GPS", gps),
        ("Rating", first("Xmp.xmp.Rating")),
        ("Label", first("Xmp.xmp.Label")),
        ("Keywords", ", ".join(meta.values("Xmp.dc.subject"))
         or ", ".join(meta.values("Iptc.Application2.Keywords"))),
        ("Hierarchy", ", ".join(meta.values("Xmp.lr.hierarchicalSubject"))),
        ("Caption", first("Xmp.dc.description", "Iptc.Application2.Caption")),
        ("Copyright", first("Xmp.dc.rights", "Iptc.Application2.Copyright",
                            "Exif.Image.Copyright")),
    ]
    return [(label, text) for label, text in rows if text]


def _degrees(rationals: str) -> str:
    """'48/1 51/1 24/1' -> '48.8567°' (degrees, minutes, seconds as EXIF rationals)."""
    try:
        parts = [float(n) / float(d) for n, d in (p.split("/") for p in rationals.split())]
    except (ValueError, ZeroDivisionError):
        return rationals
    value = sum(p / 60 ** i for i, p in enumerate(parts[:3]))
    return f"{value:.4f}°"
