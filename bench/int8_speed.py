"""Plain float32 against the engine in bfloat16 and int8, interleaved, for a busy machine.

    python bench/int8_speed.py [--rounds 3] [--size 1280x720] [--cache DIR]

One process, the full net, a crop of the bundled sample: each round runs the plain float32
forward pass (the original code's call), the OpenVINO engine in bfloat16 and in int8, one after
the other; the fastest round of each is kept (s/MP), so that a load spike from other programs on
the machine counts against no method in particular.  Ratios are of those fastest rounds.  The
int8 network is made (or read from ``--cache``) before the first round.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--cache", default=None)
    args = ap.parse_args()
    if args.cache:
        os.environ["DEBLUR_STUDIO_CACHE"] = args.cache
    import torch

    from bench.engine import photo, psnr
    from deblur_app.engine import open_engine
    from deblur_app.model import load_model
    from deblur_app.model.shipped import shipped_weights
    w, h = (int(n) for n in args.size.lower().split("x"))
    img = photo(w, h)
    model, _ = load_model(shipped_weights("mimo-unet"))
    model = model.float().eval()
    x = torch.from_numpy(img.transpose(2, 0, 1).copy())[None]

    def plain():
        with torch.no_grad():
            return model(x)[2][0].permute(1, 2, 0).clamp(0, 1).numpy()
    engines = {p: open_engine(None, "mimo-unet", "cpu", "openvino", None, 64, p)
               for p in ("bf16", "int8")}
    runs = {"plain fp32": plain}
    for p, eng in engines.items():
        eng.backend.prepare(lambda *a: None)
        runs[f"OpenVINO {p}"] = (lambda e: lambda: e.run(img, scales=("fine",)).fine)(eng)
    best = {k: float("inf") for k in runs}
    outs = {}
    for k, f in runs.items():   # warm-up: compilation, first-shape kernels
        outs[k] = f()
    for r in range(args.rounds):
        for k, f in runs.items():
            t = time.perf_counter()
            f()
            best[k] = min(best[k], (time.perf_counter() - t) / (w * h / 1e6))
        print(f"<!-- round {r + 1}: " + ", ".join(f"{k} {v:.2f}" for k, v in best.items())
              + f"; load {os.getloadavg()[0]:.1f} -->", flush=True)
    print(f"\n{w}x{h}, full net, {torch.get_num_threads()} threads, fastest of {args.rounds} "
          f"interleaved rounds, load average {os.getloadavg()[0]:.1f} at the end\n")
    print("| method | s/MP | vs plain | vs bf16 | agreement with plain fp32 (dB) |")
    print("|---|---|---|---|---|")
    for k in runs:
        agree = "reference" if k == "plain fp32" else f"{psnr(outs[k], outs['plain fp32']):.1f}"
        print(f"| {k} | {best[k]:.2f} | {best['plain fp32'] / best[k]:.1f}x | "
              f"{best['OpenVINO bf16'] / best[k]:.2f}x | {agree} |")


if __name__ == "__main__":
    main()
