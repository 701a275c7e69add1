"""The relay across GPU sessions, on the CPU at small sizes: the open-ended schedule, the EMA,
the compact optimiser state, continuing a chunk from exported weights, the ship rule, the
real-photo table, the relay's run/adopt, and the throughput bench."""
import json
import math
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from deblur_app.atomic import atomic_write_bytes
from deblur_app.training import checkpoint as ck
from deblur_app.training.data import PREPARED_MARKER, dead_leaves, is_validation
from deblur_app.training.relay import append_log_row, main as relay_main, ship_decision
from deblur_app.training.schedule import EMA, lr_at, resume_ramp


pytestmark = pytest.mark.usefixtures("one_torch_thread")

ROOT = Path(__file__).resolve().parents[1]


def test_schedule_is_continuous_across_chunks_and_never_ends():
    base, warm, plateau = 4e-4, 300, 1000
    steps = range(0, 200_000, 7)
    lrs = [lr_at(s, base, warm, plateau) for s in steps]
    # warm-up rises, then the rate only decays, and slowly: no jump anywhere
    top = lrs.index(max(lrs))
    assert all(a <= b for a, b in zip(lrs[:top], lrs[1:top + 1]))
    assert all(a >= b for a, b in zip(lrs[top:], lrs[top + 1:]))
    assert max(abs(a - b) for a, b in zip(lrs[top:], lrs[top + 1:])) < 0.01 * base
    # the rate at a chunk boundary does not depend on how the chain was cut: a pure function
    assert lr_at(6400, base, warm, plateau) == pytest.approx(base * math.sqrt(1000 / 6400))
    assert lr_at(10 ** 7, base, warm, plateau) > 0
    assert [resume_ramp(i, 4) for i in range(6)] == [0.25, 0.5, 0.75, 1, 1, 1]
    assert resume_ramp(0, 0) == 1


def test_ema_follows_the_weights():
    m = torch.nn.Linear(2, 1)
    ema = EMA(m, decay=0.9)
    start = m.weight.detach().clone()
    with torch.no_grad():
        m.weight.add_(1.0)
    ema.update(m)
    assert torch.allclose(ema.shadow["weight"], start + 0.1)
    other = torch.nn.Linear(2, 1)
    ema.copy_to(other)
    assert torch.allclose(other.weight, start + 0.1)


def test_compact_optimiser_state_round_trip(tmp_path):
    v = torch.tensor([0.0, 1e-12, 3e-8, 2e-4, 0.5])
    codes, lo, scale = ck.encode_log8(v)
    back = ck.decode_log8(codes, lo, scale)
    assert back[0] == 0 and codes.dtype == torch.uint8
    assert torch.allclose(back[1:].sqrt(), v[1:].sqrt(), rtol=0.05)
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(model.parameters())
    model(torch.randn(4, 3)).sum().backward()
    opt.step()
    path = tmp_path / "s.safetensors"
    atomic_write_bytes(path, ck.state_bytes(opt, model, 42, "abc"))
    fresh = torch.optim.Adam(model.parameters())
    assert ck.load_state_into(path, fresh, model, "other") == "s.safetensors: belongs to " \
        "other weights"
    assert ck.load_state_into(path, fresh, model, "abc") is None
    for p in model.parameters():
        got, want = fresh.state[p]["exp_avg_sq"], opt.state[p]["exp_avg_sq"]
        assert torch.allclose(got.sqrt(), want.sqrt(), rtol=0.05)
        assert float(fresh.state[p]["step"]) == 42


def _photos(folder: Path, n=3, size=200, seed=9):
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    for i in range(n):
        cv2.imwrite(str(folder / f"p{i}.png"), dead_leaves(rng, size))
    (folder / PREPARED_MARKER).write_text("")
    return folder


TINY = ["--batch", "2", "--patch", "32", "--kernel", "33", "--leaves", "1", "--warmup", "2",
        "--plateau", "4", "--log-every", "100", "--seed", "3"]


def test_a_chunk_continues_from_exported_weights_and_state(tmp_path):
    from deblur_app.training.train import main
    photos = _photos(tmp_path / "photos")
    common = ["--model", "mimo-unet-lite", "--photos", str(photos), "--device", "cpu"] + TINY
    w, st = tmp_path / "w.safetensors", tmp_path / "w.train-state.safetensors"
    main(common + ["--run-dir", str(tmp_path / "a"), "--steps", "3", "--export", str(w),
                   "--export-half", "--state-out", str(st)])
    meta = ck.weights_metadata(w)
    assert meta["steps"] == "3" and meta["patches_seen"] == "6"
    main(common + ["--run-dir", str(tmp_path / "b"), "--steps", "5", "--init", str(w),
                   "--state-in", str(st)])
    log = (tmp_path / "b" / "train.log").read_text()
    assert "at global step 3; optimiser state: loaded" in log
    assert torch.load(tmp_path / "b" / "last.pt", weights_only=False)["step"] == 5
    # state that belongs to other weights is refused, and the rate ramps up instead
    main(common + ["--run-dir", str(tmp_path / "c"), "--steps", "4", "--init",
                   str(tmp_path / "a" / "latest.safetensors"), "--state-in", str(st)])
    assert "belongs to other weights), rate ramped" in (tmp_path / "c" / "train.log").read_text()


def test_ship_rule():
    base = {"real": 25.50, "synthetic": 28.20}
    assert ship_decision(base, {"real": 25.60, "synthetic": 28.15})[0]
    assert ship_decision(base, {"real": 25.60, "synthetic": 28.10})[0]  # exactly -0.1 dB
    ok, why = ship_decision(base, {"real": 25.60, "synthetic": 28.05})
    assert not ok and "synthetic score dropped" in why
    ok, why = ship_decision(base, {"real": 25.50, "synthetic": 29.0})
    assert not ok and "did not improve" in why
    assert not ship_decision(base, {"real": 26.0, "synthetic": None})[0]
    assert not ship_decision({"real": None, "synthetic": 1}, {"real": 26.0, "synthetic": 2})[0]


def _real_pairs(folder: Path):
    rng = np.random.default_rng(12)
    for sub in ("blurred", "sharp"):
        (folder / sub).mkdir(parents=True)
    for name in ("gopro_a", "goprotrain_crop_dgan_b", "deblurganod_crop_c"):
        sharp = dead_leaves(rng, 64)
        cv2.imwrite(str(folder / "sharp" / f"{name}.png"), sharp)
        cv2.imwrite(str(folder / "blurred" / f"{name}.png"), cv2.blur(sharp, (5, 5)))
    return folder


def test_real_photo_table_groups_and_counts_worse():
    from deblur_app.training.evaluate import real_group, real_table_md, score_real
    assert real_group("gopro_GOPR0374_f1") == "gopro"
    assert real_group("goprotrain_crop_dgan_3") == "goprotrain_crop_dgan"
    assert real_group("deblurganod_crop_e001") == "deblurganod_crop"
    rng = np.random.default_rng(0)
    sharp = [rng.random((16, 16, 3)).astype(np.float32) for _ in range(3)]
    blurred = [s * 0.8 for s in sharp]
    pairs = list(zip(["gopro_x", "gopro_y", "deblurganod_crop_z"], blurred, sharp))
    better = [s * 0.9 for s in sharp[:2]] + [s * 0.6 for s in sharp[2:]]
    res = score_real({"blurred input": blurred, "m": better}, pairs)
    assert res["m"]["gopro"]["worse"] == 0 and res["m"]["deblurganod_crop"]["worse"] == 1
    assert res["m"]["all"]["n"] == 3 and res["m"]["all"]["worse"] == 1
    assert res["m"]["gopro"]["psnr"] > res["blurred input"]["gopro"]["psnr"]
    md = "\n".join(real_table_md({"pairs": 3, "results": res}))
    assert "| m |" in md and "gopro (2)" in md and "deblurganod_crop (1)" in md


def test_relay_runs_a_chunk_evaluates_and_adopts(tmp_path, lite_weights):
    from deblur_app.training.evaluate import make_manifest
    photos = tmp_path / "pack"
    photos.mkdir()
    rng = np.random.default_rng(1)
    names = [n for n in (f"v{i}" for i in range(200)) if is_validation(n)][:1]
    for n in names + ["t0", "t1"]:
        cv2.imwrite(str(photos / f"{n}.png"), dead_leaves(rng, 300))
    (photos / PREPARED_MARKER).write_text("")
    manifest = make_manifest(photos, tmp_path / "manifest.json")
    assert manifest["items"]
    real = _real_pairs(tmp_path / "real")
    out = tmp_path / "out"
    relay_main(["run", "--model", "mimo-unet-lite", "--weights", str(lite_weights),
                "--state", str(tmp_path / "none"), "--pack", str(photos), "--real", str(real),
                "--minutes", "5", "--device", "cpu", "--run-dir", str(tmp_path / "run"),
                "--out", str(out), "--manifest", str(tmp_path / "manifest.json"),
                "--limit", "2", "--"] + TINY + ["--steps", "3511"])
    info = json.loads((out / "relay.json").read_text())
    assert info["steps_from"] == 3509 and info["steps_to"] == 3511  # the lite net's metadata
    assert info["base"]["real"] is not None and info["new"]["synthetic"] is not None
    assert info["ship"] == ship_decision(info["base"], info["new"])[0]
    report = (out / "eval" / "report.md").read_text()
    assert "## Real blurred photos" in report and "mimo-unet-lite.new.safetensors" in report
    assert {p.name for p in out.iterdir()} >= {"mimo-unet-lite.new.safetensors", "train.log",
                                               "mimo-unet-lite.new.train-state.safetensors"}
    from deblur_app.training.relay import _stored_half
    assert not _stored_half(out / "mimo-unet-lite.new.safetensors")  # as the shipped file
    assert _stored_half(ROOT / "weights" / "mimo-unet.safetensors")
    # adopt: the log row always, the weights only when shipped
    for ship in (False, True):
        info.update(ship=ship, row=f"| row shipped={ship} |")
        (out / "relay.json").write_text(json.dumps(info))
        wdir = tmp_path / f"weights_{ship}"
        wdir.mkdir()
        relay_main(["adopt", str(out), "--log", str(tmp_path / "LOG.md"), "--weights-dir",
                    str(wdir)])
        assert (wdir / "mimo-unet-lite.safetensors").exists() == ship
        assert (wdir / "mimo-unet-lite.train-state.safetensors").exists() == ship
    log = (tmp_path / "LOG.md").read_text()
    assert log.count("| row shipped=") == 2 and log.startswith("# Training log")
    append_log_row("| row shipped=True |", tmp_path / "LOG.md")  # adopting twice: one row
    assert (tmp_path / "LOG.md").read_text().count("| row shipped=True |") == 1


def test_stage_copies_the_real_pairs_and_adds_up_what_travels(tmp_path, capsys):
    real = _real_pairs(tmp_path / "real")
    pack = _photos(tmp_path / "pack", n=1, size=64)
    dest = tmp_path / "staged"
    assert relay_main(["stage", "--real", str(real), "--pack", str(pack), "--dest",
                       str(dest)]) == 0
    assert sorted(p.name for p in (dest / "sharp").iterdir()) == \
        sorted(p.name for p in (real / "sharp").iterdir())
    out = capsys.readouterr().out
    assert "working tree" in out and "of 64" in out and "carry" in out
    with pytest.raises(SystemExit, match="no training pack"):
        relay_main(["stage", "--real", str(real), "--pack", str(tmp_path / "none"), "--dest",
                    str(dest)])


def test_the_shipped_training_log_has_its_history():
    text = (ROOT / "weights" / "TRAINING_LOG.md").read_text()
    assert "H200" in text and "6,400" in text and "3,509" in text


def test_throughput_bench_runs(tmp_path, capsys):
    import importlib.util
    spec = importlib.util.spec_from_file_location("train_throughput",
                                                  ROOT / "bench" / "train_throughput.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = tmp_path / "bench.json"
    bench.measure(["--seconds", "0", "--rounds", "1", "--min-iters", "1", "--batch", "2",
                   "--patch", "32", "--json", str(out)])
    res = json.loads(out.read_text())
    assert set(res["patches_per_s"]) == {"data only", "model only", "both"}
    assert all(v > 0 for v in res["patches_per_s"].values())
    assert "| both |" in capsys.readouterr().out


def test_the_relay_needs_nothing_the_gpu_machine_lacks():
    """The lent GPU machine has torch, numpy, OpenCV, Pillow, tifffile, safetensors, but not the
    desktop app's other dependencies: the relay and the bench must not import them."""
    code = ("import sys, runpy; import deblur_app.training.relay, deblur_app.training.train; "
            "runpy.run_path('bench/train_throughput.py', run_name='not_main'); "
            "print(sorted(m for m in ('platformdirs', 'PySide6', 'openvino', 'rawpy', "
            "'pillow_heif', 'pyexiv2', 'exiv2') if m in sys.modules))")
    import subprocess
    import sys
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                       timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip().splitlines()[-1] == "[]"
