"""Memory of a long batch of photos of many different sizes (issue: +0.5 MB per photo).

    python bench/batch_memory.py [--photos 1000] [--model mimo-unet-lite] [--precision int8]

Runs the same seeded folder of varied small photos through the batch runner in fresh
processes, once as shipped and once without returning freed memory to the system between
photos, and prints the resident memory after the first 50 photos, at the end, and the largest
level reached.  The bound: the level at the end stays within 50 MB of the level after 50.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def make_photos(folder: Path, n: int, seed: int = 0) -> None:
    import numpy as np
    from PIL import Image
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        h, w = (int(v) for v in rng.integers(24, 200, 2))
        img = (rng.random((h, w, 3)) * 255).astype(np.uint8)
        Image.fromarray(img).save(folder / f"{i:04d}.{'png' if i % 2 else 'jpg'}")


def child(folder: str, out: str, model: str, trim: bool, backend: str,
          precision: str = "auto") -> None:
    import torch
    torch.set_num_threads(1)
    import deblur_app.batch.runner as runner_mod
    from deblur_app.batch import BatchOptions, BatchRunner, collect_jobs
    from deblur_app.engine import open_engine
    if not trim:
        runner_mod.release_freed_memory = lambda: None
    # as the app opens it on a CPU (OpenVINO where installed, else torch)
    engine = open_engine(None, model, "cpu", backend, None, 64, precision)
    engine.backend.prepare(lambda *a: None)     # the one-time work (conversion, int8) first
    jobs, _ = collect_jobs([folder])
    levels = []
    runner = BatchRunner(engine, BatchOptions(Path(out)))
    runner.run(jobs, on_result=lambda r: levels.append(rss_mb()))
    print(json.dumps(levels))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--photos", type=int, default=1000)
    ap.add_argument("--model", default="mimo-unet-lite")
    ap.add_argument("--backends", default="openvino,torch")
    ap.add_argument("--precision", default="auto", help="auto, fp32, bf16 or int8 (OpenVINO)")
    ap.add_argument("--child", nargs=6, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        folder, out, model, trim, backend, precision = args.child
        child(folder, out, model, trim == "1", backend, precision)
        return
    with tempfile.TemporaryDirectory() as tmp:
        photos = Path(tmp) / "photos"
        make_photos(photos, args.photos)
        rows = []
        for backend in args.backends.split(","):
            for trim in (True, False):
                out = Path(tmp) / f"out-{backend}{int(trim)}"
                r = subprocess.run([sys.executable, __file__, "--child", str(photos), str(out),
                                    args.model, "1" if trim else "0", backend,
                                    args.precision],
                                   capture_output=True, text=True, check=True)
                levels = json.loads(r.stdout.strip().splitlines()[-1])
                at50 = levels[min(49, len(levels) - 1)]
                rows.append((f"{backend}, " + ("as shipped (freed memory returned after each "
                                                "photo)" if trim else "freed memory kept"),
                             at50, levels[-1], max(levels)))
    print(f"{args.photos} photos of 24-200 px sides, {args.model}, CPU, precision "
          f"{args.precision}\n")
    print("| run | RSS after 50 (MB) | RSS at the end (MB) | growth (MB) | peak (MB) |")
    print("|---|---|---|---|---|")
    for name, a, b, peak in rows:
        print(f"| {name} | {a:.0f} | {b:.0f} | {b - a:+.0f} | {peak:.0f} |")


if __name__ == "__main__":
    main()
