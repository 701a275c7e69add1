"""Auto: the judge, the choice per photo, the do-no-harm rule, the report, the record, triage."""
import json

import cv2
import numpy as np
import pytest

from deblur_app.engine.auto import NETWORK, SHAKE, UNCHANGED, AutoDeblurrer, decide, keep_detail
from deblur_app.judge import MOTION_ANISOTROPY, SHARP_PX, Judgement, blur_width
from deblur_app.shake import ShakeDeblurrer
from deblur_app.shake.synthetic import scene
from tests.conftest import IdentityEngine


def _pattern(shape):
    """A pixel-level checkerboard of +-0.02: detail a network adds."""
    yy, xx = np.indices(shape[:2])
    return (0.02 * (((yy + xx) % 2) * 2 - 1))[..., None].astype(np.float32)


class MarkingNetwork(IdentityEngine):
    """The network double, but its result is visibly not the photo: 0.1 brighter (a tone
    shift, which no deblurring should make) and with pixel-level detail added."""

    def run(self, image, scales=("coarse", "mid", "fine"), progress=None, cancel=None):
        res = super().run(image, scales, progress, cancel)
        for s in scales:
            out = getattr(res, s)
            setattr(res, s, (out + 0.1 + _pattern(out.shape)).astype(np.float32))
        return res


@pytest.fixture(scope="module")
def sharp_scene():
    return scene(np.random.default_rng(7), 256, 256)


def _grey(img):
    return img @ np.array([0.299, 0.587, 0.114], np.float32)


def test_blur_width_grows_with_the_blur_and_sees_direction(sharp_scene):
    g = _grey(sharp_scene).astype(np.float32)
    widths = [blur_width(cv2.GaussianBlur(g, (0, 0), s) if s else g)[0] for s in (0, 1, 2, 3)]
    assert widths[0] < SHARP_PX < widths[1] < widths[2] < widths[3]
    _, round_anis, _, _, _ = blur_width(cv2.GaussianBlur(g, (0, 0), 2))
    line = np.zeros((1, 11), np.float32) + 1 / 11          # horizontal motion, 11 px
    w, anis, direction, _, _ = blur_width(cv2.filter2D(g, -1, line))
    assert round_anis < MOTION_ANISOTROPY <= anis
    assert direction == 0                                     # vertical edges blurred most


def test_sharp_photo_is_left_unchanged_with_the_note(sharp_scene):
    net = MarkingNetwork()
    auto = AutoDeblurrer(net, ShakeDeblurrer())
    res = auto.run(sharp_scene, ("mid", "fine"))
    assert res.choice == UNCHANGED and net.runs == 0
    assert np.array_equal(res.fine, sharp_scene)
    assert res.mid.shape[:2] == (128, 128)
    assert "left unchanged" in res.notes[0] and "sharp" in res.notes[0]
    assert auto.last.choice == UNCHANGED and auto.last.engine is None


def test_uniformly_shaken_photo_goes_to_shake_estimation():
    from test_shake import _camera_shaken, _real       # a real photo, shaken as cameras shake
    blurred, _ = _camera_shaken(_real("bridge_1024x768.jpg"), 15, seed=11)
    net = MarkingNetwork()
    auto = AutoDeblurrer(net, ShakeDeblurrer())
    res = auto.run(blurred, ("fine",))
    assert res.choice == SHAKE, res.reason
    assert net.runs == 0 and res.kernel is not None and auto.last_kernel is not None
    assert res.notes[0].startswith("Auto: shake estimation: a camera shake")
    assert res.judgement.kind == "shake" and res.judgement.shake_px > 3


def test_mildly_defocused_photo_goes_to_the_network(sharp_scene):
    from deblur_app.training.kernels import defocus_kernel
    k = defocus_kernel(2.0, 9)
    blurred = np.stack([cv2.filter2D(sharp_scene[..., c], -1, k) for c in range(3)], -1)
    net = MarkingNetwork()
    auto = AutoDeblurrer(net, ShakeDeblurrer())
    res = auto.run(blurred.astype(np.float32), ("fine",))
    assert res.choice == NETWORK, res.reason
    assert net.runs == 1 and res.judgement.kind == "blur"
    assert res.judgement.subtype == "defocus"
    assert res.notes[0].startswith("Auto: the network")
    change = res.fine - blurred
    assert abs(float(change.mean())) < 0.005          # the network's tone shift is left out
    assert float(np.abs(change).mean()) > 0.01         # its detail is kept


def test_do_no_harm_keeps_the_networks_detail_not_its_tones(sharp_scene):
    """Blur keeps a photo's low frequencies: of the network's change only the fine detail is
    kept, so a tone or colour shift never reaches the result."""
    soft = cv2.GaussianBlur(sharp_scene, (0, 0), 2.0)
    shifted = soft * np.float32(0.9) + np.array([0.08, 0.0, -0.05], np.float32)
    assert np.abs(keep_detail(soft, np.clip(shifted, 0, 1)) - soft).mean() < 0.006
    detailed = keep_detail(soft, soft + _pattern(soft.shape))
    inner = (slice(4, -4), slice(4, -4))
    assert np.abs((detailed - soft)[inner]).mean() > 0.015
    assert decide(Judgement("sharp", 0.5, reason="sharp"))[0] == UNCHANGED
    assert decide(Judgement("shake", 3.0, confidence=0.9, reason="shake"))[0] == SHAKE
    assert decide(Judgement("blur", 3.0, reason="blur"))[0] == NETWORK


def test_report_and_record_carry_the_choice(tmp_path, sharp_scene):
    from deblur_app.batch import BatchOptions, BatchRunner, collect_jobs, write_report
    from deblur_app.imaging.io import write_photo
    from deblur_app.imaging.record import read_record
    src = tmp_path / "in"
    src.mkdir()
    write_photo(src / "sharp.png", sharp_scene, fmt="PNG", bit_depth=8)
    blurred = cv2.GaussianBlur(sharp_scene, (0, 0), 2.0)
    write_photo(src / "soft.png", blurred, fmt="PNG", bit_depth=8)
    jobs, _ = collect_jobs([src], outdir=tmp_path / "out")
    runner = BatchRunner(AutoDeblurrer(MarkingNetwork(), ShakeDeblurrer()),
                         BatchOptions(tmp_path / "out"))
    results = runner.run(jobs)
    write_report(tmp_path / "r.json", results)
    files = {f["source"].split("/")[-1]: f for f in json.loads((tmp_path / "r.json")
                                                               .read_text())["files"]}
    assert files["sharp.png"]["auto"]["choice"] == UNCHANGED
    assert files["soft.png"]["auto"]["choice"] == NETWORK
    assert files["soft.png"]["auto"]["blur"]["blur"] == "blur"
    assert any(n.startswith("Auto: left unchanged") for n in files["sharp.png"]["notes"])
    rec = read_record(tmp_path / "out" / "sharp_deblurred.png")
    assert rec.method == "Auto" and rec.auto_choice == UNCHANGED and "sharp" in rec.auto_reason
    rec = read_record(tmp_path / "out" / "soft_deblurred.png")
    assert rec.method == "Auto" and rec.auto_choice == NETWORK and rec.model == "identity"
    assert "Auto chose network" in rec.summary()


def test_cli_defaults_to_auto_and_triage_needs_no_output():
    from deblur_app.cli import build_parser, check_args
    args = build_parser().parse_args(["a.jpg", "-o", "out"])
    assert args.method == "auto"
    args = build_parser().parse_args(["--triage", "folder"])
    check_args(args)                                    # no -o needed
    with pytest.raises(ValueError):
        check_args(build_parser().parse_args(["--triage", "f", "-o", "out"]))
    with pytest.raises(ValueError):
        check_args(build_parser().parse_args(["a.jpg"]))   # deblurring needs -o


def test_triage_table_json_and_sort(tmp_path, sharp_scene, capsys):
    from deblur_app.cli import main
    from deblur_app.imaging.io import write_photo
    write_photo(tmp_path / "a_sharp.png", sharp_scene, fmt="PNG", bit_depth=8)
    write_photo(tmp_path / "b_soft.png", cv2.GaussianBlur(sharp_scene, (0, 0), 1.5),
                fmt="PNG", bit_depth=8)
    write_photo(tmp_path / "c_softer.png", cv2.GaussianBlur(sharp_scene, (0, 0), 3.0),
                fmt="PNG", bit_depth=8)
    (tmp_path / "d_broken.jpg").write_bytes(b"not a photo")
    report = tmp_path.parent / f"{tmp_path.name}_triage.json"
    rc = main(["--triage", str(tmp_path), "--report", str(report), "--quiet"])
    assert rc == 1                                      # the broken photo counts as failed
    out = capsys.readouterr().out
    rows = json.loads(report.read_text())["files"]
    names = [r["path"].split("/")[-1] for r in rows]
    assert names == ["c_softer.png", "b_soft.png", "a_sharp.png", "d_broken.jpg"]  # blurriest
    kinds = {n: r["blur"] for n, r in zip(names, rows)}
    assert kinds["a_sharp.png"] == "sharp" and kinds["d_broken.jpg"] == "failed"
    assert kinds["c_softer.png"] == "blur" and rows[0]["subtype"] == "defocus"
    assert rows[0]["blur_px"] > rows[1]["blur_px"] > rows[2]["blur_px"]
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["photo", "blur"] and "c_softer.png" in lines[2]
    assert "sharp" in next(ln for ln in lines if "a_sharp.png" in ln)


def test_triage_sorts_by_kind_and_name():
    from deblur_app.batch.triage import TriageRow, sort_rows
    rows = [TriageRow("b", Judgement("sharp", 0.5)), TriageRow("a", Judgement("blur", 2.0)),
            TriageRow("c", Judgement("shake", 2.5, shake_px=9.0, direction=10.0)),
            TriageRow("d", None, "bad")]
    assert [r.path for r in sort_rows(rows, "name")] == ["a", "b", "c", "d"]
    assert [r.path for r in sort_rows(rows, "kind")] == ["c", "a", "b", "d"]
    assert [r.path for r in sort_rows(rows, "blur")] == ["c", "a", "b", "d"]


def test_auto_hands_on_shake_estimations_finished_tiles():
    from test_shake import _camera_shaken, _real
    blurred, _ = _camera_shaken(_real("bridge_1024x768.jpg"), 15, seed=11)
    tiles = []
    res = AutoDeblurrer(MarkingNetwork(), ShakeDeblurrer()).run(
        blurred, ("fine",), on_tile=lambda scale, y0, y1, x0, x1, px: tiles.append(
            (scale, px.copy(), (y0, y1, x0, x1))))
    assert res.choice == SHAKE, res.reason
    assert tiles and all(s == "fine" for s, _, _ in tiles)
    for _, px, (y0, y1, x0, x1) in tiles:
        assert np.array_equal(px, res.fine[y0:y1, x0:x1])
