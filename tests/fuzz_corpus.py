"""A seeded corpus of malformed and odd photo files, for the batch fuzz test.

``make_corpus(folder, seed)`` writes 200+ files: good photos of every format and mode, and
damaged or odd ones (truncated at many points, bit-flipped, wrong extensions, absurd declared
sizes, odd modes and depths, broken EXIF/ICC, odd names, links, empty files, folders named like
photos).  The same seed gives the same bytes.
"""
from __future__ import annotations

import hashlib
import io
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import tifffile
from PIL import Image


def _image(rng, h=16, w=24, channels=3, dtype=np.uint8):
    top = 255 if dtype == np.uint8 else 65535
    shape = (h, w) if channels == 1 else (h, w, channels)
    return (rng.random(shape) * top).astype(dtype)


def _encode(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def _exif(make="FuzzCam", orientation=6) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = make
    exif[0x0112] = orientation
    return exif.tobytes()


def base_files(rng) -> dict[str, bytes]:
    """Valid photos: every format, several modes and depths."""
    rgb = Image.fromarray(_image(rng))
    out = {
        "good.jpg": _encode(rgb, "JPEG", quality=90, exif=_exif()),
        "good.png": _encode(rgb, "PNG"),
        "good.webp": _encode(rgb, "WEBP", quality=80),
        "good.bmp": _encode(rgb, "BMP"),
        "grey.png": _encode(Image.fromarray(_image(rng, channels=1)), "PNG"),
        "grey_alpha.png": _encode(Image.fromarray(_image(rng, channels=2)[..., 0]).convert("LA"),
                                  "PNG"),
        "palette.png": _encode(rgb.convert("P"), "PNG"),
        "palette_transparent.png": _encode(rgb.convert("P"), "PNG", transparency=3),
        "bilevel.png": _encode(rgb.convert("1"), "PNG"),
        "rgba.png": _encode(Image.fromarray(_image(rng, channels=4)), "PNG"),
        "cmyk.jpg": _encode(rgb.convert("CMYK"), "JPEG"),
        "grey.jpg": _encode(rgb.convert("L"), "JPEG"),
        "one_pixel.png": _encode(Image.new("RGB", (1, 1), (9, 99, 199)), "PNG"),
        "one_row.jpg": _encode(Image.new("RGB", (300, 1), (9, 99, 199)), "JPEG"),
        "one_column.png": _encode(Image.new("RGB", (1, 300), (9, 99, 199)), "PNG"),
        "with_icc.jpg": _encode(rgb, "JPEG", icc_profile=b"\0" * 128),   # a nonsense profile
        "animated.webp": _animated(rng, "WEBP"),
        "animated.png": _animated(rng, "PNG"),
    }
    for name, arr, kw in (
            ("good8.tif", _image(rng), {}),
            ("good16.tif", _image(rng, dtype=np.uint16), {}),
            ("float.tif", rng.random((16, 24, 3)).astype(np.float32), {}),
            ("grey16.tif", _image(rng, channels=1, dtype=np.uint16), {}),
            ("two_channel.tif", _image(rng, channels=2), {"photometric": "minisblack",
                                                          "planarconfig": "contig"}),
            ("rgba16.tif", _image(rng, channels=4, dtype=np.uint16),
             {"photometric": "rgb", "extrasamples": (2,)}),
            ("uint32.tif", (rng.random((16, 24, 3)) * 2**32).astype(np.uint32), {}),
            ("multipage.tif", np.stack([_image(rng), _image(rng)]), {}),
    ):
        buf = io.BytesIO()
        kw = dict(kw)
        if "photometric" not in kw and arr.ndim == 3 and arr.shape[-1] == 3:
            kw["photometric"] = "rgb"
        tifffile.imwrite(buf, arr, **kw)
        out[name] = buf.getvalue()
    return out


def _animated(rng, fmt) -> bytes:
    frames = [Image.fromarray(_image(rng)) for _ in range(3)]
    return _encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=50)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(
        ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def huge_declared(rng) -> dict[str, bytes]:
    """Headers that promise enormous images (decompression bombs) with little data behind."""
    out = {}
    for w, h in ((100_000, 100_000), (2**31 - 1, 1), (20_000, 20_000)):
        ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
        out[f"huge_{w}x{h}.png"] = (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr)
                                    + _png_chunk(b"IDAT", zlib.compress(b"\0" * 1000))
                                    + _png_chunk(b"IEND", b""))
    bmp = bytearray(_encode(Image.new("RGB", (4, 4)), "BMP"))
    bmp[18:26] = struct.pack("<ii", 60_000, 60_000)
    out["huge.bmp"] = bytes(bmp)
    jpg = bytearray(_encode(Image.new("RGB", (8, 8)), "JPEG"))
    sof = jpg.find(b"\xff\xc0")
    jpg[sof + 5:sof + 9] = struct.pack(">HH", 65_000, 65_000)
    out["huge.jpg"] = bytes(jpg)
    return out


def broken_metadata(rng) -> dict[str, bytes]:
    out = {}
    good = _encode(Image.fromarray(_image(rng)), "JPEG", exif=_exif())
    app1 = good.find(b"Exif\0\0")
    for i, cut in enumerate((8, 20, 40)):
        bad = bytearray(good)
        for j in range(app1 + cut, app1 + cut + 12):
            bad[j] = int(rng.integers(0, 256))
        out[f"bad_exif_{i}.jpg"] = bytes(bad)
    out["exif_orientation_9.jpg"] = _encode(Image.fromarray(_image(rng)), "JPEG",
                                            exif=_exif(orientation=9))
    out["exif_orientation_0.jpg"] = _encode(Image.fromarray(_image(rng)), "JPEG",
                                            exif=_exif(orientation=0))
    out["huge_icc.png"] = _encode(Image.fromarray(_image(rng)), "PNG",
                                  icc_profile=bytes(rng.integers(0, 256, 5000, np.uint8)))
    out["text_icc.jpg"] = _encode(Image.fromarray(_image(rng)), "JPEG", icc_profile=b"hello")
    for orientation in range(1, 9):
        out[f"orient{orientation}.tif"] = _tiff_with_orientation(rng, orientation)
    return out


def _tiff_with_orientation(rng, orientation: int) -> bytes:
    buf = io.BytesIO()
    tifffile.imwrite(buf, _image(rng), photometric="rgb",
                     extratags=[(274, "H", 1, orientation, True)])
    return buf.getvalue()


def bomb_jpeg() -> bytes:
    """2.5 KB of JPEG whose header claims 12000 x 16000 pixels (192 MP)."""
    jpg = bytearray(_encode(Image.new("L", (8, 8), 128), "JPEG"))
    sof = jpg.find(b"\xff\xc0")
    jpg[sof + 5:sof + 9] = struct.pack(">HH", 16000, 12000)       # height, width
    comment = b"\xff\xfe" + struct.pack(">H", 1900) + b"x" * 1898
    return bytes(jpg[:2] + comment + jpg[2:])


def _isobmff_photo(rng, fmt: str) -> bytes:
    return _encode(Image.fromarray(_image(rng, 64, 96)), fmt)


def damaged_files(rng) -> dict[str, bytes]:
    """Files whose data ends early: cut, or zero-filled where the data should be (a copy that
    stopped early on a card), or with a box/strip/container longer than the file."""
    out = {}
    photo = Image.fromarray(_image(rng, 64, 96))
    for fmt, ext in (("AVIF", "avif"), ("HEIF", "heic"), ("WEBP", "webp"), ("PNG", "png")):
        data = _encode(photo, fmt)
        keep = len(data) * 3 // 4
        out[f"zero_tail.{ext}"] = data[:keep] + b"\0" * (len(data) - keep)
        out[f"cut_box.{ext}"] = data[:keep]
    tif = io.BytesIO()
    tifffile.imwrite(tif, _image(rng, 64, 96), photometric="rgb", rowsperstrip=8)
    out["strip_past_end.tif"] = tif.getvalue()[:len(tif.getvalue()) * 2 // 3]
    bmp = _encode(photo, "BMP")
    out["rows_missing.bmp"] = bmp[:len(bmp) // 2]
    jpg = _encode(photo, "JPEG")
    out["no_end.jpg"] = jpg[:len(jpg) * 3 // 4]
    # cut, then closed with an end marker (a grey band otherwise): its restart markers tell
    jpg = _encode(Image.fromarray(_image(rng, 128, 96)), "JPEG", restart_marker_rows=1)
    out["cut_and_closed.jpg"] = jpg[:len(jpg) // 2] + b"\xff\xd9"
    return out


def latin1_iptc_jpeg() -> bytes:
    """A JPEG with an IPTC caption in Latin-1 and no coded character set (older cameras)."""
    caption = "Café crème brûlée".encode("latin-1")
    iptc = (b"\x1c\x02\x00" + struct.pack(">H", 2) + b"\x00\x04"
            + b"\x1c\x02\x78" + struct.pack(">H", len(caption)) + caption
            + b"\x1c\x02\x19" + struct.pack(">H", 3) + "été".encode("latin-1"))
    block = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(iptc)) \
        + iptc + b"\x00" * (len(iptc) % 2)
    payload = b"Photoshop 3.0\x00" + block
    app13 = b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload
    jpg = _encode(Image.new("RGB", (32, 24), (90, 120, 150)), "JPEG")
    return jpg[:2] + app13 + jpg[2:]


def extended_xmp_jpeg() -> bytes:
    """A JPEG whose XMP is over 64 KB: a standard packet pointing to an extended one."""
    words = " ".join(f"w{i}" for i in range(20000)).encode()
    ext = (b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF xmlns:rdf="
           b"'http://www.w3.org/1999/02/22-rdf-syntax-ns#'><rdf:Description rdf:about='' "
           b"xmlns:dc='http://purl.org/dc/elements/1.1/'><dc:description><rdf:Alt>"
           b"<rdf:li xml:lang='x-default'>" + words + b"</rdf:li></rdf:Alt></dc:description>"
           b"</rdf:Description></rdf:RDF></x:xmpmeta>")
    guid = hashlib.md5(ext).hexdigest().upper().encode()
    std = (b"<?xpacket begin='' id='W5M0MpCehiHzreSzNTczkc9d'?><x:xmpmeta xmlns:x='adobe:ns:"
           b"meta/'><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>"
           b"<rdf:Description rdf:about='' xmlns:xmpNote='http://ns.adobe.com/xmp/note/' "
           b"xmpNote:HasExtendedXMP='" + guid + b"'/></rdf:RDF></x:xmpmeta>"
           b"<?xpacket end='w'?>")
    segments = [b"http://ns.adobe.com/xap/1.0/\x00" + std]
    for offset in range(0, len(ext), 60000):
        segments.append(b"http://ns.adobe.com/xmp/extension/\x00" + guid
                        + struct.pack(">II", len(ext), offset) + ext[offset:offset + 60000])
    app1 = b"".join(b"\xff\xe1" + struct.pack(">H", len(s) + 2) + s for s in segments)
    jpg = _encode(Image.new("RGB", (32, 24), (150, 120, 90)), "JPEG")
    return jpg[:2] + app1 + jpg[2:]


def lzw16_tiff(orientation: int) -> bytes:
    """A 16-bit LZW TIFF (decoded by OpenCV here, which turns it itself) with an orientation."""
    stored = (np.arange(20 * 30).reshape(20, 30) * 100).astype(np.uint16)
    return _encode(Image.frombytes("I;16", (30, 20), stored.tobytes()), "TIFF",
                   compression="tiff_lzw", tiffinfo={274: orientation})


def round_two(rng) -> dict[str, tuple[bytes, str]]:
    """The cases of the second fuzzing round (issue 16): name -> (bytes, kind)."""
    out = {"bomb_192mp.jpg": (bomb_jpeg(), "damaged"),
           "latin1_iptc.jpg": (latin1_iptc_jpeg(), "good"),
           "extended_xmp.jpg": (extended_xmp_jpeg(), "good"),
           "heic_photo.heic": (_isobmff_photo(rng, "HEIF"), "good"),
           "avif_photo.avif": (_isobmff_photo(rng, "AVIF"), "good")}
    for name, data in damaged_files(rng).items():
        out["damaged_" + name] = (data, "damaged")
    for orientation in (1, 3, 6, 8):
        out[f"lzw16_orient{orientation}.tif"] = (lzw16_tiff(orientation), "good")
    long_stem = "é" * 100 + "y" * 51
    out[long_stem + ".png"] = (_encode(Image.fromarray(_image(rng)), "PNG"), "good")
    out["Case.png"] = (_encode(Image.fromarray(_image(rng)), "PNG"), "good")
    out["case.png"] = (_encode(Image.fromarray(_image(rng)), "PNG"), "good")
    return out


def make_corpus(folder: Path, seed: int = 0) -> dict[str, str]:
    """Write the corpus into ``folder``; returns {file name: kind} for every entry made."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    kinds: dict[str, str] = {}

    def put(name: str, data: bytes, kind: str):
        (folder / name).write_bytes(data)
        kinds[name] = kind

    bases = base_files(rng)
    for name, data in bases.items():
        put(name, data, "odd" if not name.startswith("good") else "good")
    # truncations at many points of every base format
    for name in ("good.jpg", "good.png", "good.webp", "good.bmp", "good8.tif", "good16.tif"):
        data = bases[name]
        stem, ext = os.path.splitext(name)
        for i, frac in enumerate(np.linspace(0.0, 0.98, 12)):
            put(f"{stem}_cut{i:02d}{ext}", data[:int(len(data) * frac)], "truncated")
    # bit flips
    for name in ("good.jpg", "good.png", "good.webp", "good8.tif", "good16.tif", "good.bmp"):
        data = bases[name]
        stem, ext = os.path.splitext(name)
        for i in range(10):
            bad = bytearray(data)
            for pos in rng.integers(0, len(bad), size=int(rng.integers(1, 6))):
                bad[pos] ^= 1 << int(rng.integers(0, 8))
            put(f"{stem}_flip{i}{ext}", bytes(bad), "flipped")
    # wrong extensions
    swaps = [("good.png", ".jpg"), ("good.jpg", ".png"), ("good.jpg", ".tif"),
             ("good8.tif", ".webp"), ("good.webp", ".bmp"), ("good.bmp", ".jpeg"),
             ("good16.tif", ".png"), ("good.png", ".tiff")]
    for i, (name, ext) in enumerate(swaps):
        put(f"swapped{i}{ext}", bases[name], "wrong extension")
    put("text.jpg", b"This is a letter, not a photo.\n" * 10, "not a photo")
    put("html.png", b"<html><body>404</body></html>", "not a photo")
    put("zeros.tif", b"\0" * 4096, "not a photo")
    put("random.webp", bytes(rng.integers(0, 256, 3000, np.uint8)), "not a photo")
    put("empty.jpg", b"", "empty")
    put("empty.png", b"", "empty")
    for name, data in huge_declared(rng).items():
        put(name, data, "huge")
    for name, data in broken_metadata(rng).items():
        put(name, data, "metadata")
    # odd names
    for name in ("café ünïcode.jpg", "with space.png", "-starts-with-dash.jpg",
                 "UPPER.JPG", "Mixed.Png", "dots.in.name.tif", "emoji_📷.png",
                 "x" * 200 + ".jpg", "semi;colon&amp.png", "quote'name\".jpg"):
        put(name, bases["good.jpg" if name.lower().endswith(("jpg", "jpeg")) else
                       "good8.tif" if name.endswith("tif") else "good.png"], "odd name")
    # links, folders named like photos, hidden files
    os.symlink("good.jpg", folder / "link_to_good.jpg")
    kinds["link_to_good.jpg"] = "link"
    os.symlink("nowhere.jpg", folder / "dangling.jpg")
    kinds["dangling.jpg"] = "link"
    os.symlink("loop.png", folder / "loop.png")
    kinds["loop.png"] = "link"
    (folder / "folder.jpg").mkdir()
    kinds["folder.jpg"] = "folder"
    (folder / "sub").mkdir()
    (folder / "sub" / "good.jpg").write_bytes(bases["good.jpg"])        # same name, other folder
    kinds["sub/good.jpg"] = "good"
    os.symlink("..", folder / "sub" / "up")
    (folder / ".hidden.jpg").write_bytes(bases["good.jpg"])
    for name, (data, kind) in round_two(rng).items():
        put(name, data, kind)
    # a hidden file of the user's that looks like an old temporary file, old
    (folder / ".notes.12345678.part").write_bytes(b"my notes")
    os.utime(folder / ".notes.12345678.part", (1e9, 1e9))
    return kinds
