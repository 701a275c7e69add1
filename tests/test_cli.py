"""The deblur command end to end: folders mirrored, names, scales, bad files, originals safe."""
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from deblur_app.cli import main
from deblur_app.imaging.io import read_photo


def _hash_tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def photos(tmp_path, sample_rgb):
    src = tmp_path / "shoot"
    (src / "day2").mkdir(parents=True)
    crop = (sample_rgb[200:296, 300:428] * 255 + 0.5).astype(np.uint8)
    exif = Image.Exif()
    exif[0x010F] = "TestCam"
    Image.fromarray(crop).save(src / "a.jpg", quality=95, exif=exif.tobytes())
    import cv2
    c16 = (sample_rgb[100:164, 100:180] * 65535 + 0.5).astype(np.uint16)
    cv2.imwrite(str(src / "day2" / "b.png"), c16[..., ::-1])
    (src / "day2" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    (src / "notes.txt").write_text("not a photo")
    return src


def test_batch_mirrors_folders_keeps_originals_and_reports(photos, tmp_path, lite_weights):
    before = _hash_tree(photos)
    out = tmp_path / "out"
    report = tmp_path / "report.json"
    rc = main([str(photos), "-o", str(out), "--recursive", "--weights", str(lite_weights),
               "--report", str(report), "--quiet", "--tile", "64"])
    assert rc == 1  # one photo failed
    assert _hash_tree(photos) == before
    assert (out / "a_deblurred.jpg").is_file()
    b = read_photo(out / "day2" / "b_deblurred.png")
    assert b.bit_depth == 16 and b.pixels.shape == (64, 80, 3)
    a = read_photo(out / "a_deblurred.jpg")
    assert a.exif and b"TestCam" in a.exif
    data = json.loads(report.read_text())
    assert data["summary"] == {"done": 2, "skipped": 0, "failed": 1, "cancelled": 0}
    failed = [f for f in data["files"] if f["status"] == "failed"]
    assert "broken.jpg" in failed[0]["reason"]
    assert not list(out.rglob("*.part"))


def test_scale_all_writes_three_native_sizes_and_skip_existing(photos, tmp_path, lite_weights):
    out = tmp_path / "o"
    args = [str(photos / "a.jpg"), "-o", str(out), "--scale", "all", "--weights",
            str(lite_weights), "--quiet", "--format", "png", "--suffix", "_x"]
    assert main(args) == 0
    sizes = {s: read_photo(out / f"a_x_{s}.png").pixels.shape[:2]
             for s in ("coarse", "mid", "fine")}
    assert sizes == {"coarse": (24, 32), "mid": (48, 64), "fine": (96, 128)}
    stamp = (out / "a_x_fine.png").stat().st_mtime_ns
    report = tmp_path / "r.json"
    assert main(args + ["--skip-existing", "--report", str(report)]) == 0
    assert (out / "a_x_fine.png").stat().st_mtime_ns == stamp
    assert json.loads(report.read_text())["summary"]["skipped"] == 1


def test_output_onto_the_input_gets_a_new_name(photos, lite_weights, capsys):
    before = _hash_tree(photos)
    rc = main([str(photos / "a.jpg"), "-o", str(photos), "--suffix", "", "--weights",
               str(lite_weights), "--quiet"])
    assert rc == 0
    after = _hash_tree(photos)
    assert {k: v for k, v in after.items() if k in before} == before
    assert set(after) - set(before) == {"a (2).jpg"}
    err = capsys.readouterr().err
    assert "a.jpg is taken by the photo" in err and "a (2).jpg" in err


def test_bad_weights_give_one_clear_message(photos, tmp_path, capsys):
    bad = tmp_path / "model.pth"
    bad.write_bytes(b"this is not a checkpoint")
    rc = main([str(photos / "a.jpg"), "-o", str(tmp_path / "o"), "--weights", str(bad)])
    err = capsys.readouterr().err
    assert rc == 2
    assert "not a PyTorch checkpoint" in err and "model.pth" in err
    assert "Traceback" not in err


def test_post_processing_options_change_the_result(photos, tmp_path, lite_weights):
    common = [str(photos / "a.jpg"), "--weights", str(lite_weights), "--quiet",
              "--format", "png"]
    assert main(common + ["-o", str(tmp_path / "plain")]) == 0
    assert main(common + ["-o", str(tmp_path / "post"), "--sharpen", "1.0",
                          "--contrast", "0.5"]) == 0
    p = read_photo(tmp_path / "plain" / "a_deblurred.png").pixels
    q = read_photo(tmp_path / "post" / "a_deblurred.png").pixels
    assert np.abs(p - q).mean() > 0.005


def test_module_entry_point_and_help():
    r = subprocess.run([sys.executable, "-m", "deblur_app.cli", "--help"], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0 and "--scale" in r.stdout and "--skip-existing" in r.stdout
