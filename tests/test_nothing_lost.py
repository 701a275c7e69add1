"""Nothing lost, round 2 (issue 16): concurrent runs, kernel pictures, resumes, damaged files,
signals, names and the metadata that still slipped, defect by defect (numbered as in the
issue).  The network is an engine double (tests/conftest.py): what is tested is which files
are written, kept, refused and reported, and what they carry."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import IdentityEngine
from deblur_app.batch import BatchOptions, BatchRunner, collect_jobs
from deblur_app.imaging.io import read_photo
from deblur_app.imaging.record import read_record

TESTS = Path(__file__).parent


def _photo(path: Path, value: int, size=(24, 32), fmt=None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    img = np.full((*size, 3), value, np.uint8)
    img[::3, ::2] = 255 - value
    Image.fromarray(img).save(path, format=fmt)
    return path


def _mean(path) -> float:
    return float(read_photo(path).pixels.mean())


def _exiftool(*args) -> str:
    tool = shutil.which("exiftool")
    assert tool, "exiftool is installed by scripts/install_system_deps.sh"
    return subprocess.run([tool, *map(str, args)], capture_output=True, text=True,
                          check=True).stdout


class KernelEngine(IdentityEngine):
    """Shake estimation's double: the identity, and a kernel estimated for every photo."""
    method = "Shake estimation"

    def run(self, *args, **kw):
        res = super().run(*args, **kw)
        self.last_kernel = np.eye(9, dtype=np.float32) / 9
        return res


@pytest.fixture
def cli_shake(monkeypatch):
    import deblur_app.cli as cli
    engine = KernelEngine()
    monkeypatch.setattr(cli, "open_shake_engine", lambda args: engine)
    monkeypatch.setattr(cli, "open_engine", lambda *a, **k: IdentityEngine())
    return cli.main


# 1. two runs into one output folder, files appearing during a run ---------------------------
def test_two_runs_into_one_folder_keep_every_result(tmp_path):
    d1 = [_photo(tmp_path / "d1" / f"{c}.png", 30 + i * 20) for i, c in enumerate("abc")]
    d2 = [_photo(tmp_path / "d2" / f"{c}.png", 200 - i * 20) for i, c in enumerate("abc")]
    out = tmp_path / "out"
    first = BatchRunner(IdentityEngine(), BatchOptions(out))
    second = BatchRunner(IdentityEngine(), BatchOptions(out))
    plans1 = first.plan(collect_jobs([tmp_path / "d1"])[0])
    plans2 = second.plan(collect_jobs([tmp_path / "d2"])[0])
    # both planned the same free names; the second run writes all of them first
    assert [p.targets for p in plans1] == [p.targets for p in plans2]
    results2 = second.run(plans2)
    results1 = first.run(plans1)
    outputs = [o for r in results1 + results2 for o in r.outputs]
    assert len(set(outputs)) == 6 and sorted(outputs) == sorted(map(str, out.iterdir()))
    for src, res in zip(d1 + d2, results1 + results2):
        assert res.status == "done"
        assert _mean(res.outputs[0]) == pytest.approx(_mean(src), abs=0.02)
    assert all("was taken during the run" in " ".join(r.notes) for r in results1)
    assert sorted(p.name for p in out.iterdir()) == [
        "a_deblurred (2).png", "a_deblurred.png", "b_deblurred (2).png", "b_deblurred.png",
        "c_deblurred (2).png", "c_deblurred.png"]


def test_a_file_appearing_during_the_run_is_kept(tmp_path):
    a = _photo(tmp_path / "in" / "a.png", 60)
    out = tmp_path / "out"
    runner = BatchRunner(IdentityEngine(), BatchOptions(out, existing="overwrite"))
    (plan,) = runner.plan(collect_jobs([a])[0])
    out.mkdir()
    (out / "a_deblurred.png").write_bytes(b"the user's own file")      # appears meanwhile
    (res,) = runner.run([plan])
    assert (out / "a_deblurred.png").read_bytes() == b"the user's own file"
    assert res.outputs == [str(out / "a_deblurred (2).png")]


def test_overwrite_replaces_only_the_file_it_planned_to(tmp_path):
    a = _photo(tmp_path / "in" / "a.png", 60)
    out = tmp_path / "out"
    BatchRunner(IdentityEngine(), BatchOptions(out)).run(collect_jobs([a])[0])
    runner = BatchRunner(IdentityEngine(), BatchOptions(out, existing="overwrite"))
    (plan,) = runner.plan(collect_jobs([a])[0])
    assert plan.replaceable                        # our earlier result: to be replaced
    # meanwhile another run replaced that result with its own
    BatchRunner(IdentityEngine(), BatchOptions(out, existing="overwrite")).run(
        collect_jobs([a])[0])
    theirs = (out / "a_deblurred.png").read_bytes()
    (res,) = runner.run([plan])
    assert (out / "a_deblurred.png").read_bytes() == theirs
    assert res.outputs == [str(out / "a_deblurred (2).png")]


def test_report_path_taken_during_the_run_is_kept(tmp_path, monkeypatch):
    import deblur_app.cli as cli
    a = _photo(tmp_path / "in" / "a.png", 60)
    report = tmp_path / "r.json"

    class Intruder(IdentityEngine):
        def run(self, *args, **kw):
            report.write_text("the user's notes")
            return super().run(*args, **kw)

    monkeypatch.setattr(cli, "open_engine", lambda *a, **k: Intruder())
    assert cli.main([str(a), "-o", str(tmp_path / "out"), "--report", str(report),
                     "--quiet"]) == 0
    assert report.read_text() == "the user's notes"
    assert json.loads((tmp_path / "r (2).json").read_text())["summary"]["done"] == 1


# 2. kernel pictures are in the name plan ------------------------------------------------------
def test_kernel_pictures_are_planned_like_results(tmp_path, cli_shake, capsys):
    src = tmp_path / "in"
    x = _photo(src / "x.png", 40)
    xk = _photo(src / "x_kernel.png", 220)
    out = tmp_path / "out"
    assert cli_shake([str(src), "-o", str(out), "--suffix", "", "--method", "shake",
                      "--save-kernel", "--quiet"]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "x.png", "x_kernel (2).png", "x_kernel (2)_kernel.png", "x_kernel.png"]
    assert _mean(out / "x.png") == pytest.approx(_mean(x), abs=0.02)
    assert _mean(out / "x_kernel (2).png") == pytest.approx(_mean(xk), abs=0.02)
    assert read_record(out / "x_kernel.png").scale == "kernel"      # x's kernel, not a result
    # a report naming a planned kernel picture is refused before any work
    out2 = tmp_path / "out2"
    assert cli_shake([str(x), "-o", str(out2), "--method", "shake", "--save-kernel",
                      "--report", str(out2 / "x_deblurred_kernel.png")]) == 2
    assert "would overwrite the result" in capsys.readouterr().err and not out2.exists()


# 3. the clean-up of temporary files never deletes a user's file -------------------------------
def test_cleanup_keeps_a_users_hidden_part_file_in_the_photo_folder(tmp_path,
                                                                     cli_with_identity_engine):
    src = tmp_path / "in"
    a = _photo(src / "a.png", 60)
    notes = src / ".notes.12345678.part"
    notes.write_text("my notes")
    os.utime(notes, (time.time() - 7200, time.time() - 7200))
    assert cli_with_identity_engine([str(a), "-o", str(src), "--quiet"]) == 0
    assert notes.read_text() == "my notes"


# 4. 16-bit LZW TIFFs are turned once ----------------------------------------------------------
@pytest.mark.parametrize("orientation", range(1, 9))
def test_16_bit_lzw_tiff_orientation_applied_once(tmp_path, orientation):
    from deblur_app.imaging.metadata import apply_orientation
    stored = (np.arange(20 * 30).reshape(20, 30) * 100).astype(np.uint16)
    path = tmp_path / "lzw16.tif"
    Image.frombytes("I;16", (30, 20), stored.tobytes()).save(
        path, compression="tiff_lzw", tiffinfo={274: orientation})
    photo = read_photo(path)
    want = apply_orientation(stored.astype(np.float32) / 65535, orientation)
    assert photo.bit_depth == 16 and photo.pixels.shape[:2] == want.shape
    assert np.abs(photo.pixels[:, :, 0] - want).max() < 1e-4


# 5. -o = the photos' folder: earlier results are results, never new photos --------------------
def test_rerun_into_the_photo_folder_recognises_its_results(tmp_path, cli_shake, capsys):
    src = tmp_path / "in"
    _photo(src / "a.jpg", 60)
    _photo(src / "b.png", 120)
    args = [str(src), "-o", str(src), "--quiet", "--method", "shake", "--save-kernel"]
    assert cli_shake(args) == 0
    first = sorted(p.name for p in src.iterdir())
    assert first == ["a.jpg", "a_deblurred.jpg", "a_deblurred_kernel.png", "b.png",
                     "b_deblurred.png", "b_deblurred_kernel.png"]
    report = tmp_path / "r.json"
    assert cli_shake(args + ["--skip-existing", "--report", str(report)]) == 0
    assert sorted(p.name for p in src.iterdir()) == first                # nothing new
    data = json.loads(report.read_text())
    assert data["summary"] == {"done": 0, "skipped": 2, "failed": 0, "cancelled": 0}
    assert cli_shake(args) == 0                                         # a plain rerun
    new = sorted(set(p.name for p in src.iterdir()) - set(first))
    assert new == ["a_deblurred (2).jpg", "a_deblurred (2)_kernel.png",
                   "b_deblurred (2).png", "b_deblurred (2)_kernel.png"]
    assert "4 results of Deblur Studio left out" in capsys.readouterr().err


# 6. --scale all resumed after a stop between scales --------------------------------------------
def test_scale_all_resume_completes_the_set(tmp_path, cli_with_identity_engine):
    main = cli_with_identity_engine
    a = _photo(tmp_path / "in" / "a.png", 60, size=(40, 48))
    out = tmp_path / "out"
    assert main([str(a), "-o", str(out), "--scale", "all", "--quiet"]) == 0
    (out / "a_deblurred_mid.png").unlink()          # stopped after the coarse scale...
    (out / "a_deblurred_fine.png").unlink()
    coarse = (out / "a_deblurred_coarse.png").stat().st_mtime_ns
    assert main([str(a), "-o", str(out), "--scale", "all", "--skip-existing", "--quiet"]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "a_deblurred_coarse.png", "a_deblurred_fine.png", "a_deblurred_mid.png"]
    assert (out / "a_deblurred_coarse.png").stat().st_mtime_ns == coarse
    assert read_photo(out / "a_deblurred_mid.png").pixels.shape[:2] == (20, 24)


# 7, 8. HEIC metadata of common tools; JPEG extended XMP ---------------------------------------
def test_heic_metadata_written_by_exiftool_is_kept(tmp_path, cli_with_identity_engine):
    src = _photo(tmp_path / "in" / "p.heic", 90, fmt="HEIF")
    _exiftool("-q", "-overwrite_original", "-Make=TestMake", "-Rating=4",
              "-XMP-dc:Title=Harbour", src)
    out = tmp_path / "out"
    assert cli_with_identity_engine([str(src), "-o", str(out), "--quiet"]) == 0
    text = _exiftool("-a", "-G1", "-s", out / "p_deblurred.heic")
    assert "TestMake" in text and "Rating" in text and "Harbour" in text


def test_jpeg_extended_xmp_is_read_and_written(tmp_path, cli_with_identity_engine):
    src = _photo(tmp_path / "in" / "long.jpg", 90)
    words = " ".join(f"word{i}" for i in range(10000))             # ~90 KB of caption
    caption = tmp_path / "caption.txt"
    caption.write_text(words)
    _exiftool("-q", "-overwrite_original", f"-XMP-dc:Description<={caption}", src)
    assert "Has Extended XMP" in _exiftool("-a", "-G1", src)
    out = tmp_path / "out"
    assert cli_with_identity_engine([str(src), "-o", str(out), "--quiet"]) == 0
    result = out / "long_deblurred.jpg"
    text = _exiftool("-a", "-G1", "-b", "-XMP-dc:Description", result)
    assert text.strip() == words
    assert read_record(result) is not None
    assert read_photo(result).metadata.get("Xmp.dc.description").endswith("word9999")


# 9. damaged files and headers their data cannot back ------------------------------------------
def test_a_tiny_jpeg_claiming_192_megapixels_is_refused_before_decoding(tmp_path, monkeypatch):
    from PIL import ImageFile

    from fuzz_corpus import bomb_jpeg
    path = tmp_path / "bomb.jpg"
    path.write_bytes(bomb_jpeg())
    assert 2000 < path.stat().st_size < 3000
    decoded = []

    def load(self):                        # decoding it would take 10 GB and minutes
        decoded.append(self)
        raise AssertionError("decoded")
    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    results = BatchRunner(IdentityEngine(), BatchOptions(tmp_path / "out")).run(
        collect_jobs([path])[0])
    assert results[0].status == "failed" and not decoded
    assert "bomb.jpg" in results[0].reason and "12000 x 16000" in results[0].reason
    assert "damaged" in results[0].reason


def test_files_whose_data_ends_early_are_named_as_damaged(tmp_path):
    from fuzz_corpus import damaged_files
    rng = np.random.default_rng(5)
    files = damaged_files(rng)
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    jobs, _ = collect_jobs([tmp_path])
    results = BatchRunner(IdentityEngine(), BatchOptions(tmp_path / "out")).run(jobs)
    assert len(results) == len(files)
    for r in results:
        assert r.status == "failed", r.source
        assert Path(r.source).name in r.reason and "damaged" in r.reason, r.reason


# 10. Latin-1 IPTC without a coded character set --------------------------------------------------
def test_latin1_iptc_caption_is_read_and_mirrored(tmp_path, cli_with_identity_engine):
    from fuzz_corpus import latin1_iptc_jpeg
    src = tmp_path / "in"
    src.mkdir()
    (src / "a_old_camera.jpg").write_bytes(latin1_iptc_jpeg())
    _photo(src / "b.jpg", 100)
    out = tmp_path / "out"
    assert cli_with_identity_engine([str(src), "-o", str(out), "--quiet"]) == 0
    meta = read_photo(out / "a_old_camera_deblurred.jpg").metadata
    assert meta.get("Xmp.dc.description") == 'lang="x-default" Café crème brûlée'
    assert (out / "b_deblurred.jpg").is_file()


# 11. names that would pass 255 bytes ---------------------------------------------------------------
def test_long_names_are_shortened_never_fatal(tmp_path, cli_shake, capsys):
    stem = "é" * 100 + "x" * 51                                   # a 255-byte file name
    a = _photo(tmp_path / "in" / (stem + ".png"), 60)
    assert len(a.name.encode()) == 255
    out = tmp_path / "out"
    out.mkdir()                                                     # the folder exists
    for _ in range(2):
        assert cli_shake([str(a), "-o", str(out), "--scale", "all", "--method", "shake",
                          "--save-kernel"]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert len(names) == 8 and all(len(n.encode()) <= 255 for n in names)
    tails = sorted(n[n.index("_deblurred"):] for n in names)
    assert tails == ["_deblurred_coarse (2).png", "_deblurred_coarse (2)_kernel.png",
                     "_deblurred_coarse.png", "_deblurred_coarse_kernel.png",
                     "_deblurred_fine (2).png", "_deblurred_fine.png",
                     "_deblurred_mid (2).png", "_deblurred_mid.png"]
    assert "shortened to" in capsys.readouterr().err


# 12. SIGINT and SIGTERM: one clean stop, at any moment ----------------------------------------------
def test_sigterm_during_encoding_stops_the_run_cleanly(tmp_path, cli_with_identity_engine,
                                                       monkeypatch):
    import deblur_app.imaging.io as io
    real = io._encode_with_pillow

    def encode_then_terminated(*a, **k):
        os.kill(os.getpid(), signal.SIGTERM)          # lands while the photo is encoded
        return real(*a, **k)

    monkeypatch.setattr(io, "_encode_with_pillow", encode_then_terminated)
    photos = [_photo(tmp_path / "in" / f"{i}.jpg", 40 * i) for i in range(3)]
    report = tmp_path / "r.json"
    out = tmp_path / "out"
    rc = cli_with_identity_engine([*map(str, photos), "-o", str(out), "--report", str(report),
                                   "--quiet"])
    assert rc == 130
    data = json.loads(report.read_text())
    assert [f["status"] for f in data["files"]] == ["cancelled"] * 3
    assert not any(f["reason"] for f in data["files"])
    assert not out.exists() or not list(out.iterdir())          # no half photo, no temporary


def _start(tmp_path, photos, report, hook: str):
    """`deblur` in a child process, with ``hook`` run before the command (to slow a phase)."""
    marker = tmp_path / "phase"
    code = (f"import sys, time; sys.path.insert(0, {str(TESTS)!r})\n"
            "from pathlib import Path\n"
            "from conftest import IdentityEngine\n"
            "import deblur_app.cli as cli\n"
            f"MARK = Path({str(marker)!r})\n" + hook +
            "sys.exit(cli.main(sys.argv[1:]))\n")
    proc = subprocess.Popen([sys.executable, "-c", code, *map(str, photos), "-o",
                             str(tmp_path / "out"), "--report", str(report)],
                            stderr=subprocess.PIPE, text=True, cwd=TESTS.parent)
    for _ in range(600):
        if marker.exists() or proc.poll() is not None:
            break
        time.sleep(0.05)
    return proc


SLOW_MODEL = ("def slow(*a, **k):\n    MARK.touch(); time.sleep(60)\n"
              "cli.open_engine = slow\n")
SLOW_IMPORTS = ("real = cli.build_parser\n"
                "def slow():\n    MARK.touch(); time.sleep(60); return real()\n"
                "cli.build_parser = slow\n")


SLOW_LIBRARY = ("lib = MARK.parent / 'slow_library.py'\n"
                "lib.write_text(f'import time\\nfrom pathlib import Path\\n'\n"
                "               f'Path({str(MARK)!r}).touch(); time.sleep(2)\\n'\n"
                "               f'Path({str(MARK)!r} + \"-whole\").touch()\\n')\n"
                "sys.path.insert(0, str(MARK.parent))\n"
                "cli.LIBRARIES.append('slow_library')\n")


@pytest.mark.parametrize("sig, hook", [(signal.SIGTERM, SLOW_MODEL), (signal.SIGINT, SLOW_MODEL),
                                       (signal.SIGTERM, SLOW_IMPORTS),
                                       (signal.SIGINT, SLOW_IMPORTS),
                                       (signal.SIGTERM, SLOW_LIBRARY)])
def test_a_stop_while_starting_is_clean(tmp_path, sig, hook):
    photos = [_photo(tmp_path / "in" / f"{i}.png", 40 * i) for i in range(2)]
    report = tmp_path / "r.json"
    proc = _start(tmp_path, photos, report, hook)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "interrupted:" in err
    data = json.loads(report.read_text())       # the report is written all the same
    assert [f["status"] for f in data["files"]] == ["cancelled", "cancelled"]
    assert [f["source"] for f in data["files"]] == [str(p) for p in photos]
    if hook is SLOW_LIBRARY:                    # a library is never cut half way through
        assert (tmp_path / "phase-whole").exists()


# 13. the smaller ones ---------------------------------------------------------------------------
@pytest.mark.parametrize("bad, words", [
    (["--kernel-size", "abc"], "--kernel-size"),
    (["--detail", "nan"], "detail must be between 0 and 1"),
    (["--region", "x"], "--region: region must be X,Y,W,H"),
    (["--method", "network", "--save-kernel"], "--save-kernel only apply to --method shake"),
    (["--method", "shake", "--weights", "w.safetensors"], "--weights choose the network"),
    (["--method", "shake", "--model", "mimo-unet"], "--model choose the network"),
    (["--kernel-size", "１５", "--method", "shake"], "--kernel-size"),
    (["--detail", "0_5", "--method", "shake"], "--detail"),
    (["--region", "1_0,0,64,64", "--method", "shake"], "--region"),
    (["--device", "cuda:１"], "--device"),
])
def test_options_are_checked_whatever_the_method(tmp_path, cli_with_identity_engine, capsys,
                                                 bad, words):
    a = _photo(tmp_path / "in" / "a.jpg", 60)
    out = tmp_path / "out"
    assert cli_with_identity_engine([str(a), "-o", str(out), *bad]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err
    assert not out.exists()


@pytest.mark.parametrize("bad, words", [
    (["--jpeg-quality", "9_0"], "not a whole number"),
    (["--tile", "１２８"], "not a whole number"),
    (["--overlap", "6_4"], "not a whole number"),
    (["--strength", "０.５"], "not a number"),
    (["--sharpen", "1_0"], "not a number"),
    (["--contrast", "0.1_0"], "not a number"),
])
def test_numbers_are_plain_ascii(tmp_path, cli_with_identity_engine, capsys, bad, words):
    a = _photo(tmp_path / "in" / "a.jpg", 60)
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as stop:
        cli_with_identity_engine([str(a), "-o", str(out), *bad])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert bad[0] in err and words in err and "Traceback" not in err
    assert not out.exists()


def test_overwrite_recognises_its_own_bmp_results(tmp_path, cli_with_identity_engine):
    main = cli_with_identity_engine
    a = _photo(tmp_path / "in" / "a.bmp", 60, fmt="BMP")
    out = tmp_path / "out"
    assert main([str(a), "-o", str(out), "--quiet"]) == 0
    assert read_record(out / "a_deblurred.bmp") is not None
    assert main([str(a), "-o", str(out), "--quiet", "--overwrite"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["a_deblurred.bmp"]
    assert _mean(out / "a_deblurred.bmp") == pytest.approx(_mean(a), abs=0.01)


def test_output_on_a_dangling_link_is_refused_before_any_work(tmp_path,
                                                              cli_with_identity_engine, capsys):
    a = _photo(tmp_path / "in" / "a.jpg", 60)
    out = tmp_path / "out"
    os.symlink(tmp_path / "gone", out)
    assert cli_with_identity_engine([str(a), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "symbolic link to nothing" in err and "File exists" not in err


def test_case_insensitive_file_systems_never_collide(tmp_path, cli_with_identity_engine,
                                                     monkeypatch):
    import deblur_app.batch.scan as scan
    assert scan.folds_case(tmp_path) is False               # this file system keeps case
    monkeypatch.setattr(scan, "folds_case", lambda folder: True)   # a FAT or exFAT card
    big = _photo(tmp_path / "d1" / "A.jpg", 40)
    small = _photo(tmp_path / "d2" / "a.jpg", 200)
    out = tmp_path / "out"
    assert cli_with_identity_engine([str(big), str(small), "-o", str(out), "--quiet"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["A_deblurred.jpg", "a_deblurred (2).jpg"]


def test_case_probe_tells_by_an_entry_that_is_there(tmp_path, monkeypatch):
    import deblur_app.batch.scan as scan
    folder = tmp_path / "card"
    folder.mkdir()
    (folder / "IMG.JPG").write_bytes(b"x")
    os.link(folder / "IMG.JPG", folder / "img.jpg")   # what a case-folding card would show
    monkeypatch.setattr(scan, "_FOLDS", {})
    assert scan.folds_case(folder) is True


def test_what_a_format_cannot_hold_is_said(tmp_path):
    from deblur_app.imaging.io import write_photo
    from fuzz_corpus import latin1_iptc_jpeg
    src = tmp_path / "old.jpg"
    src.write_bytes(latin1_iptc_jpeg())
    _exiftool("-q", "-overwrite_original", "-IPTC:SpecialInstructions=Do not crop",
              "-EXIF:Make=OldCam", src)
    photo = read_photo(src)
    notes: list[str] = []
    write_photo(tmp_path / "o.heic", photo.pixels, like=photo, notes=notes)
    assert notes == ["old.jpg: IPTC SpecialInstructions left out (the main IPTC fields are "
                     "kept in XMP) (no place for it in HEIF)"]
    assert read_photo(tmp_path / "o.heic").metadata.get("Exif.Image.Make") == "OldCam"
    notes = []
    write_photo(tmp_path / "o.bmp", photo.pixels, like=photo, notes=notes)
    assert notes == ["old.jpg: the EXIF and the IPTC left out (no place for it in BMP)"]


def test_many_earlier_results_in_the_photo_folder_make_one_note(tmp_path,
                                                                 cli_with_identity_engine,
                                                                 capsys):
    src = tmp_path / "in"
    for i in range(5):
        _photo(src / f"{i}.png", 30 * i)
    assert cli_with_identity_engine([str(src), "-o", str(src), "--quiet"]) == 0
    capsys.readouterr()
    assert cli_with_identity_engine([str(src), "-o", str(src), "--quiet",
                                     "--skip-existing"]) == 0
    err = capsys.readouterr().err
    assert "note: 5 results of Deblur Studio left out" in err and "warning:" not in err


def test_a_suffix_that_leaves_no_room_for_a_name_is_refused(tmp_path, cli_with_identity_engine,
                                                           capsys):
    a = _photo(tmp_path / "in" / "a.jpg", 60)
    assert cli_with_identity_engine([str(a), "-o", str(tmp_path / "out"),
                                     "--suffix", "📷" * 60]) == 2
    assert "within 255 bytes" in capsys.readouterr().err


def test_light_modules_agree_with_the_record():
    """The report and the clean-up know our files without importing exiv2: same words."""
    from deblur_app.atomic import _OUR_SIGNATURES
    from deblur_app.batch.report import GENERATOR
    from deblur_app.imaging.record import NAMESPACE, SOFTWARE
    assert GENERATOR == SOFTWARE
    assert NAMESPACE.encode() in _OUR_SIGNATURES
    assert f'"generator": "{SOFTWARE}'.encode() in _OUR_SIGNATURES
