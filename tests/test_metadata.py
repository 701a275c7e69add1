"""Metadata through exiv2 per output format, the processing record, HEIC/AVIF, camera RAW, and
the read-side defects of TIFFs (orientation, uint32) and multi-frame files."""

from __future__ import annotations

import functools
import hashlib
import io
import shutil
import subprocess
from pathlib import Path

import exiv2
import numpy as np
import pytest
import tifffile
from PIL import Image, ImageCms, ImageOps

from deblur_app.batch import BatchOptions, BatchRunner, collect_jobs
from deblur_app.engine import open_engine
from deblur_app.imaging.formats import (SUPPORTED_EXTENSIONS, is_supported, open_dialog_filter,
                                        output_format_for)
from deblur_app.imaging.io import read_photo, read_raw_preview, write_photo
from deblur_app.imaging.metadata import apply_orientation
from deblur_app.imaging.record import ProcessingRecord, read_record, record_for

from raw_sample import RAW_H, RAW_W, write_dng

H, W = 30, 40  # stored size; the source says Orientation 6, so upright it is W x H (H=40, W=30)


def stored_pixels() -> np.ndarray:
    """Smooth (lossy codecs keep it) and asymmetric (any turn or flip shows)."""
    y, x = np.mgrid[0:H, 0:W].astype(np.float32)
    rgb = np.stack([x / (W - 1), y / (H - 1), 0.5 + 0.3 * np.sin(x / 5) * np.cos(y / 4)], -1)
    return np.rint(rgb * 255).astype(np.uint8)


@functools.lru_cache(maxsize=1)
def srgb_icc() -> bytes:  # once: the profile's header carries the time it was made
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def raw_metadata(path: Path):
    """exiv2's view of a file, untouched by our reading (no orientation reset, no filter)."""
    image = exiv2.ImageFactory.open(str(path))
    image.readMetadata()
    return image


def values(data, key: str) -> list[str]:
    if key.startswith("Iptc."):
        return [d.toString() for d in data if d.key() == key]
    found = [d for d in data if d.key() == key]
    if not found:
        return []
    d = found[0]
    if d.typeName() in ("XmpBag", "XmpSeq"):
        return [d.value().toString(i) for i in range(d.value().count())]
    return [d.toString()]


def add_array(xmp, key: str, items, kind=exiv2.TypeId.xmpBag) -> None:
    array = exiv2.XmpArrayValue(kind)
    for item in items:
        array.read(item)
    xmp.add(exiv2.XmpKey(key), array)


def photographers_jpeg(path: Path) -> Path:
    """A camera JPEG as a photographer's catalogue leaves it: EXIF with camera, lens, date,
    GPS and a thumbnail, IPTC caption/keywords/copyright, XMP rating/label/keywords and
    Lightroom's keyword hierarchy, an ICC profile, stored rotated (Orientation 6)."""
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(stored_pixels()).save(path, quality=95, icc_profile=srgb_icc(),
                                          exif=exif.tobytes())
    image = exiv2.ImageFactory.open(str(path))
    image.readMetadata()
    ex = image.exifData()
    ex["Exif.Image.Make"] = "Nikon"
    ex["Exif.Image.Model"] = "Z 6II"
    ex["Exif.Photo.LensModel"] = "NIKKOR Z 50mm f/1.8 S"
    ex["Exif.Photo.DateTimeOriginal"] = "2024:06:15 16:42:07"
    ex["Exif.GPSInfo.GPSLatitudeRef"] = "N"
    ex["Exif.GPSInfo.GPSLatitude"] = "48/1 51/1 24/1"
    thumb = exiv2.ExifThumb(ex)
    small = Image.fromarray(stored_pixels()[::4, ::4])
    small.save(path.with_suffix(".thumb.jpg"))
    thumb.setJpegThumbnail(str(path.with_suffix(".thumb.jpg")))
    ip = image.iptcData()
    ip["Iptc.Application2.Caption"] = "First dance"
    ip["Iptc.Application2.Copyright"] = "(c) Ann Example"
    ip["Iptc.Application2.Keywords"] = "wedding"
    ip.add(exiv2.IptcKey("Iptc.Application2.Keywords"), exiv2.StringValue("dance"))
    xmp = image.xmpData()
    xmp["Xmp.xmp.Rating"] = "4"
    xmp["Xmp.xmp.Label"] = "Red"
    xmp["Xmp.tiff.Orientation"] = "6"
    add_array(xmp, "Xmp.dc.subject", ["wedding", "dance", "Ann"])
    add_array(xmp, "Xmp.lr.hierarchicalSubject", ["Events|Wedding", "People|Ann"])
    image.writeMetadata()
    return path


OUTPUTS = [(".jpg", 8), (".tif", 8), (".tif", 16), (".png", 8), (".png", 16), (".webp", 8),
           (".heic", 8), (".avif", 8)]
NATIVE_IPTC = {".jpg", ".tif", ".png"}


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    folder = tmp_path_factory.mktemp("src")
    return read_photo(photographers_jpeg(folder / "wedding.jpg"))


@pytest.mark.parametrize("ext, depth", OUTPUTS)
def test_every_metadata_family_survives_each_output_format(tmp_path, source, ext, depth):
    assert source.pixels.shape == (W, H, 3)  # upright
    out = write_photo(tmp_path / f"out{ext}", source.pixels, like=source, bit_depth=depth)
    image = raw_metadata(out)
    exif, iptc, xmp = image.exifData(), image.iptcData(), image.xmpData()
    # EXIF: camera, lens, date, GPS; orientation 1; own pixel size; no thumbnail
    assert values(exif, "Exif.Image.Make") == ["Nikon"]
    assert values(exif, "Exif.Image.Model") == ["Z 6II"]
    assert values(exif, "Exif.Photo.LensModel") == ["NIKKOR Z 50mm f/1.8 S"]
    assert values(exif, "Exif.Photo.DateTimeOriginal") == ["2024:06:15 16:42:07"]
    assert values(exif, "Exif.GPSInfo.GPSLatitudeRef") == ["N"]
    assert values(exif, "Exif.GPSInfo.GPSLatitude") == ["48/1 51/1 24/1"]
    if ext == ".avif":  # Pillow's AVIF encoder turns orientation into the container's own
        assert values(exif, "Exif.Image.Orientation") in ([], ["1"])
    else:
        assert values(exif, "Exif.Image.Orientation") == ["1"]
    assert values(exif, "Exif.Photo.PixelXDimension") == [str(H)]
    assert values(exif, "Exif.Photo.PixelYDimension") == [str(W)]
    assert not [d.key() for d in exif if d.key().startswith("Exif.Thumbnail.")]
    # IPTC where the format has it, and its XMP twin everywhere
    if ext in NATIVE_IPTC:
        assert values(iptc, "Iptc.Application2.Caption") == ["First dance"]
        assert values(iptc, "Iptc.Application2.Keywords") == ["wedding", "dance"]
        assert values(iptc, "Iptc.Application2.Copyright") == ["(c) Ann Example"]
    assert values(xmp, "Xmp.dc.description") == ['lang="x-default" First dance']
    assert values(xmp, "Xmp.dc.rights") == ['lang="x-default" (c) Ann Example']
    # XMP: rating, label, keywords, hierarchy, orientation
    assert values(xmp, "Xmp.xmp.Rating") == ["4"] and values(xmp, "Xmp.xmp.Label") == ["Red"]
    assert values(xmp, "Xmp.dc.subject") == ["wedding", "dance", "Ann"]
    assert values(xmp, "Xmp.lr.hierarchicalSubject") == ["Events|Wedding", "People|Ann"]
    assert values(xmp, "Xmp.tiff.Orientation") == ["1"]
    # ICC, dimensions, upright pixels, depth
    back = read_photo(out)
    assert back.icc_profile == source.icc_profile and source.icc_profile == srgb_icc()
    assert back.pixels.shape == (W, H, 3) and back.bit_depth == depth
    tolerance = 0.03 if ext in (".jpg", ".webp", ".heic", ".avif") else 0.005
    assert np.abs(back.pixels - source.pixels).mean() < tolerance


def test_source_orientation_in_exif_and_xmp_is_reset_on_reading(source):
    assert source.metadata.get("Exif.Image.Orientation") == "1"
    assert source.metadata.get("Xmp.tiff.Orientation") == "1"
    expected = np.rot90(stored_pixels(), -1).astype(np.float32) / 255
    assert np.abs(source.pixels - expected).mean() < 0.02


def test_bmp_carries_no_metadata(tmp_path, source):
    out = write_photo(tmp_path / "o.bmp", source.pixels, like=source)
    image = raw_metadata(out)
    assert image.exifData().empty() and image.xmpData().empty()


# ------------------------------------------------------------------------------------------
# The processing record
# ------------------------------------------------------------------------------------------

RECORD = ProcessingRecord(method="MIMO-UNet", model="mimo-unet-lite", weights_hash="0123456789ab",
                          scale="mid", sharpen_amount=0.5, sharpen_radius=1.2, contrast=0.25,
                          strength=0.8)


@pytest.mark.parametrize("ext", [".jpg", ".tif", ".png", ".heic"])
def test_processing_record_reads_back(tmp_path, source, ext):
    out = write_photo(tmp_path / f"r{ext}", source.pixels, like=source, record=RECORD)
    assert read_record(out) == RECORD
    xmp = raw_metadata(out).xmpData()
    assert values(xmp, "Xmp.xmp.CreatorTool") == [RECORD.software]
    assert RECORD.software.startswith("Deblur Studio ")
    action = "edited" if ext == ".jpg" else "converted"
    assert values(xmp, "Xmp.xmpMM.History[1]/stEvt:action") == [action]
    assert values(xmp, "Xmp.xmpMM.History[1]/stEvt:softwareAgent") == [RECORD.software]
    params = values(xmp, "Xmp.xmpMM.History[1]/stEvt:parameters")[0]
    assert "MIMO-UNet" in params and "mid scale" in params and "sharpen 0.5" in params
    # a second pass adds a second event and keeps the first
    again = write_photo(tmp_path / f"r2{ext}", source.pixels, like=read_photo(out),
                        record=RECORD)
    xmp = raw_metadata(again).xmpData()
    assert values(xmp, "Xmp.xmpMM.History[1]/stEvt:action") == [action]
    assert values(xmp, "Xmp.xmpMM.History[2]/stEvt:action") == ["edited"]
    assert read_record(tmp_path / "nothing.jpg") is None
    assert read_record(write_photo(tmp_path / f"plain{ext}", source.pixels)) is None


def test_exiftool_shows_the_record_and_lightroom_fields(tmp_path, source):
    exiftool = shutil.which("exiftool")
    assert exiftool, "exiftool is installed by scripts/install_system_deps.sh"
    out = write_photo(tmp_path / "lr.jpg", source.pixels, like=source, record=RECORD)
    text = subprocess.run([exiftool, "-a", "-G1", "-s", str(out)], capture_output=True,
                          text=True, check=True).stdout
    fields = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        fields[key.split()[0] + ":" + key.split()[1]] = value.strip()
    assert fields["[XMP-xmp]:CreatorTool"] == RECORD.software
    assert fields["[XMP-xmp]:Rating"] == "4" and fields["[XMP-xmp]:Label"] == "Red"
    assert fields["[XMP-lr]:HierarchicalSubject"] == "Events|Wedding, People|Ann"
    assert fields["[XMP-dc]:Subject"] == "wedding, dance, Ann"
    assert fields["[XMP-xmpMM]:HistoryAction"] == "edited"
    assert fields["[XMP-xmpMM]:HistorySoftwareAgent"] == RECORD.software
    assert "mid scale" in fields["[XMP-xmpMM]:HistoryParameters"]
    assert fields["[XMP-deblur]:WeightsHash"] == "0123456789ab"
    assert fields["[IPTC]:Caption-Abstract"] == "First dance"
    assert fields["[IFD0]:Orientation"] == "Horizontal (normal)"
    assert fields["[ExifIFD]:LensModel"] == "NIKKOR Z 50mm f/1.8 S"


def test_batch_runner_writes_the_record_of_the_network_and_settings(tmp_path, lite_weights):
    folder = tmp_path / "in"
    folder.mkdir()
    Image.fromarray(stored_pixels()).save(folder / "a.jpg")
    jobs, _ = collect_jobs([folder])
    engine = open_engine(lite_weights, None, "cpu", "auto", None, 64, "auto")
    from deblur_app.imaging.postprocess import PostSettings

    options = BatchOptions(tmp_path / "out", post=PostSettings(contrast=0.3), strength=0.7)
    [result] = BatchRunner(engine, options).run(jobs)
    assert result.status == "done", result.reason
    record = read_record(result.outputs[0])
    digest = hashlib.sha256(Path(lite_weights).read_bytes()).hexdigest()[:12]
    assert record == ProcessingRecord(method="MIMO-UNet", model="mimo-unet-lite",
                                      weights_hash=digest, scale="fine", contrast=0.3,
                                      strength=0.7)
    assert record_for(engine, "fine", PostSettings(contrast=0.3), 0.7) == record


# ------------------------------------------------------------------------------------------
# HEIC / AVIF reading
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt, ext", [("HEIF", ".heic"), ("AVIF", ".avif")])
def test_heic_and_avif_read_with_their_metadata_and_stay_in_format(tmp_path, fmt, ext):
    exif = Image.Exif()
    exif[0x010F] = "Apple"
    exif[0x0110] = "iPhone 15"
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
           b'22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/'
           b'xap/1.0/" xmp:Rating="2"/></rdf:RDF></x:xmpmeta>')
    src = tmp_path / f"phone{ext}"
    Image.fromarray(stored_pixels()).save(src, format=fmt, quality=95, exif=exif.tobytes(),
                                          xmp=xmp, icc_profile=srgb_icc())
    photo = read_photo(src)
    assert photo.format == fmt and photo.pixels.shape == (H, W, 3)
    assert photo.metadata.get("Exif.Image.Model") == "iPhone 15"
    assert photo.metadata.get("Xmp.xmp.Rating") == "2"
    assert photo.icc_profile == srgb_icc()
    assert np.abs(photo.pixels - stored_pixels() / 255).mean() < 0.03
    assert output_format_for(photo.format, "same") == (fmt, ext)
    out = read_photo(write_photo(tmp_path / f"out{ext}", photo.pixels, like=photo))
    assert out.format == fmt and out.metadata.get("Exif.Image.Model") == "iPhone 15"


def test_supported_extensions_and_the_one_dialog_filter(tmp_path):
    for ext in (".heic", ".HEIF", ".avif", ".dng", ".CR2", ".cr3", ".nef", ".arw", ".raf",
                ".orf", ".rw2", ".pef", ".jpg", ".tif"):
        assert is_supported(f"x{ext}"), ext
    text = open_dialog_filter()
    assert all(f"*{e}" in text and f"*{e.upper()}" in text for e in SUPPORTED_EXTENSIONS)
    for name in ("a.heic", "b.CR3", "c.dng", "d.txt"):
        (tmp_path / name).write_bytes(b"x")
    jobs, _ = collect_jobs([tmp_path])
    assert sorted(j.source.name for j in jobs) == ["a.heic", "b.CR3", "c.dng"]
    assert output_format_for("RAW", "same") == ("TIFF", ".tif")


# ------------------------------------------------------------------------------------------
# Camera RAW
# ------------------------------------------------------------------------------------------

def test_dng_demosaiced_with_camera_white_balance_into_16_bit_srgb(tmp_path):
    src = write_dng(tmp_path / "IMG_0001.dng")
    photo = read_photo(src)
    assert photo.format == "RAW" and photo.bit_depth == 16 and photo.mode == "RGB;16"
    assert photo.pixels.shape == (RAW_W, RAW_H, 3)  # Orientation 6: turned upright
    profile = ImageCms.ImageCmsProfile(io.BytesIO(photo.icc_profile))
    assert "sRGB" in ImageCms.getProfileDescription(profile)
    top, bottom = photo.pixels[8:40], photo.pixels[56:88]  # after the turn: grey on top
    grey = top.reshape(-1, 3).mean(0)
    assert grey.max() - grey.min() < 0.01 * grey.mean() and 0.3 < grey.mean() < 0.95
    red = bottom.reshape(-1, 3).mean(0)
    assert red[0] > 2 * red[1] and red[0] > 2 * red[2]
    levels = np.unique(np.rint(photo.pixels * 65535))
    assert len(levels) > 256 or np.any(np.rint(levels) % 257)  # more than 8 bits of data
    assert photo.metadata.get("Exif.Image.Make") == "DeblurCam"
    assert photo.metadata.get("Exif.Image.Orientation") == "1"
    assert photo.metadata.get("Exif.Image.DNGVersion") is None  # the RAW's layout stays behind


def test_raw_written_as_16_bit_tiff_with_its_exif_and_sidecar(tmp_path):
    src = write_dng(tmp_path / "IMG_0002.dng")
    sidecar = exiv2.XmpData()
    sidecar["Xmp.xmp.Rating"] = "5"
    add_array(sidecar, "Xmp.dc.subject", ["portrait"])
    rc, packet = exiv2.XmpParser.encode(sidecar)
    (tmp_path / "IMG_0002.xmp").write_text(packet, encoding="utf-8")
    photo = read_photo(src)
    assert any("IMG_0002.xmp" in note for note in photo.notes)
    out = write_photo(tmp_path / "out.tif", photo.pixels, like=photo, record=RECORD)
    back = read_photo(out)
    assert back.format == "TIFF" and back.bit_depth == 16 and back.pixels.shape == (RAW_W, RAW_H, 3)
    image = raw_metadata(out)
    assert values(image.exifData(), "Exif.Image.Make") == ["DeblurCam"]
    assert values(image.exifData(), "Exif.Photo.DateTimeOriginal") == ["2023:09:02 10:11:12"]
    assert values(image.exifData(), "Exif.Photo.LensModel") == ["Test 35mm"]
    assert values(image.exifData(), "Exif.Image.Orientation") == ["1"]
    assert values(image.exifData(), "Exif.Image.DNGVersion") == []
    assert values(image.xmpData(), "Xmp.xmp.Rating") == ["5"]
    assert values(image.xmpData(), "Xmp.dc.subject") == ["portrait"]
    assert values(image.xmpData(), "Xmp.xmpMM.History[1]/stEvt:action") == ["converted"]


def test_raw_quick_preview_is_smaller_and_8_bit(tmp_path):
    src = write_dng(tmp_path / "IMG_0003.dng")
    preview = read_raw_preview(src)
    assert preview.bit_depth == 8 and preview.pixels.shape == (RAW_W // 2, RAW_H // 2, 3)
    assert preview.notes


def test_damaged_raw_is_one_clear_message(tmp_path):
    bad = tmp_path / "broken.cr2"
    bad.write_bytes(b"not a raw file at all" * 10)
    with pytest.raises(ValueError, match="broken.cr2"):
        read_photo(bad)


# ------------------------------------------------------------------------------------------
# Read-side defects (issue 8): TIFF orientation, uint32 TIFFs, multi-frame files
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("compression", [None, "zlib"])
def test_eight_bit_tiff_orientation_applied_once(tmp_path, orientation, compression):
    stored = stored_pixels()
    path = tmp_path / "o.tif"
    tifffile.imwrite(path, stored, photometric="rgb", compression=compression,
                     extratags=[(274, "H", 1, orientation, True)])
    photo = read_photo(path)
    expected = apply_orientation(stored, orientation)
    with Image.open(path) as im:  # Pillow's own upright view agrees
        assert np.array_equal(np.asarray(ImageOps.exif_transpose(im)), expected)
    assert np.array_equal(np.rint(photo.pixels * 255).astype(np.uint8), expected)


def test_uint32_tiff_scaled_by_its_range_not_clipped_white(tmp_path):
    codes = np.array([0, 2**16, 2**30, 2**31, 2**32 - 1], dtype=np.uint32)
    rgb = np.resize(codes, H * W * 3).reshape(H, W, 3)
    tifffile.imwrite(tmp_path / "u32.tif", rgb, photometric="rgb")
    photo = read_photo(tmp_path / "u32.tif")
    assert photo.bit_depth == 16
    assert np.allclose(photo.pixels, rgb / (2**32 - 1), atol=1e-6)


def test_multi_page_tiff_and_animation_say_only_the_first_frame_is_used(tmp_path,
                                                                        lite_weights):
    pages = tmp_path / "in" / "pages.tif"
    pages.parent.mkdir()
    with tifffile.TiffWriter(pages) as tw:
        for i in range(3):
            tw.write(stored_pixels() // (i + 1), photometric="rgb")
    frames = [Image.fromarray(stored_pixels() // (i + 1)) for i in range(4)]
    anim = tmp_path / "in" / "anim.webp"
    frames[0].save(anim, save_all=True, append_images=frames[1:], duration=100, lossless=True)
    assert any("first of its 3 pages" in n for n in read_photo(pages).notes)
    assert any("first of its 4 frames" in n for n in read_photo(anim).notes)
    assert read_photo(tmp_path / "in" / "pages.tif").pixels.shape == (H, W, 3)
    jobs, _ = collect_jobs([pages.parent])
    engine = open_engine(lite_weights, None, "cpu", "auto", None, 64, "auto")
    results = BatchRunner(engine, BatchOptions(tmp_path / "out")).run(jobs)
    notes = {Path(r.source).name: r.notes for r in results}
    assert any("first of its 4 frames" in n for n in notes["anim.webp"])
    assert any("first of its 3 pages" in n for n in notes["pages.tif"])


@pytest.mark.parametrize("ext", [".heic", ".avif"])
def test_heic_and_avif_keep_alpha(tmp_path, ext):
    alpha = np.tile(np.linspace(0.0, 1.0, W, dtype=np.float32), (H, 1))
    out = read_photo(write_photo(tmp_path / f"a{ext}", stored_pixels() / np.float32(255),
                                 alpha=alpha))
    assert out.alpha is not None and np.abs(out.alpha - alpha).mean() < 0.03


def test_metadata_exiv2_refuses_is_left_out_with_a_note_not_the_photo(tmp_path, source,
                                                                      monkeypatch):
    from deblur_app.imaging import io as imio

    real = imio.embed

    def picky(encoded, meta, icc, out):  # refuses any EXIF, as with a damaged maker note
        if meta is not None and not meta.exif.empty():
            raise exiv2.Exiv2Error(exiv2.ErrorCode.kerCorruptedMetadata, "bad maker note")
        real(encoded, meta, icc, out)

    monkeypatch.setattr(imio, "embed", picky)
    notes: list[str] = []
    out = write_photo(tmp_path / "o.jpg", source.pixels, like=source, notes=notes)
    assert notes == ["o.jpg: the EXIF could not be written and was left out (bad maker note)"]
    image = raw_metadata(out)
    assert image.exifData().empty() and values(image.xmpData(), "Xmp.xmp.Rating") == ["4"]
