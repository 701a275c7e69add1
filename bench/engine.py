"""Engine speed and memory on this machine, next to the plain way of running the network.

    python bench/engine.py [--variants mimo-unet-lite mimo-unet] [--speed-mp 0.5] [--memory-mp 24]

Speed: seconds per megapixel on a real photo crop (the bundled sample, tiled to size), for
  - plain:        the network as published, float32, contiguous, whole image in one call
  - engine whole: Deblurrer with tile=0
  - engine tiled: Deblurrer with its default CPU tiles (512 px, overlap 64)
  - variants of the engine (channels_last, TorchScript-frozen)
Memory: peak resident memory of a separate process that runs the engine on a synthetic
``--memory-mp`` megapixel photo (all three scales assembled), measured after a few tiles (the
steady state: every full-size buffer is allocated by then), next to the plain way on a small
image, scaled per megapixel.  Ratios are computed within one run.
"""
from __future__ import annotations

import argparse
import json

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from deblur_app.engine import CancelToken, Cancelled, Deblurrer  # noqa: E402
from bench.memory import peak_rss_mb  # noqa: E402
from deblur_app.model import build  # noqa: E402
from deblur_app.model.shipped import shipped_weights  # noqa: E402


def photo(mp: float) -> np.ndarray:
    from deblur_app.imaging.io import read_photo
    from deblur_app.resources import sample_photo
    base = read_photo(sample_photo()).pixels
    side = int((mp * 1e6) ** 0.5) // 4 * 4
    reps = (-(-side // base.shape[0]), -(-side // base.shape[1]), 1)
    return np.ascontiguousarray(np.tile(base, reps)[:side, :side])


def timed(fn, repeat=1):
    fn()  # warm-up (allocations, oneDNN primitive creation)
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def plain_runner(model, img):
    x = torch.from_numpy(img.transpose(2, 0, 1).copy())[None]

    def run():
        with torch.no_grad():
            model(x)
    return run


def speed_rows(variant: str, mp: float) -> list[tuple[str, float]]:
    img = photo(mp)
    px = img.shape[0] * img.shape[1] / 1e6
    weights = shipped_weights(variant)
    eng = Deblurrer.from_weights(weights, device="cpu")
    rows = [("plain (fp32, contiguous, whole)", timed(plain_runner(eng._cpu_model, img)) / px)]
    eng.tile = 0
    rows.append(("engine whole", timed(lambda: eng.run(img)) / px))
    eng.tile = 512
    rows.append(("engine tiled 512/64 (evenly spread)", timed(lambda: eng.run(img)) / px))
    cl = Deblurrer.from_weights(weights, device="cpu", channels_last=False, tile=0)
    rows.append(("engine whole, contiguous (not channels_last)", timed(lambda: cl.run(img)) / px))
    return rows


def memory_child(variant: str, mp: float, mode: str) -> None:
    """Runs in a subprocess; prints peak RSS in MB as JSON."""
    if mode == "plain":
        model = build(variant).eval()
        if mp > 0:
            plain_runner(model, photo(mp))()
    else:
        side = int((mp * 1e6) ** 0.5) // 4 * 4
        h, w = side * 2 // 3 // 4 * 4, side * 3 // 2 // 4 * 4   # 3:2 like a camera
        img = np.random.default_rng(0).random((h, w, 3), dtype=np.float32)
        eng = Deblurrer.from_weights(shipped_weights(variant), device="cpu")
        token = CancelToken()

        def progress(done, total, msg):
            if done >= 3:
                token.cancel()
        try:
            eng.run(img, progress=progress, cancel=token)
        except Cancelled:
            pass
    print(json.dumps({"peak_mb": peak_rss_mb()}))


def peak_mb(variant, mp, mode) -> float:
    r = subprocess.run([sys.executable, __file__, "--child", variant, str(mp), mode],
                       capture_output=True, text=True, check=True)
    return json.loads(r.stdout.strip().splitlines()[-1])["peak_mb"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variants", nargs="+", default=["mimo-unet-lite", "mimo-unet"])
    ap.add_argument("--speed-mp", type=float, default=0.5)
    ap.add_argument("--memory-mp", type=float, default=24.0)
    ap.add_argument("--plain-memory-mp", type=float, default=1.0)
    ap.add_argument("--skip-speed", action="store_true")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        memory_child(args.child[0], float(args.child[1]), args.child[2])
        return
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads\n")
    for v in ([] if args.skip_speed else args.variants):
        if v == args.variants[0]:
            print(f"## Speed (seconds per megapixel, {args.speed_mp} MP photo)\n")
            print("| variant | method | s/MP | vs plain |")
            print("|---|---|---|---|")
        rows = speed_rows(v, args.speed_mp)
        base = rows[0][1]
        for name, s in rows:
            print(f"| {v} | {name} | {s:.2f} | {s / base:.2f}x |", flush=True)
    print(f"\n## Peak memory (MB)\n")
    print("| variant | plain, per MP (measured at "
          f"{args.plain_memory_mp} MP) | plain, {args.memory_mp:g} MP (extrapolated) | "
          f"engine, {args.memory_mp:g} MP photo (measured) |")
    print("|---|---|---|---|")
    for v in args.variants:
        # two sizes: the difference is the memory per megapixel, free of the fixed overhead
        small = peak_mb(v, args.plain_memory_mp / 2, "plain")
        plain = peak_mb(v, args.plain_memory_mp, "plain")
        per_mp = (plain - small) / (args.plain_memory_mp / 2)
        base_proc = plain - per_mp * args.plain_memory_mp
        eng = peak_mb(v, args.memory_mp, "engine")
        print(f"| {v} | {per_mp:.0f} | {base_proc + per_mp * args.memory_mp:.0f} | {eng:.0f} |",
              flush=True)


if __name__ == "__main__":
    main()
