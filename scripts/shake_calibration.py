"""Calibration bank for shake estimation: how often it accepts real shake, how often it refuses
what is not shake, and the dB won and lost either way.

    python scripts/shake_calibration.py build [--count 160]      # the bank, cached
    python scripts/shake_calibration.py run --out cal.json [--only KIND] [--limit N]
    python scripts/shake_calibration.py report cal.json          # classifier table

The bank is made from the sharp training photos (``python -m deblur_app.training.photos``), never
from the validation folders: crops of 256 px, 512 px and 1024x768 (halved first, which makes
them crisper), each
  - shaken by a hand-held camera path of 5 to 75 px (log-uniform, at most a fifth of the
    crop), or moved along a line, blurred in linear light or in sRGB values, some with bright
    lights that clip, sensor noise 0.2-2 %, 8-bit and JPEG 80-95 or none  ("shake");
  - or left sharp (noise, JPEG: "sharp"), or defocused (disc 1.5-6 px: "defocus").
The frame-averaged video pairs of ``../shared/data/real_validation`` are added as the
"video" kind (blur that is not one camera shake; read in place, never copied).

``run`` estimates every case with the shipped settings and records the decision's features,
the confidence, and the PSNR of the input, of the deconvolution at full strength (what a
refusal gave up) and of what the method returns (the decision and strength applied).
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from deblur_app.shake import kernel as K  # noqa: E402
from deblur_app.shake.synthetic import camera_blur  # noqa: E402
from deblur_app.training.kernels import defocus_kernel, linear_kernel, shake_kernel  # noqa: E402
from deblur_app.training.metrics import psnr  # noqa: E402

BANK = Path.home() / ".cache" / "deblur-studio" / "shake_bank"
REAL = ROOT.parent / "shared" / "data" / "real_validation"
SIZES = [(256, 256), (256, 256), (512, 512), (512, 512), (768, 1024)]


def _photos() -> list[Path]:
    from deblur_app.training.photos import default_cache_dir
    found = sorted(default_cache_dir().glob("*.jpg")) + sorted(default_cache_dir().glob("*.png"))
    if not found:
        raise SystemExit("no training photos: run python -m deblur_app.training.photos first")
    return found


def _read(path: Path) -> np.ndarray:
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    return img[..., ::-1].astype(np.float32) / 255.0


def _detailed_crop(img, h, w, rng, tries=12):
    """The most detailed of a few random crops (tier-B photos have fog and bokeh)."""
    best, best_e = None, -1.0
    for _ in range(tries):
        y = int(rng.integers(0, img.shape[0] - h + 1))
        x = int(rng.integers(0, img.shape[1] - w + 1))
        c = img[y:y + h, x:x + w]
        g = c.mean(axis=2)
        e = float(np.mean(np.abs(np.diff(g, axis=0))) + np.mean(np.abs(np.diff(g, axis=1))))
        if e > best_e:
            best, best_e = c, e
    return np.ascontiguousarray(best)


def build(count: int, seed: int = 2026) -> None:
    BANK.mkdir(parents=True, exist_ok=True)
    photos = _photos()
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(photos))
    manifest = []
    for i in range(count):
        src = photos[order[i % len(photos)]]
        img = _read(src)
        if min(img.shape[:2]) >= 1100:
            img = cv2.resize(img, (img.shape[1] // 2, img.shape[0] // 2),
                             interpolation=cv2.INTER_AREA)
        h, w = SIZES[int(rng.integers(len(SIZES)))]
        if img.shape[0] < h or img.shape[1] < w:
            h, w = (512, 512) if min(img.shape[:2]) >= 512 else (256, 256)
        if img.shape[0] < h or img.shape[1] < w:
            continue
        sharp = _detailed_crop(img, h, w, rng)
        u = rng.random()
        kind = "shake" if u < 0.62 else ("sharp" if u < 0.81 else "defocus")
        meta = {"id": f"c{i:03d}", "photo": src.name, "kind": kind, "h": h, "w": w}
        if kind == "shake":
            longest = min(75.0, min(h, w) / 5)
            length = float(math.exp(rng.uniform(math.log(5), math.log(longest))))
            size = K.odd(length * 1.3 + 6)
            if rng.random() < 0.15:
                k = linear_kernel(length, float(rng.uniform(0, math.pi)), size)
                meta["path"] = "linear"
            else:
                k = shake_kernel(rng, length, size)
                meta["path"] = "hand-held"
            meta["length"] = round(length, 1)
        elif kind == "defocus":
            r = float(rng.uniform(1.5, 6))
            k = defocus_kernel(r, K.odd(2 * r + 3))
            meta["radius"] = round(r, 1)
        else:
            k = K.delta(1)
        meta["linear"] = bool(rng.random() < 0.5)
        meta["noise"] = round(float(math.exp(rng.uniform(math.log(0.002), math.log(0.02)))), 4)
        meta["jpeg"] = int(rng.integers(80, 96)) if rng.random() < 0.6 else None
        meta["lights"] = round(float(rng.uniform(3, 8)), 1) if rng.random() < 0.2 else 1.0
        blurred = camera_blur(sharp, k, rng, linear=meta["linear"], noise=meta["noise"],
                              jpeg=meta["jpeg"], lights=meta["lights"])
        # the reference: the same scene, lights clipped as the sensor clips them
        cv2.imwrite(str(BANK / f"{meta['id']}_sharp.png"),
                    np.round(np.clip(sharp, 0, 1) * 255).astype(np.uint8)[..., ::-1])
        cv2.imwrite(str(BANK / f"{meta['id']}_blur.png"),
                    np.round(blurred * 255).astype(np.uint8)[..., ::-1])
        np.save(BANK / f"{meta['id']}_kernel.npy", k)
        manifest.append(meta)
        print(meta, flush=True)
    (BANK / "manifest.json").write_text(json.dumps(manifest, indent=1))


def cases(only: str | None):
    for meta in json.loads((BANK / "manifest.json").read_text()):
        if only in (None, meta["kind"]):
            yield meta, _read(BANK / f"{meta['id']}_blur.png"), _read(BANK / f"{meta['id']}_sharp.png")
    if only in (None, "video") and (REAL / "blurred").is_dir():
        for p in sorted((REAL / "blurred").glob("*.png")):
            yield ({"id": p.stem, "kind": "video", "h": 0, "w": 0},
                   _read(p), _read(REAL / "sharp" / p.name))


def run(out: Path, only: str | None, limit: int | None, every: int = 1) -> None:
    from deblur_app.shake import ShakeDeblurrer
    from deblur_app.shake.deconvolve import deconvolve, weight_for
    from deblur_app.shake.engine import _ESTIMATES
    rows = json.loads(out.read_text()) if out.exists() else []
    done = {r["id"] for r in rows}
    for n, (meta, blurred, sharp) in enumerate(cases(only)):
        if limit is not None and n >= limit:
            break
        if n % every or meta["id"] in done:
            continue
        _ESTIMATES.clear()
        eng = ShakeDeblurrer()
        t = time.perf_counter()
        est = eng.estimate(blurred)
        t_est = time.perf_counter() - t
        row = dict(meta, seconds=round(t_est, 2), confidence=est.confidence,
                   accepted=est.kernel is not None, reason=est.reason,
                   features={k: (round(v, 4) if isinstance(v, float) else v)
                             for k, v in est.features.items()},
                   psnr_in=psnr(blurred, sharp))
        if est.candidate is not None:
            detail = eng._detail(blurred)[0]
            full = deconvolve(blurred, est.candidate, weight_for(detail))
            row["psnr_full"] = psnr(full, sharp)
            row["psnr_strength"] = {f"{s:.2f}": psnr(blurred + s * (full - blurred), sharp)
                                    for s in (0.25, 0.5, 0.75)}
            if meta["kind"] != "video":
                true_k = np.load(BANK / f"{meta['id']}_kernel.npy")
                row["similarity"] = K.similarity(est.candidate, true_k)
                row["psnr_true_kernel"] = psnr(deconvolve(blurred, true_k, weight_for(detail)),
                                               sharp)
            row["psnr_out"] = (psnr(blurred + est.strength * (full - blurred), sharp)
                               if est.kernel is not None else row["psnr_in"])
        else:
            row["psnr_full"] = row["psnr_out"] = row["psnr_in"]
        rows.append(row)
        print(f"{row['id']:>40} {row['kind']:8} {row.get('length', ''):>5} acc={row['accepted']:d}"
              f" conf={row['confidence']:.2f} gain_full={row['psnr_full'] - row['psnr_in']:+6.2f}"
              f" gain_out={row['psnr_out'] - row['psnr_in']:+6.2f} t={t_est:.1f}s "
              f"{json.dumps(row['features'])}", flush=True)
        out.write_text(json.dumps(rows, indent=1))


def redecide(rows: list[dict]) -> list[dict]:
    """The rows as the current decision rule would have judged them (from their recorded
    features and the PSNR at each strength): thresholds can be tuned without estimating again."""
    from deblur_app.shake.decision import decide, strength_for
    out = []
    for r in rows:
        r = dict(r)
        if r.get("features") and "psnr_strength" in r:
            c, _ = decide(dict(r["features"], agreement=r["features"].get("agreement")
                               if r["features"].get("agreement") is not None else float("nan")))
            r["confidence"], r["accepted"] = c, c > 0
            if c > 0:
                st = strength_for(c)
                pts = {0.0: r["psnr_in"], 1.0: r["psnr_full"],
                       **{float(k): v for k, v in r["psnr_strength"].items()}}
                xs = sorted(pts)
                r["psnr_out"] = float(np.interp(st, xs, [pts[x] for x in xs]))
            else:
                r["psnr_out"] = r["psnr_in"]
        out.append(r)
    return out


def report(path: Path) -> None:
    rows = redecide(json.loads(path.read_text()))
    print("| kind | cases | accepted | mean gain (dB) | worst | made worse by > 1 dB | "
          "gain if every kernel were used | mean estimation s |")
    print("|---|---|---|---|---|---|---|---|")
    for kind in ("shake", "sharp", "defocus", "video"):
        rs = [r for r in rows if r["kind"] == kind]
        if not rs:
            continue
        g = np.array([r["psnr_out"] - r["psnr_in"] for r in rs])
        gf = np.array([r["psnr_full"] - r["psnr_in"] for r in rs])
        print(f"| {kind} | {len(rs)} | {sum(r['accepted'] for r in rs)} | {g.mean():+.2f} | "
              f"{g.min():+.2f} | {(g < -1).sum()} | {gf.mean():+.2f} (worst {gf.min():+.2f}) | "
              f"{np.mean([r['seconds'] for r in rs]):.1f} |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("--count", type=int, default=160)
    r = sub.add_parser("run")
    r.add_argument("--out", type=Path, required=True)
    r.add_argument("--only", choices=["shake", "sharp", "defocus", "video"])
    r.add_argument("--limit", type=int)
    r.add_argument("--every", type=int, default=1, help="every n-th case (a quick look)")
    p = sub.add_parser("report")
    p.add_argument("path", type=Path)
    a = ap.parse_args()
    if a.cmd == "build":
        build(a.count)
    elif a.cmd == "run":
        run(a.out, a.only, a.limit, a.every)
    else:
        report(a.path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
