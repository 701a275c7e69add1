"""Reading and writing photos: formats, bit depths, EXIF, ICC, alpha, errors, atomic writes."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image, ImageCms, ImageFile, ImageOps, TiffImagePlugin

from deblur_app.imaging import io as imio
from deblur_app.imaging.io import (
    SUPPORTED_EXTENSIONS,
    ImageReadError,
    ImageWriteError,
    Photo,
    is_supported,
    output_format_for,
    read_photo,
    write_photo,
)

H, W = 30, 40
ARTIST, MAKE, TAKEN = 0x013B, 0x010F, 0x9003
EXIF_IFD, GPS_IFD, EXPOSURE = 0x8769, 0x8825, 0x829A


def smooth_rgb(h: int = H, w: int = W) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    return np.stack([x / (w - 1), y / (h - 1), 0.5 + 0.3 * np.sin(x / 5) * np.cos(y / 4)], -1)


def ramp_alpha(h: int = H, w: int = W) -> np.ndarray:
    return np.tile(np.linspace(0.0, 1.0, w, dtype=np.float32), (h, 1))


def srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def camera_exif(orientation: int = 1) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[ARTIST] = "Ann Example"
    exif[MAKE] = "ExampleCam"
    exif.get_ifd(EXIF_IFD)[TAKEN] = "2021:06:01 12:00:00"
    exif.get_ifd(EXIF_IFD)[EXPOSURE] = TiffImagePlugin.IFDRational(1, 250)
    exif.get_ifd(GPS_IFD)[1] = "N"  # GPSLatitudeRef
    return exif.tobytes()


def exif_of(path: Path) -> tuple[dict, dict]:
    """IFD0 tags and Exif sub-IFD tags (with the GPS sub-IFD under key "gps")."""
    with Image.open(path) as im:
        exif = im.getexif()
        sub = dict(exif.get_ifd(EXIF_IFD))
        sub["gps"] = dict(exif.get_ifd(GPS_IFD))
        return dict(exif), sub


def asymmetric_uint8(h: int = H, w: int = W) -> np.ndarray:
    rng = np.random.default_rng(7)
    return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)


# ------------------------------------------------------------------------------------------
# Round trips
# ------------------------------------------------------------------------------------------

ROUND_TRIPS = [
    (".jpg", 8, "JPEG", 8, 0.02),
    (".png", 8, "PNG", 8, 0.5 / 255),
    (".png", 16, "PNG", 16, 0.5 / 65535),
    (".tif", 8, "TIFF", 8, 0.5 / 255),
    (".tif", 16, "TIFF", 16, 0.5 / 65535),
    (".webp", 8, "WEBP", 8, 0.03),
    (".bmp", 8, "BMP", 8, 0.5 / 255),
]


@pytest.mark.parametrize("ext, depth, fmt, read_depth, tolerance", ROUND_TRIPS)
def test_round_trip_each_format(tmp_path, ext, depth, fmt, read_depth, tolerance):
    pixels = smooth_rgb()
    out = write_photo(tmp_path / f"out{ext}", pixels, bit_depth=depth)
    assert out == tmp_path / f"out{ext}"
    photo = read_photo(out)
    assert photo.format == fmt and photo.bit_depth == read_depth
    assert photo.pixels.dtype == np.float32 and photo.pixels.shape == (H, W, 3)
    assert (photo.width, photo.height) == (W, H)
    assert photo.megapixels == pytest.approx(W * H / 1e6)
    assert photo.source == out
    error = np.abs(photo.pixels - pixels)
    if fmt in ("JPEG", "WEBP"):
        assert error.mean() < tolerance
    else:
        assert error.max() <= tolerance + 1e-6


@pytest.mark.parametrize("ext", [".png", ".tif"])
def test_sixteen_bit_keeps_values_finer_than_eight_bits(tmp_path, ext):
    codes = np.array([1000, 1001, 1002, 30001, 65534, 7], dtype=np.float32)
    pixels = np.resize(codes, H * W * 3).reshape(H, W, 3) / 65535
    alpha = np.resize(codes[::-1], H * W).reshape(H, W) / 65535
    out = write_photo(tmp_path / f"deep{ext}", pixels, bit_depth=16, alpha=alpha)
    photo = read_photo(out)
    assert photo.bit_depth == 16 and photo.mode.endswith(";16")
    assert np.array_equal(np.rint(photo.pixels * 65535), np.rint(pixels * 65535))
    assert np.array_equal(np.rint(photo.alpha * 65535), np.rint(alpha * 65535))
    # and the same photo written "like" itself stays 16-bit
    again = read_photo(write_photo(tmp_path / f"again{ext}", photo.pixels, like=photo))
    assert again.bit_depth == 16
    assert np.array_equal(np.rint(again.pixels * 65535), np.rint(pixels * 65535))


def test_sixteen_bit_png_and_tiff_from_other_tools(tmp_path):
    import cv2

    rgb = (np.arange(H * W * 3).reshape(H, W, 3) * 37 % 65536).astype(np.uint16)
    cv2.imwrite(str(tmp_path / "cv.png"), rgb[:, :, ::-1])  # OpenCV stores BGR
    tifffile.imwrite(tmp_path / "tf.tif", rgb, photometric="rgb")
    tifffile.imwrite(tmp_path / "planar.tif", np.moveaxis(rgb, -1, 0), photometric="rgb",
                     planarconfig="separate")
    for name in ("cv.png", "tf.tif", "planar.tif"):
        photo = read_photo(tmp_path / name)
        assert photo.bit_depth == 16, name
        assert np.array_equal(np.rint(photo.pixels * 65535).astype(np.uint16), rgb), name


def test_tiffs_pillow_cannot_open_are_read_with_tifffile(tmp_path):
    rng = np.random.default_rng(2)
    rgb = rng.random((H, W, 3), dtype=np.float32)
    tifffile.imwrite(tmp_path / "float.tif", rgb, photometric="rgb",
                     extratags=[(274, "H", 1, 8, True)])  # stored rotated: orientation 8
    photo = read_photo(tmp_path / "float.tif")
    assert photo.bit_depth == 16 and photo.format == "TIFF" and photo.mode == "RGB;32F"
    assert np.array_equal(photo.pixels, np.rot90(rgb, 1))
    grey_alpha = (rng.random((H, W, 2)) * 65535).astype(np.uint16)
    tifffile.imwrite(tmp_path / "la16.tif", grey_alpha, photometric="minisblack",
                     extrasamples=(2,))
    photo = read_photo(tmp_path / "la16.tif")
    assert photo.mode == "LA;16" and photo.alpha is not None
    assert np.array_equal(np.rint(photo.alpha * 65535), grey_alpha[:, :, 1])
    assert np.array_equal(np.rint(photo.pixels[:, :, 1] * 65535), grey_alpha[:, :, 0])
    assert_read_error(tmp_path / "la16.tif", "too many pixels", max_pixels=100)


def test_sixteen_bit_tiff_orientation_applied(tmp_path):
    rgb = (np.random.default_rng(3).random((H, W, 3)) * 65535).astype(np.uint16)
    tifffile.imwrite(tmp_path / "o.tif", rgb, photometric="rgb",
                     extratags=[(274, "H", 1, 6, True)])
    photo = read_photo(tmp_path / "o.tif")
    assert np.array_equal(np.rint(photo.pixels * 65535), np.rot90(rgb, -1))


@pytest.mark.parametrize("ext", [".jpg", ".webp", ".bmp"])
def test_sixteen_bits_requested_for_eight_bit_formats_writes_eight(tmp_path, ext):
    photo = read_photo(write_photo(tmp_path / f"x{ext}", smooth_rgb(), bit_depth=16))
    assert photo.bit_depth == 8


def test_rounding_and_clipping_when_writing(tmp_path):
    pixels = np.zeros((2, 4, 3), np.float32)
    pixels[0, :, 0] = [10.49 / 255, 10.51 / 255, -0.5, 1.5]
    pixels[1, :, 0] = [np.nan, 0.0, 1.0, 254.5 / 255]
    out = write_photo(tmp_path / "r.png", pixels)
    with Image.open(out) as im:
        red = np.asarray(im)[:, :, 0]
    assert red.tolist() == [[10, 11, 0, 255], [0, 0, 255, 255]]


# ------------------------------------------------------------------------------------------
# Orientation and EXIF
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_matches_pillow(tmp_path, orientation):
    rgba = np.dstack([asymmetric_uint8(), np.arange(H * W, dtype=np.uint8).reshape(H, W)])
    path = tmp_path / "o.png"
    Image.fromarray(rgba, "RGBA").save(path, exif=camera_exif(orientation))
    photo = read_photo(path)
    with Image.open(path) as im:
        expected = np.asarray(ImageOps.exif_transpose(im))
    got = np.rint(photo.pixels * 255).astype(np.uint8)
    assert np.array_equal(got, expected[:, :, :3])
    assert np.array_equal(np.rint(photo.alpha * 255).astype(np.uint8), expected[:, :, 3])
    reread = Image.Exif()
    reread.load(photo.exif)
    assert reread[0x0112] == 1


def test_jpeg_orientation_applied_and_reset_other_tags_kept(tmp_path):
    src = tmp_path / "camera.jpg"
    pixels = asymmetric_uint8()
    Image.fromarray(pixels).save(src, quality=100, subsampling=0, exif=camera_exif(6))
    photo = read_photo(src)
    assert photo.pixels.shape == (W, H, 3)  # turned upright: 90 degrees clockwise
    with Image.open(src) as im:
        upright = np.asarray(ImageOps.exif_transpose(im)).astype(np.float32) / 255
    assert np.abs(photo.pixels - upright).max() < 1e-6
    assert np.abs(photo.pixels - np.rot90(pixels, -1) / 255).mean() < 0.03

    out = write_photo(tmp_path / "out.jpg", photo.pixels, like=photo)
    tags, sub = exif_of(out)
    assert tags[0x0112] == 1
    assert tags[ARTIST] == "Ann Example" and tags[MAKE] == "ExampleCam"
    assert sub[TAKEN] == "2021:06:01 12:00:00"
    assert read_photo(out).pixels.shape == (W, H, 3)  # no second rotation


@pytest.mark.parametrize("ext, depth", [(".jpg", 8), (".png", 8), (".png", 16), (".tif", 8),
                                        (".tif", 16), (".webp", 8)])
def test_exif_and_icc_kept_in_each_format(tmp_path, ext, depth):
    icc = srgb_icc()
    out = write_photo(tmp_path / f"m{ext}", smooth_rgb(), bit_depth=depth,
                      exif=camera_exif(3), icc_profile=icc)
    tags, sub = exif_of(out)
    assert tags[0x0112] == 1
    assert tags[ARTIST] == "Ann Example" and tags[MAKE] == "ExampleCam"
    assert sub[TAKEN] == "2021:06:01 12:00:00"
    assert float(sub[EXPOSURE]) == pytest.approx(1 / 250) and sub["gps"][1] == "N"
    photo = read_photo(out)
    assert photo.icc_profile == icc
    assert photo.bit_depth == depth
    kept = Image.Exif()
    kept.load(photo.exif)
    assert kept[ARTIST] == "Ann Example" and kept.get_ifd(EXIF_IFD)[TAKEN].startswith("2021")
    # the photo read back is upright as written (orientation 1, no rotation)
    assert photo.pixels.shape == (H, W, 3)


def test_metadata_defaults_come_from_like_and_can_be_dropped(tmp_path):
    icc = srgb_icc()
    src = tmp_path / "src.jpg"
    Image.fromarray(asymmetric_uint8()).save(src, exif=camera_exif(1), icc_profile=icc)
    photo = read_photo(src)
    assert photo.icc_profile == icc and photo.exif is not None
    kept = read_photo(write_photo(tmp_path / "kept.png", photo.pixels, like=photo))
    assert kept.icc_profile == icc and kept.exif is not None and kept.format == "PNG"
    bare = read_photo(write_photo(tmp_path / "bare.png", photo.pixels, like=photo,
                                  exif=b"", icc_profile=b""))
    assert bare.icc_profile is None and bare.exif is None


def test_exif_too_long_for_jpeg_loses_the_long_tag_not_the_rest(tmp_path):
    exif = Image.Exif()
    exif[ARTIST] = "A" * 70_000  # more than one JPEG APP1 segment can hold
    exif[MAKE] = "ExampleCam"
    out = write_photo(tmp_path / "long.jpg", smooth_rgb(), exif=exif.tobytes())
    tags, _ = exif_of(out)
    assert ARTIST not in tags and tags[MAKE] == "ExampleCam"  # exiv2 leaves out what cannot fit
    tags, _ = exif_of(write_photo(tmp_path / "long.tif", smooth_rgb(), exif=exif.tobytes()))
    assert tags[ARTIST] == "A" * 70_000 and tags[MAKE] == "ExampleCam"  # no such limit in TIFF


def test_bmp_keeps_no_metadata(tmp_path):
    out = write_photo(tmp_path / "m.bmp", smooth_rgb(), exif=camera_exif(), icc_profile=srgb_icc())
    photo = read_photo(out)
    assert photo.exif is None and photo.icc_profile is None


# ------------------------------------------------------------------------------------------
# Alpha
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("ext", [".png", ".tif", ".webp"])
def test_alpha_passed_through(tmp_path, ext):
    src = tmp_path / "src.png"
    rgba = np.dstack([asymmetric_uint8(), (ramp_alpha() * 255).astype(np.uint8)])
    Image.fromarray(rgba, "RGBA").save(src)
    photo = read_photo(src)
    assert photo.alpha is not None and photo.alpha.shape == (H, W)
    assert photo.alpha.dtype == np.float32
    out = read_photo(write_photo(tmp_path / f"out{ext}", photo.pixels, like=photo))
    assert out.alpha is not None
    assert np.abs(out.alpha - photo.alpha).max() <= 1 / 255 + 1e-6
    if ext != ".webp":  # lossy
        assert np.abs(out.pixels - photo.pixels).max() <= 1 / 255 + 1e-6


def test_webp_keeps_colour_under_transparent_pixels(tmp_path):
    alpha = np.zeros((H, W), np.float32)
    alpha[:, W // 2:] = 1.0
    out = read_photo(write_photo(tmp_path / "half.webp", smooth_rgb(), alpha=alpha))
    clear = alpha == 0
    assert np.abs(out.pixels[clear] - smooth_rgb()[clear]).mean() < 0.02  # not wiped


def test_alpha_dropped_for_jpeg_and_resized_for_smaller_outputs(tmp_path):
    photo = Photo(pixels=smooth_rgb(), alpha=ramp_alpha(), format="PNG")
    assert read_photo(write_photo(tmp_path / "a.jpg", photo.pixels, like=photo)).alpha is None
    half = smooth_rgb(H // 2, W // 2)
    small = read_photo(write_photo(tmp_path / "half.png", half, like=photo))
    assert small.alpha.shape == (H // 2, W // 2)
    assert np.abs(small.alpha - ramp_alpha(H // 2, W // 2)).max() < 0.05
    big = read_photo(write_photo(tmp_path / "big.png", smooth_rgb(2 * H, 2 * W), like=photo))
    assert big.alpha.shape == (2 * H, 2 * W)


# ------------------------------------------------------------------------------------------
# Grey, palette, CMYK
# ------------------------------------------------------------------------------------------

def test_grey_inputs_become_rgb(tmp_path):
    grey = asymmetric_uint8()[:, :, 0]
    Image.fromarray(grey, "L").save(tmp_path / "g.png")
    photo = read_photo(tmp_path / "g.png")
    assert photo.mode == "L" and photo.bit_depth == 8 and photo.pixels.shape == (H, W, 3)
    assert np.array_equal(np.rint(photo.pixels * 255)[:, :, 1], grey)
    assert np.array_equal(photo.pixels[:, :, 0], photo.pixels[:, :, 2])

    deep = (np.arange(H * W).reshape(H, W) * 51 + 1000).astype(np.uint16)
    Image.fromarray(deep).save(tmp_path / "g16.png")
    photo16 = read_photo(tmp_path / "g16.png")
    assert photo16.bit_depth == 16 and photo16.pixels.shape == (H, W, 3)
    assert np.array_equal(np.rint(photo16.pixels[:, :, 2] * 65535), deep)

    Image.fromarray(np.dstack([grey, grey[::-1]]), "LA").save(tmp_path / "la.png")
    with_alpha = read_photo(tmp_path / "la.png")
    assert np.array_equal(np.rint(with_alpha.alpha * 255), grey[::-1])


def test_palette_with_and_without_transparency(tmp_path):
    palette_image = Image.fromarray(asymmetric_uint8()).quantize(16)
    palette_image.save(tmp_path / "p.png")
    photo = read_photo(tmp_path / "p.png")
    assert photo.mode == "P" and photo.alpha is None
    expected = np.asarray(palette_image.convert("RGB"))
    assert np.array_equal(np.rint(photo.pixels * 255).astype(np.uint8), expected)

    palette_image.save(tmp_path / "pt.png", transparency=0)
    clear = read_photo(tmp_path / "pt.png")
    assert clear.alpha is not None
    index = np.asarray(palette_image)
    assert np.array_equal(clear.alpha == 0, index == 0)


def test_cmyk_plain_conversion(tmp_path):
    cmyk = Image.fromarray(asymmetric_uint8()).convert("CMYK")
    cmyk.save(tmp_path / "c.jpg", quality=100)
    photo = read_photo(tmp_path / "c.jpg")
    assert photo.mode == "CMYK" and photo.icc_profile is None
    with Image.open(tmp_path / "c.jpg") as im:
        expected = np.asarray(im.convert("RGB")).astype(np.float32) / 255
    assert np.abs(photo.pixels - expected).max() < 1e-6


def test_cmyk_with_profile_goes_through_colour_management(tmp_path, monkeypatch):
    icc = b"fake cmyk profile"
    Image.fromarray(asymmetric_uint8()).convert("CMYK").save(tmp_path / "c.tif", icc_profile=icc)
    calls = []

    def fake_profile(data):
        calls.append(data.read() if hasattr(data, "read") else data)
        return object()

    def fake_transform(im, source, target, **kwargs):
        calls.append(kwargs.get("outputMode"))
        return Image.new("RGB", im.size, (10, 20, 30))

    monkeypatch.setattr(ImageCms, "ImageCmsProfile", fake_profile)
    monkeypatch.setattr(ImageCms, "profileToProfile", fake_transform)
    monkeypatch.setattr(imio, "_srgb_profile_bytes", lambda: b"x" * 16 + b"RGB " + b"x" * 20)
    photo = read_photo(tmp_path / "c.tif")
    assert icc in calls and "RGB" in calls
    assert np.allclose(photo.pixels[0, 0], np.array([10, 20, 30]) / 255)
    assert photo.icc_profile[16:20] == b"RGB "  # the sRGB profile, not the CMYK one


def test_cmyk_with_unusable_profile_falls_back(tmp_path):
    # an RGB profile on CMYK data cannot drive the transform: plain conversion, profile dropped
    Image.fromarray(asymmetric_uint8()).convert("CMYK").save(tmp_path / "c.jpg",
                                                              icc_profile=srgb_icc())
    photo = read_photo(tmp_path / "c.jpg")
    assert photo.icc_profile is None and photo.pixels.shape == (H, W, 3)


# ------------------------------------------------------------------------------------------
# Errors a user can cause
# ------------------------------------------------------------------------------------------

def jpeg_bytes() -> bytes:
    buf = io.BytesIO()
    Image.fromarray(asymmetric_uint8(64, 64)).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def assert_read_error(path: Path, *words: str, **kwargs) -> ImageReadError:
    with pytest.raises(ImageReadError) as caught:
        read_photo(path, **kwargs)
    message = str(caught.value)
    assert path.name in message
    for word in words:
        assert word in message.lower()
    assert isinstance(caught.value, ValueError)
    return caught.value


def test_truncated_jpeg_is_refused(tmp_path):
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    data = jpeg_bytes()
    for cut in (len(data) // 2, len(data) - 10):
        path = tmp_path / f"cut{cut}.jpg"
        path.write_bytes(data[:cut])
        assert_read_error(path, "truncated")


def test_truncated_sixteen_bit_png_is_refused(tmp_path):
    out = write_photo(tmp_path / "deep.png", np.random.default_rng(1).random((H, W, 3)),
                      bit_depth=16)
    data = out.read_bytes()
    out.write_bytes(data[: len(data) // 2])
    assert_read_error(out, "truncated")


def test_empty_missing_folder_and_text_files_are_refused(tmp_path):
    (tmp_path / "empty.jpg").write_bytes(b"")
    assert_read_error(tmp_path / "empty.jpg", "empty")
    assert_read_error(tmp_path / "nothing.jpg", "not found")
    (tmp_path / "folder.jpg").mkdir()
    assert_read_error(tmp_path / "folder.jpg", "folder")
    (tmp_path / "notes.jpg").write_text("this is not a photo\n" * 20)
    assert_read_error(tmp_path / "notes.jpg", "not an image")


def test_too_many_pixels_is_refused(tmp_path):
    path = write_photo(tmp_path / "big.png", smooth_rgb())
    error = assert_read_error(path, "too many pixels", max_pixels=W * H - 1)
    assert "40 x 30" in str(error)
    assert read_photo(path, max_pixels=W * H).width == W


def test_unsupported_format_is_refused(tmp_path):
    Image.fromarray(asymmetric_uint8()).save(tmp_path / "anim.gif")
    assert_read_error(tmp_path / "anim.gif", "unsupported", "gif")


# ------------------------------------------------------------------------------------------
# Atomic writing
# ------------------------------------------------------------------------------------------

def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


def test_failed_encoder_leaves_nothing_behind(tmp_path, monkeypatch):
    seen = []

    def spy_open(file, *args, **kwargs):  # the temporary file write_photo opens
        seen.append(Path(file))
        return open(file, *args, **kwargs)

    def failing_save(self, fp, *args, **kwargs):
        fp.write(b"\xff\xd8 half a photo")
        raise OSError("disk full")

    import deblur_app.atomic as atomic_mod
    monkeypatch.setattr(atomic_mod, "open", spy_open, raising=False)
    monkeypatch.setattr(Image.Image, "save", failing_save)
    target = tmp_path / "out.jpg"
    with pytest.raises(ImageWriteError) as caught:
        write_photo(target, smooth_rgb())
    assert "out.jpg" in str(caught.value) and "disk full" in str(caught.value)
    assert isinstance(caught.value, OSError)
    assert not target.exists() and leftovers(tmp_path) == []
    temp = seen[0]  # written next to the target under a hidden temporary name
    assert temp.parent == tmp_path
    assert temp.name.startswith(".deblur-") and temp.name.endswith(".part")

    target.write_bytes(b"previous result")
    with pytest.raises(ImageWriteError):
        write_photo(target, smooth_rgb())
    assert target.read_bytes() == b"previous result" and leftovers(tmp_path) == []


def test_failed_tiff_encoder_leaves_nothing_behind(tmp_path, monkeypatch):
    def failing_imwrite(fh, *args, **kwargs):
        fh.write(b"II*\x00 partial")
        raise ValueError("encoder exploded")

    monkeypatch.setattr(tifffile, "imwrite", failing_imwrite)
    target = tmp_path / "out.tif"
    target.write_bytes(b"old")
    with pytest.raises(ImageWriteError, match="encoder exploded"):
        write_photo(target, smooth_rgb(), bit_depth=16)
    assert target.read_bytes() == b"old" and leftovers(tmp_path) == []


def test_write_replaces_existing_output_and_refuses_the_original(tmp_path):
    target = tmp_path / "out.png"
    target.write_bytes(b"old")
    write_photo(target, smooth_rgb())
    assert read_photo(target).format == "PNG" and leftovers(tmp_path) == []

    photo = read_photo(target)
    before = target.read_bytes()
    with pytest.raises(ImageWriteError, match="original"):
        write_photo(target, photo.pixels, like=photo)
    assert target.read_bytes() == before


def test_write_into_missing_folder_names_the_file(tmp_path):
    with pytest.raises(ImageWriteError, match="out.png"):
        write_photo(tmp_path / "no" / "such" / "out.png", smooth_rgb())


# ------------------------------------------------------------------------------------------
# Formats and names
# ------------------------------------------------------------------------------------------

def test_format_from_argument_suffix_or_like(tmp_path):
    like = Photo(pixels=smooth_rgb(), format="TIFF", bit_depth=16)
    assert read_photo(write_photo(tmp_path / "a.png", smooth_rgb(), like=like)).format == "PNG"
    assert read_photo(write_photo(tmp_path / "b.out", smooth_rgb(), like=like)).format == "TIFF"
    assert read_photo(write_photo(tmp_path / "c.dat", smooth_rgb(), fmt="jpg")).format == "JPEG"
    with pytest.raises(ValueError):
        write_photo(tmp_path / "d.dat", smooth_rgb())
    with pytest.raises(ValueError):
        write_photo(tmp_path / "e.png", smooth_rgb()[:, :, :2])


def test_output_format_for():
    assert output_format_for("JPEG", "same") == ("JPEG", ".jpg")
    assert output_format_for("MPO", "same") == ("JPEG", ".jpg")
    assert output_format_for("TIFF", "same") == ("TIFF", ".tif")
    assert output_format_for("WEBP", "same") == ("WEBP", ".webp")
    assert output_format_for("JPEG", "png") == ("PNG", ".png")
    assert output_format_for("PNG", "jpg") == ("JPEG", ".jpg")
    assert output_format_for("PNG", "tif") == ("TIFF", ".tif")
    with pytest.raises(ValueError):
        output_format_for("PNG", "gif")


def test_supported_extensions():
    assert {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp"} <= SUPPORTED_EXTENSIONS
    assert all(ext == ext.lower() and ext.startswith(".") for ext in SUPPORTED_EXTENSIONS)
    assert is_supported("IMG_0001.JPG") and is_supported(Path("a/b.tiff"))
    assert not is_supported("notes.txt") and not is_supported(".out.jpg.1a2b.part")
