"""The quality guard of the int8 network: does it look like float32, on every source?

    python bench/int8_quality.py [--variants mimo-unet mimo-unet-lite] [--limit N]

For each network, the engine (OpenVINO on the CPU, default tiles) restores every photo of each
source in float32, bfloat16 and int8; printed per source: the agreement of bf16 and int8 with
fp32 (PSNR of the fine output, dB; mean over the photos and the lowest), and the PSNR of fp32,
bf16 and int8 against the sharp references.  The guard (issue 19): int8 agrees with fp32 to at
least 40 dB and its PSNR against the references is within 0.1 dB of bf16's, on every source.

Sources (none of them is a calibration photo, engine/calibration.py):
  - synthetic validation: the fixed validation crops of the training pipeline
    (``training/data/validation_manifest.json``: validation photos, all blur kinds), when the
    training photos are fetched (``python -m deblur_app.training.photos``);
  - synthetic shake: shaken scenes of deblur_app/shake/synthetic.py with seeds the calibration
    does not use;
  - real: the pairs of ``../shared/data/real_validation`` (kept outside the repository).
The int8 model is made in a fresh cache folder, as at a first launch.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PRECISIONS = ("fp32", "bf16", "int8")


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((np.clip(a, 0, 1) - np.clip(b, 0, 1)) ** 2))
    return 99.0 if mse == 0 else 10 * np.log10(1.0 / mse)


def sources(limit: int | None) -> dict[str, list[tuple[np.ndarray, np.ndarray]]]:
    """name -> [(blurred, sharp)] float32 RGB."""
    from deblur_app.shake.synthetic import shaken
    from deblur_app.training.evaluate import REAL_DEFAULT, load_items, load_real_pairs
    from deblur_app.training.photos import default_cache_dir
    out = {}
    photos = default_cache_dir()
    if photos.is_dir():
        items = load_items(photos)[0][:limit]
        if items:
            out["synthetic validation"] = [(b, s) for _, b, s in items]
    # seeds 5000+: the calibration uses 1000+ (engine/calibration.py)
    out["synthetic shake"] = [shaken(5000 + i, 384, 384, length=(8, 14, 22)[i % 3], size=31)[1::-1]
                              for i in range(limit or 12)]
    real = Path(REAL_DEFAULT)
    if real.is_dir():
        out["real"] = [(b, s) for _, b, s in load_real_pairs(real)][:limit]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variants", nargs="+", default=["mimo-unet"])
    ap.add_argument("--limit", type=int, default=None, help="photos per source (default: all)")
    ap.add_argument("--cache", type=Path, default=None,
                    help="a cache folder of converted models to use (default: a fresh one)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="deblur-int8-"))
    os.environ["DEBLUR_STUDIO_CACHE"] = str(args.cache or tmp)
    from deblur_app.engine import open_engine
    data = sources(args.limit)
    print("sources: " + ", ".join(f"{k} ({len(v)})" for k, v in data.items()) + "\n")
    print("| network | source | photos | bf16 vs fp32 (dB, mean / min) | int8 vs fp32 (dB, mean "
          "/ min) | PSNR vs sharp: fp32 | bf16 | int8 | int8 - bf16 | guard |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    try:
        for v in args.variants:
            engines = {}
            for p in PRECISIONS:
                t = time.perf_counter()
                engines[p] = open_engine(None, v, "cpu", "openvino", None, 64, p)
                engines[p].backend.prepare(lambda *a: None)
                print(f"<!-- {v} {p}: ready in {time.perf_counter() - t:.1f} s -->", flush=True)
            for name, pairs in data.items():
                outs = {p: [engines[p].run(b, scales=("fine",)).fine for b, _ in pairs]
                        for p in PRECISIONS}
                agree = {p: [psnr(o, r) for o, r in zip(outs[p], outs["fp32"])]
                         for p in ("bf16", "int8")}
                sharp = {p: float(np.mean([psnr(o, s) for o, (_, s) in zip(outs[p], pairs)]))
                         for p in PRECISIONS}
                gap = sharp["int8"] - sharp["bf16"]
                ok = np.mean(agree["int8"]) >= 40 and gap >= -0.1
                print(f"| {v} | {name} | {len(pairs)} | {np.mean(agree['bf16']):.1f} / "
                      f"{np.min(agree['bf16']):.1f} | {np.mean(agree['int8']):.1f} / "
                      f"{np.min(agree['int8']):.1f} | {sharp['fp32']:.3f} | {sharp['bf16']:.3f} | "
                      f"{sharp['int8']:.3f} | {gap:+.3f} | {'holds' if ok else 'FAILS'} |",
                      flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
