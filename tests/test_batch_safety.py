"""Nothing lost, nothing overwritten: the `deblur` command's file handling, defect by defect.

The network is replaced by an engine double (tests/conftest.py) so each case runs in
milliseconds; what is tested is which files are written, kept, refused and reported.
"""
import hashlib
import json
import os
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from deblur_app.batch import BatchOptions, BatchRunner, collect_jobs
from deblur_app.imaging.io import read_photo


def _photo(path: Path, value: int, size=(24, 32), fmt=None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    img = np.full((*size, 3), value, np.uint8)
    img[::3, ::2] = 255 - value                   # some texture
    Image.fromarray(img).save(path, format=fmt)
    return path


def _hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _mean(path: Path) -> float:
    return float(read_photo(path).pixels.mean())


# 1. --report never overwrites a photo or any file that is not our report -------------------
def test_report_path_that_is_a_photo_or_a_foreign_file_is_refused(tmp_path,
                                                                    cli_with_identity_engine,
                                                                    capsys):
    main = cli_with_identity_engine
    a = _photo(tmp_path / "in" / "a.jpg", 40)
    b = _photo(tmp_path / "in" / "b.jpg", 90)
    notes = tmp_path / "notes.json"
    notes.write_text('{"my": "notes"}')
    before = _hashes(tmp_path)
    out = tmp_path / "out"
    # the shell expansion mistake of the issue: the first photo became the report path
    assert main(["--report", str(a), str(b), "-o", str(out), "--quiet"]) == 2
    assert main([str(a), str(b), "-o", str(out), "--report", str(a), "--quiet"]) == 2
    assert main([str(a), "-o", str(out), "--report", str(notes), "--quiet"]) == 2
    assert main([str(a), "-o", str(out), "--report", str(out / "a_deblurred.jpg")]) == 2
    err = capsys.readouterr().err
    assert "would overwrite the photo" in err and "is not a Deblur Studio report" in err
    assert "would overwrite the result" in err
    assert _hashes(tmp_path) == before and not out.exists()      # refused before any work
    # our own earlier report may be replaced
    report = tmp_path / "r.json"
    assert main([str(a), "-o", str(out), "--report", str(report), "--quiet"]) == 0
    assert main([str(b), "-o", str(out), "--report", str(report), "--quiet"]) == 0
    assert json.loads(report.read_text())["files"][0]["source"] == str(b)


# 2. results with the same name get distinct names, in the report too ------------------------
def test_same_output_names_are_made_unique_and_said(tmp_path, cli_with_identity_engine,
                                                    capsys):
    main = cli_with_identity_engine
    src = tmp_path / "in"
    a = _photo(src / "a.jpg", 30)
    a2 = _photo(src / "a.jpeg", 200, fmt="JPEG")
    out = tmp_path / "out"
    report = tmp_path / "r.json"
    assert main([str(a), str(a2), "-o", str(out), "--report", str(report), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "a_deblurred.jpg is taken by the result of" in err and "a_deblurred (2).jpg" in err
    files = json.loads(report.read_text())["files"]
    outputs = [f["outputs"][0] for f in files]
    assert len(set(outputs)) == 2
    assert _mean(Path(outputs[0])) == pytest.approx(_mean(a), abs=0.02)
    assert _mean(Path(outputs[1])) == pytest.approx(_mean(a2), abs=0.02)
    # a resumed run skips both, writes nothing
    stamps = {o: Path(o).stat().st_mtime_ns for o in outputs}
    assert main([str(a), str(a2), "-o", str(out), "--skip-existing", "--report", str(report),
                 "--quiet"]) == 0
    assert json.loads(report.read_text())["summary"]["skipped"] == 2
    assert {o: Path(o).stat().st_mtime_ns for o in outputs} == stamps

    # a.jpg + a.png with --format png; d1/x.jpg and d2/x.jpg with one -o
    p = _photo(src / "a.png", 120)
    d1 = _photo(tmp_path / "d1" / "x.jpg", 10)
    d2 = _photo(tmp_path / "d2" / "x.jpg", 240)
    out2 = tmp_path / "out2"
    assert main([str(a), str(p), str(tmp_path / "d1"), str(tmp_path / "d2"), "-o", str(out2),
                 "--format", "png", "--quiet"]) == 0
    assert sorted(f.name for f in out2.iterdir()) == [
        "a_deblurred (2).png", "a_deblurred.png", "x_deblurred (2).png", "x_deblurred.png"]
    assert _mean(out2 / "x_deblurred.png") == pytest.approx(_mean(d1), abs=0.02)
    assert _mean(out2 / "x_deblurred (2).png") == pytest.approx(_mean(d2), abs=0.02)


# 3. no result lands on an input or a file the run did not write ------------------------------
def test_empty_suffix_never_replaces_another_original_or_a_foreign_file(tmp_path,
                                                                       cli_with_identity_engine):
    main = cli_with_identity_engine
    src = tmp_path / "in"
    a = _photo(src / "a.jpg", 50)
    _photo(src / "a.png", 180)
    (src / "b_deblurred.jpg").write_bytes(b"someone else's file")
    b = _photo(src / "b.jpg", 70)
    before = _hashes(src)
    assert main([str(a), "-o", str(src), "--suffix", "", "--format", "png", "--quiet"]) == 0
    assert main([str(b), "-o", str(src), "--quiet"]) == 0
    assert main([str(b), "-o", str(src), "--quiet", "--overwrite"]) == 0
    after = _hashes(src)
    assert {k: after[k] for k in before} == before
    # the third run replaced its own earlier "b_deblurred (2).jpg", not the foreign file
    assert sorted(set(after) - set(before)) == ["a (2).png", "b_deblurred (2).jpg"]


def test_overwrite_replaces_only_our_own_earlier_results(tmp_path, cli_with_identity_engine):
    main = cli_with_identity_engine
    a = _photo(tmp_path / "in" / "a.png", 50)
    out = tmp_path / "out"
    assert main([str(a), "-o", str(out), "--quiet"]) == 0
    first = (out / "a_deblurred.png").stat().st_mtime_ns
    time.sleep(0.01)
    assert main([str(a), "-o", str(out), "--quiet", "--overwrite"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["a_deblurred.png"]
    assert (out / "a_deblurred.png").stat().st_mtime_ns != first
    assert main([str(a), "-o", str(out), "--quiet"]) == 0       # default: a new name
    assert sorted(p.name for p in out.iterdir()) == ["a_deblurred (2).png", "a_deblurred.png"]


# 4, 5. links that loop, folders without permission: reported, never a traceback ------------
def test_symlink_loops_are_skipped_with_a_message(tmp_path, cli_with_identity_engine, capsys):
    main = cli_with_identity_engine
    src = tmp_path / "in"
    _photo(src / "deep" / "er" / "p.jpg", 60)
    os.symlink("self", src / "self")                              # a link to itself
    os.symlink("zzz", src / "deep" / "yyy")
    os.symlink("yyy", src / "deep" / "zzz")                       # two links in a ring
    os.symlink("..", src / "deep" / "er" / "up")                  # a folder loop
    jobs, problems = collect_jobs([src], recursive=True)
    assert [j.relative for j in jobs] == [Path("deep/er/p.jpg")]
    text = " ".join(map(str, problems))
    assert "self: a symbolic link that loops" in text and "zzz" in text
    out = tmp_path / "out"
    assert main([str(src), "-o", str(out), "--recursive", "--quiet"]) == 0
    assert (out / "deep" / "er" / "p_deblurred.jpg").is_file()
    err = capsys.readouterr().err
    assert "warning:" in err and "loops" in err and "Traceback" not in err
    os.symlink("photo.jpg", src / "photo.jpg")                    # a photo's name: a failure
    assert main([str(src), "-o", str(out), "--recursive", "--quiet"]) == 1


def test_a_folder_without_permission_is_reported_and_the_rest_done(tmp_path, monkeypatch):
    src = tmp_path / "in"
    _photo(src / "ok" / "a.jpg", 60)
    _photo(src / "locked" / "b.jpg", 60)
    locked = src / "locked"
    if os.geteuid() == 0:       # root reads everything: make the file system say no
        import deblur_app.batch.scan as scan
        real_stat = os.stat

        def stat(path, *a, **k):
            if Path(path).parent == locked:
                raise PermissionError(13, "Permission denied", str(path))
            return real_stat(path, *a, **k)
        monkeypatch.setattr(scan.os, "stat", stat)
    else:
        locked.chmod(0o600)     # listable, not searchable: is_file() fails inside
    try:
        jobs, problems = collect_jobs([src], recursive=True)
    finally:
        locked.chmod(0o755)
    assert [j.relative for j in jobs] == [Path("ok/a.jpg")]
    assert [str(p) for p in problems] == [f"{locked / 'b.jpg'}: permission denied, skipped"]


# 8. an unwritable report: refused up front, or said clearly at the end ---------------------
def test_report_that_cannot_be_written(tmp_path, monkeypatch, capsys):
    import deblur_app.cli as cli
    from conftest import IdentityEngine
    a = _photo(tmp_path / "in" / "a.jpg", 60)
    report_dir = tmp_path / "reports"

    class VanishingFolder(IdentityEngine):
        def run(self, *args, **kw):
            report_dir.rmdir()          # the report's folder goes away during the run
            return super().run(*args, **kw)

    monkeypatch.setattr(cli, "open_engine", lambda *a, **k: VanishingFolder())
    out = tmp_path / "out"
    assert cli.main([str(a), "-o", str(out), "--report", str(tmp_path / "no" / "r.json")]) == 2
    assert not out.exists()
    report_dir.mkdir()
    rc = cli.main([str(a), "-o", str(out), "--report", str(report_dir / "r.json")])
    err = capsys.readouterr().err
    assert rc == 1
    assert "could not write the report" in err and "1 done, 0 skipped, 0 failed" in err
    assert "Traceback" not in err
    assert (out / "a_deblurred.jpg").is_file()
    assert not list(tmp_path.rglob("*.part"))


# 9. named inputs that are missing or unusable fail the run and are in the report ------------
def test_missing_or_unusable_named_inputs_fail_the_run(tmp_path, cli_with_identity_engine):
    main = cli_with_identity_engine
    a = _photo(tmp_path / "in" / "a.jpg", 60)
    txt = tmp_path / "in" / "notes.txt"
    txt.write_text("hello")
    dangling = tmp_path / "in" / "gone.jpg"
    os.symlink(tmp_path / "nowhere.jpg", dangling)
    fifo = tmp_path / "in" / "pipe.jpg"
    os.mkfifo(fifo)
    report = tmp_path / "r.json"
    missing = tmp_path / "missing.jpg"
    rc = main([str(a), str(missing), str(txt), str(dangling), str(fifo), "-o",
               str(tmp_path / "out"), "--report", str(report), "--quiet"])
    assert rc == 1
    data = json.loads(report.read_text())
    assert data["summary"] == {"done": 1, "skipped": 0, "failed": 4, "cancelled": 0}
    reasons = {f["source"]: f["reason"] for f in data["files"] if f["status"] == "failed"}
    assert "no such file" in reasons[str(missing)]
    assert "not a supported photo type" in reasons[str(txt)]
    assert "symbolic link to nothing" in reasons[str(dangling)]
    assert "not a regular file" in reasons[str(fifo)]
    # nothing usable at all: still a failure, still in the report
    assert main([str(missing), str(txt), "-o", str(tmp_path / "out"), "--report", str(report),
                 "--quiet"]) == 1
    assert json.loads(report.read_text())["summary"]["failed"] == 2


# 10. long names ------------------------------------------------------------------------------
def test_output_names_up_to_255_bytes(tmp_path, cli_with_identity_engine):
    main = cli_with_identity_engine
    stem = "é" * 60 + "x" * (241 - 120 - len("_deblurred.png"))   # 241-byte output name
    a = _photo(tmp_path / "in" / (stem + ".png"), 60)
    out = tmp_path / "out"
    assert main([str(a), "-o", str(out), "--quiet"]) == 0
    (name,) = [p.name for p in out.iterdir()]
    assert len(name.encode()) == 241
    assert main([str(a), "-o", str(out), "--quiet"]) == 0          # the numbered name fits too
    assert all(len(p.name.encode()) <= 255 for p in out.iterdir()) and len(list(out.iterdir())) == 2


# 11. interrupted runs: temporary files cleaned, report written, damaged results redone ------
def test_stale_temporary_files_are_removed_on_the_next_run(tmp_path, cli_with_identity_engine):
    main = cli_with_identity_engine
    a = _photo(tmp_path / "in" / "a.jpg", 60)
    out = tmp_path / "out"
    out.mkdir()
    dead = out / ".deblur-999999999-0123abcd.part"          # a process that no longer exists
    alive = out / f".deblur-{os.getppid()}-0123abcd.part"    # one that still runs
    legacy = out / ".a_deblurred.jpg.89abcdef.part"           # an earlier version's, old
    users = out / ".notes.12345678.part"                      # a user's file, same pattern
    for p in (dead, alive, legacy, users):
        p.write_bytes(b"half a photo")
    legacy.write_bytes(b"\xff\xd8 <x:xmpmeta xmlns:deblur='http://deblur-studio.github.io/ns/1.0/'")
    for p in (legacy, users):
        os.utime(p, (time.time() - 7200, time.time() - 7200))
    assert main([str(a), "-o", str(out), "--quiet"]) == 0
    assert not dead.exists() and not legacy.exists() and alive.exists()
    assert users.read_bytes() == b"half a photo"          # not ours by its content: kept


def test_ctrl_c_still_writes_the_report(tmp_path, monkeypatch):
    import deblur_app.cli as cli
    from conftest import IdentityEngine

    class Interrupted(IdentityEngine):
        def run(self, *args, **kw):
            if self.runs == 1:
                raise KeyboardInterrupt
            return super().run(*args, **kw)

    monkeypatch.setattr(cli, "open_engine", lambda *a, **k: Interrupted())
    photos = [_photo(tmp_path / "in" / f"{i}.png", 40 * i) for i in range(3)]
    report = tmp_path / "r.json"
    rc = cli.main([*map(str, photos), "-o", str(tmp_path / "out"), "--report", str(report),
                   "--quiet"])
    assert rc == 130
    data = json.loads(report.read_text())
    assert [f["status"] for f in data["files"]] == ["done", "cancelled", "cancelled"]
    assert not list(tmp_path.rglob("*.part"))


def test_skip_existing_redoes_empty_or_damaged_results(tmp_path, cli_with_identity_engine):
    main = cli_with_identity_engine
    a = _photo(tmp_path / "in" / "a.jpg", 60)
    b = _photo(tmp_path / "in" / "b.jpg", 90)
    c = _photo(tmp_path / "in" / "c.jpg", 120)
    out = tmp_path / "out"
    assert main([str(a), str(b), str(c), "-o", str(out), "--quiet"]) == 0
    (out / "a_deblurred.jpg").write_bytes(b"")
    good = (out / "c_deblurred.jpg").read_bytes()
    (out / "b_deblurred.jpg").write_bytes(good[:len(good) // 2])
    report = tmp_path / "r.json"
    assert main([str(a), str(b), str(c), "-o", str(out), "--skip-existing", "--report",
                 str(report), "--quiet"]) == 0
    status = {Path(f["source"]).name: f["status"] for f in json.loads(report.read_text())["files"]}
    assert status == {"a.jpg": "done", "b.jpg": "done", "c.jpg": "skipped"}
    assert _mean(out / "b_deblurred.jpg") == pytest.approx(_mean(b), abs=0.02)
    assert sorted(p.name for p in out.iterdir()) == ["a_deblurred.jpg", "b_deblurred.jpg",
                                                     "c_deblurred.jpg"]


# 12. options are checked before any work -----------------------------------------------------
@pytest.mark.parametrize("bad, words", [
    (["--sharpen-radius", "1e7"], "--sharpen-radius"),
    (["--sharpen-radius", "1e6"], "--sharpen-radius must be between 0.3 and 10"),
    (["--sharpen", "nan"], "--sharpen must be a number"),
    (["--contrast", "nan"], "--contrast must be a number"),
    (["--contrast", "2"], "--contrast must be between 0 and 1"),
    (["--strength", "-0.5"], "--strength must be between"),
    (["--suffix", "/../../x"], "must not contain"),
    (["--jpeg-quality", "0"], "--jpeg-quality"),
    (["--tile", "3"], "--tile"),
])
def test_bad_options_are_refused_before_any_work(tmp_path, cli_with_identity_engine, capsys,
                                                 bad, words):
    a = _photo(tmp_path / "in" / "a.jpg", 60)
    out = tmp_path / "out"
    assert cli_with_identity_engine([str(a), "-o", str(out), *bad]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err
    assert not out.exists()


def test_output_folder_must_be_a_folder(tmp_path, cli_with_identity_engine, capsys):
    main = cli_with_identity_engine
    a = _photo(tmp_path / "in" / "a.jpg", 60)
    assert main([str(a), "-o", ""]) == 2
    assert main([str(a), "-o", str(a)]) == 2
    err = capsys.readouterr().err
    assert "output folder (-o) is empty" in err and "is a file, not a folder" in err


def test_batch_options_check_uses_the_same_limits(tmp_path):
    from deblur_app.imaging.postprocess import PostSettings
    with pytest.raises(ValueError, match="sharpen_radius"):
        BatchRunner(None, BatchOptions(tmp_path, post=PostSettings(sharpen_radius=1e6)))
    with pytest.raises(ValueError, match="suffix"):
        BatchRunner(None, BatchOptions(tmp_path, suffix="../x"))


def test_sigterm_ends_the_run_with_its_report(tmp_path):
    """`kill` (SIGTERM) on a running `deblur`: the photo in progress is abandoned cleanly, the
    report is written, the exit code says interrupted, no temporary file is left."""
    import signal
    import subprocess
    import sys
    photos = [_photo(tmp_path / "in" / f"{i}.png", 20 * i) for i in range(6)]
    report = tmp_path / "r.json"
    out = tmp_path / "out"
    tests = Path(__file__).parent
    code = (f"import sys; sys.path.insert(0, {str(tests)!r})\n"
            "from conftest import IdentityEngine\n"
            "import deblur_app.cli as cli\n"
            "cli.open_engine = lambda *a, **k: IdentityEngine(delay=0.5, tiles=4)\n"
            "sys.exit(cli.main(sys.argv[1:]))\n")
    proc = subprocess.Popen([sys.executable, "-c", code, *map(str, photos), "-o", str(out),
                             "--report", str(report)], stderr=subprocess.PIPE, text=True,
                            cwd=tests.parent)
    lines = []
    for line in proc.stderr:                      # wait for the first finished photo
        lines.append(line)
        if line.startswith("done:"):
            break
    proc.send_signal(signal.SIGTERM)
    _, rest = proc.communicate(timeout=60)
    assert proc.returncode == 130, "".join(lines) + rest
    data = json.loads(report.read_text())
    statuses = [f["status"] for f in data["files"]]
    assert statuses[0] == "done" and statuses[-1] == "cancelled" and len(statuses) == 6
    assert "interrupted:" in rest and "Traceback" not in rest
    assert not [p for p in out.rglob("*") if p.name.startswith(".")]
