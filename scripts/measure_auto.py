"""Measure Auto against each method alone: the calibration bank and the real pairs.

    python scripts/measure_auto.py                         # 20 photos x 7 blurs + real_validation
    python scripts/measure_auto.py --photos 10 --no-real   # quicker
    python scripts/measure_auto.py --table-only            # re-print from the cache (no runs)
    python scripts/measure_auto.py --fresh                 # shake estimation changed: all again

Calibration bank: the sharp training photos (``~/.cache/deblur-studio/training_photos``, fetched
by ``python -m deblur_app.training.photos``), shrunk to <= 1024 px, their most detailed 320 px
square, blurred seven ways: none (sharp), mild shake (4-8 px), shake (12-20 px), defocus
(radius 1.5-3 px), linear motion (7-13 px), mild blur + noise 2 %, mild blur + JPEG quality 50.
Real pairs: ``../shared/data/real_validation`` (frame-averaged video, for measuring only).

Per photo the script runs the network (the default shipped weights on this machine), shake
estimation and the judge's blur width, caches the PSNRs and the judgement in ``--cache`` (JSON
lines; a rerun measures the network and the judge again and keeps the cached shake results,
the slow part), then scores Auto with Auto's own decision (:func:`deblur_app.engine.auto.decide`)
and finishing (:func:`~deblur_app.engine.auto.keep_detail`) on Auto's own judgement of the
photo (cached too): where it says "shake", Auto's result is shake estimation's, or the
network's when shake estimation refused the photo, as Auto does.
Prints a markdown table per source: mean dB gained over the blurred input, photos made worse
(by more than 0.05 dB), by more than 1 dB, and the worst.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from deblur_app.imaging.io import read_photo  # noqa: E402
from deblur_app.training.metrics import psnr  # noqa: E402

PHOTOS = Path.home() / ".cache" / "deblur-studio" / "training_photos"
REAL = next((p / "shared" / "data" / "real_validation" for p in (ROOT.parent, ROOT.parent.parent)
             if (p / "shared" / "data" / "real_validation").is_dir()),
            ROOT.parent / "shared" / "data" / "real_validation")
BLURS = ("sharp", "mild shake", "shake", "defocus", "motion", "noise", "jpeg")
WORSE_DB = 0.05


def degrade(sharp: np.ndarray, kind: str, rng: np.random.Generator) -> np.ndarray:
    from deblur_app.shake.synthetic import blur
    from deblur_app.training.kernels import defocus_kernel, linear_kernel, shake_kernel
    noise = 0.005
    if kind == "sharp":
        out = sharp
    elif kind == "mild shake":
        out = blur(sharp, shake_kernel(rng, rng.uniform(4, 8), 25))
    elif kind == "shake":
        out = blur(sharp, shake_kernel(rng, rng.uniform(12, 20), 41))
    elif kind == "defocus":
        out = blur(sharp, defocus_kernel(rng.uniform(1.5, 3.0), 15))
    elif kind == "motion":
        out = blur(sharp, linear_kernel(rng.uniform(7, 13), rng.uniform(0, np.pi), 25))
    elif kind == "noise":
        out, noise = cv2.GaussianBlur(sharp, (0, 0), 1.0), 0.02
    elif kind == "jpeg":
        out = cv2.GaussianBlur(sharp, (0, 0), 1.0)
    else:
        raise ValueError(kind)
    out = np.clip(out + rng.normal(0, noise, out.shape).astype(np.float32), 0, 1)
    if kind == "jpeg":
        u8 = cv2.cvtColor((out * 255 + 0.5).astype(np.uint8), cv2.COLOR_RGB2BGR)
        ok, buf = cv2.imencode(".jpg", u8, [cv2.IMWRITE_JPEG_QUALITY, 50])
        out = cv2.cvtColor(cv2.imdecode(buf, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB) / 255.0
    return out.astype(np.float32)


def bank(count: int, size: int = 320):
    """(source, name, blurred, sharp) of the calibration bank."""
    from deblur_app.shake.region import choose_region
    paths = sorted(p for p in PHOTOS.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    step = max(1, len(paths) // max(count, 1))
    for i, path in enumerate(paths[::step][:count]):
        img = read_photo(path).pixels
        h, w = img.shape[:2]
        f = min(1.0, 1024 / max(h, w))
        if f < 1:
            img = cv2.resize(img, (round(w * f), round(h * f)), interpolation=cv2.INTER_AREA)
        pad = 24
        x, y, rw, rh = choose_region(img, (size + 2 * pad) ** 2)
        big = img[y:y + rh, x:x + rw]
        if min(big.shape[:2]) < size + 2 * pad:
            continue
        for j, kind in enumerate(BLURS):
            rng = np.random.default_rng(1000 * i + j)
            blurred = degrade(big, kind, rng)[pad:pad + size, pad:pad + size]
            yield (f"bank: {kind}", f"{path.stem}|{kind}", np.ascontiguousarray(blurred),
                   np.ascontiguousarray(big[pad:pad + size, pad:pad + size]))


def real_pairs(folder: Path):
    for path in sorted((folder / "blurred").glob("*.png")):
        group = "real_validation: " + ("GoPro 720 px" if path.name.startswith("gopro_") else
                                       "256 px crops")
        yield (group, path.stem, read_photo(path).pixels,
               read_photo(folder / "sharp" / path.name).pixels)


def measure(source, name, blurred, sharp, network, row: dict | None = None) -> dict:
    """The row of one photo.  A cached ``row`` keeps its shake estimation result (the slow
    part, which Auto does not change); the judgement and the network are measured again."""
    from deblur_app.engine.auto import keep_detail
    from deblur_app.judge import judge_photo
    from deblur_app.shake import ShakeDeblurrer
    t = time.perf_counter()
    j = judge_photo(blurred, estimate=False)   # the blur width; the shake estimate is below
    tj = time.perf_counter() - t
    t = time.perf_counter()
    net = network.run(blurred, ("fine",)).fine
    tn = time.perf_counter() - t
    base = psnr(blurred, sharp)
    if row is None:
        t = time.perf_counter()
        sh = ShakeDeblurrer().run(blurred, ("fine",))
        row = {"shake": psnr(sh.fine, sharp), "shake_found": sh.kernel is not None,
               "shake_confidence": float(getattr(sh, "confidence", 1.0 if sh.kernel is not None
                                                 else 0.0)),
               "seconds": {"shake": time.perf_counter() - t}}
    if "judge_auto" not in row:        # Auto's own judgement, with its quick shake estimate
        t = time.perf_counter()
        row["judge_auto"] = judge_photo(blurred, fast=True).as_dict()
        row["seconds"]["judge_auto"] = time.perf_counter() - t
    row.update(source=source, name=name, blurred=base, network=psnr(net, sharp),
               auto_network=psnr(keep_detail(blurred, net), sharp), judge=j.as_dict())
    row["seconds"].update(judge=tj, network=tn)
    return row


def auto_psnr(row: dict) -> tuple[float, str]:
    """Auto's PSNR for a measured photo, from Auto's own decision on its judgement."""
    from deblur_app.engine.auto import decide
    from deblur_app.judge import Judgement
    jd = row["judge_auto"]                 # what Auto's judge said of this photo
    j = Judgement(jd["blur"])
    choice, _ = decide(j)
    if choice == "shake":         # Auto runs shake estimation; when that refuses, the network
        if row["shake_found"]:
            return row["shake"], "shake"
        choice = "network"
    if choice == "network":
        return row["auto_network"], "network"
    return row["blurred"], choice


def table(rows: list[dict]) -> str:
    groups = defaultdict(list)
    for r in rows:
        groups[r["source"]].append(r)
    order = sorted(groups, key=lambda s: (not s.startswith("bank"), s))
    out = ["dB gained over the blurred input: mean / photos made worse (by more than "
           f"{WORSE_DB} dB) / by more than 1 dB / the worst", "",
           "| source | photos | network | shake estimation | auto | auto's choices |",
           "|---|---|---|---|---|---|"]
    totals = defaultdict(list)
    for src in order:
        rs = groups[src]
        cells = []
        for m in ("network", "shake", "auto"):
            gains = np.array([(auto_psnr(r)[0] if m == "auto" else r[m]) - r["blurred"] for r in rs])
            totals[(src.split(":")[0], m)].extend(gains.tolist())
            cells.append(_cell(gains))
        choices = defaultdict(int)
        for r in rs:
            choices[auto_psnr(r)[1].split(" ")[0]] += 1
        out.append(f"| {src} | {len(rs)} | " + " | ".join(cells) + " | " +
                   ", ".join(f"{k} {v}" for k, v in sorted(choices.items())) + " |")
    for part in sorted({k[0] for k in totals}, key=lambda s: s != "bank"):
        cells = [_cell(np.array(totals[(part, m)])) for m in ("network", "shake", "auto")]
        out.append(f"| **{part}, all** | {len(totals[(part, 'auto')])} | " + " | ".join(cells) +
                   " | |")
    return "\n".join(out)


def _cell(gains: np.ndarray) -> str:
    return (f"{gains.mean():+.2f} / {int((gains < -WORSE_DB).sum())} / "
            f"{int((gains < -1).sum())} / {gains.min():+.2f}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--photos", type=int, default=20, help="training photos in the bank")
    ap.add_argument("--no-real", action="store_true")
    ap.add_argument("--real", type=Path, default=REAL)
    ap.add_argument("--cache", type=Path, default=ROOT / ".runs" / "measure_auto.jsonl")
    ap.add_argument("--table-only", action="store_true")
    ap.add_argument("--fresh", action="store_true",
                    help="ignore the cache (shake estimation changed: measure it again)")
    args = ap.parse_args(argv)
    args.cache.parent.mkdir(parents=True, exist_ok=True)
    done = {}
    if args.cache.exists() and not args.fresh:
        for line in args.cache.read_text().splitlines():
            r = json.loads(line)
            done[r["name"]] = r
    if not args.table_only:
        from deblur_app.engine import open_engine
        network = open_engine(None, None, "cpu", "auto", None, 64, "auto")
        print(f"network: {network.variant.name} on {network.describe()}", file=sys.stderr)
        sources = [bank(args.photos)]
        if not args.no_real:
            sources.append(real_pairs(args.real))
        for it in sources:
            for source, name, blurred, sharp in it:
                row = measure(source, name, blurred, sharp, network, done.get(name))
                done[name] = row
                with open(args.cache, "w") as fh:            # every row so far, rewritten
                    fh.writelines(json.dumps(r) + "\n" for r in done.values())
                print(f"{name}: net {row['network'] - row['blurred']:+.2f} auto-net "
                      f"{row['auto_network'] - row['blurred']:+.2f} shake "
                      f"{row['shake'] - row['blurred']:+.2f} judge {row['judge']['label']}",
                      file=sys.stderr)
    rows = [r for r in done.values() if math.isfinite(r["blurred"])]
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
