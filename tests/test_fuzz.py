"""200+ malformed and odd files through the batch runner, in-process, in a few seconds:
nothing escapes as an exception, every bad file is named, originals are unchanged, no partial
or temporary file is left, and the report adds up."""
import hashlib
import json
import os
from pathlib import Path

from conftest import IdentityEngine
from fuzz_corpus import make_corpus

from deblur_app.batch import (BatchOptions, BatchRunner, collect_jobs, failed_inputs,
                              write_report)
from deblur_app.imaging.io import read_photo


def _snapshot(folder: Path) -> dict[str, str]:
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_symlink():
            out[str(p)] = "link:" + str(p.readlink())
        elif p.is_file():
            out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def test_fuzz_corpus_through_the_batch(tmp_path):
    src = tmp_path / "corpus"
    kinds = make_corpus(src, seed=1234)
    assert len(kinds) >= 200
    before = _snapshot(src)
    jobs, problems = collect_jobs([src], recursive=True)
    out = tmp_path / "out"
    out.mkdir()
    users = out / ".notes.12345678.part"                 # a user's file, like an old temporary
    users.write_bytes(b"my notes")
    os.utime(users, (1e9, 1e9))
    engine = IdentityEngine()
    runner = BatchRunner(engine, BatchOptions(out, scales=("fine", "mid")))
    results = runner.run(jobs)                           # must not raise, whatever the files
    all_results = failed_inputs(problems) + results
    report = tmp_path / "report.json"
    write_report(report, all_results)

    assert _snapshot(src) == before                      # originals untouched
    assert len(results) == len(jobs)
    by_status = {}
    for r in results:
        by_status.setdefault(r.status, []).append(r)
    assert set(by_status) <= {"done", "failed"}
    # every failure names its file and says why
    for r in by_status.get("failed", []):
        assert Path(r.source).name in r.reason and len(r.reason) > len(r.source) + 5
    for p in problems:
        assert p.path in str(p)
    # the good photos are done, the damaged ones mostly not
    done = {Path(r.source).relative_to(src).as_posix() for r in by_status["done"]}
    for name, kind in kinds.items():
        if kind == "good":
            assert name in done, name
        if kind == "damaged":                            # named as damaged, never decoded
            (r,) = [r for r in results if Path(r.source).name == name]
            assert r.status == "failed" and "damaged" in r.reason, (name, r.reason)
    assert "empty.jpg" not in done and "text.jpg" not in done
    assert not any(kinds.get(n) == "huge" for n in done)
    # every result decodes at the right size, and nothing else is in the output folder
    written = set()
    for r in by_status["done"]:
        pixels = read_photo(r.source).pixels
        assert len(r.outputs) == 2
        for o in r.outputs:
            got = read_photo(o).pixels
            want = pixels.shape[:2] if "_fine" in Path(o).name else \
                ((pixels.shape[0] + 1) // 2, (pixels.shape[1] + 1) // 2)
            assert got.shape[:2] == want, o
            written.add(str(Path(o)))
    assert users.read_bytes() == b"my notes"             # the clean-up kept the user's file
    users.unlink()
    on_disk = {str(p) for p in out.rglob("*") if p.is_file() or p.is_symlink()}
    assert on_disk == written                            # no partial or temporary file
    assert len(written) == 2 * len(by_status["done"])    # no result overwrote another
    # the report adds up
    data = json.loads(report.read_text())
    assert data["summary"]["done"] == len(by_status["done"])
    assert data["summary"]["failed"] == len(by_status.get("failed", [])) + sum(
        p.failed for p in problems)
    assert len(data["files"]) == len(all_results)
    names = {Path(f["source"]).name for f in data["files"]}
    assert {"dangling.jpg", "loop.png"} <= names
    # what the second round found: metadata kept, turned once, results known as results
    ext = read_photo(out / "extended_xmp_deblurred_fine.jpg").metadata
    assert ext.get("Xmp.dc.description").endswith("w19999")
    latin = read_photo(out / "latin1_iptc_deblurred_fine.jpg").metadata
    assert latin.get("Xmp.dc.description") == 'lang="x-default" Café crème brûlée'
    for o in (6, 8):
        assert read_photo(out / f"lzw16_orient{o}_deblurred_fine.tif").pixels.shape[:2] == \
            (30, 20)
    again, notes = collect_jobs([out], recursive=True)
    assert again == [] and len(notes) == len(written)    # every result is known as one
    assert all("a result of Deblur Studio" in n.reason for n in notes)
    # a resume writes nothing and takes no result for a photo
    resumed = BatchRunner(engine, BatchOptions(out, scales=("fine", "mid"), existing="skip")
                          ).run(collect_jobs([src, out], recursive=True)[0])
    assert {r.status for r in resumed} <= {"skipped", "failed"}
    assert {str(p) for p in out.rglob("*") if p.is_file()} == written
