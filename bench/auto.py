"""What Auto's decision costs next to the deblurring it chooses.

    python bench/auto.py [--mp 0.5] [--repeat 1]

On a real photo (the bundled sample, tiled up to ``--mp`` megapixels) as it is, softened
(Gaussian, sigma 2 px) and shaken (a 15 px camera path), prints per photo: the judgement alone
(blur width only; the judgement Auto and the triage make, with the quick shake estimate on a
<= 0.3 MP copy; with shake estimation's growing kernel sizes instead), the network (default
weights on this machine) and shake estimation on the photo, Auto's whole run, and the share of
Auto's run its judgement took.
All numbers are measured in this run; the machine may be shared, so compare the ratios.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from deblur_app.engine import open_engine  # noqa: E402
from deblur_app.engine.auto import AutoDeblurrer  # noqa: E402
from deblur_app.imaging.io import read_photo  # noqa: E402
from deblur_app.judge import judge_photo  # noqa: E402
from deblur_app.resources import sample_photo  # noqa: E402
from deblur_app.shake import ShakeDeblurrer  # noqa: E402
from deblur_app.shake.synthetic import blur  # noqa: E402
from deblur_app.training.kernels import shake_kernel  # noqa: E402


def photos(mp: float) -> dict[str, np.ndarray]:
    base = read_photo(sample_photo()).pixels
    h = int((mp * 1e6 * 2 / 3) ** 0.5)
    w = int(h * 1.5)
    reps = (-(-h // base.shape[0]), -(-w // base.shape[1]), 1)
    sharp = np.ascontiguousarray(np.tile(base, reps)[:h, :w])
    k = shake_kernel(np.random.default_rng(3), 15, 25)
    return {"the sample as it is": sharp,
            "softened (sigma 2 px)": cv2.GaussianBlur(sharp, (0, 0), 2.0),
            "shaken (15 px path)": np.clip(blur(sharp, k), 0, 1).astype(np.float32)}


def timed(fn, repeat: int) -> tuple[float, object]:
    best, out = np.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mp", type=float, default=0.5, help="photo size in megapixels")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args(argv)
    network = open_engine(None, None, "cpu", "auto", None, 64, "auto")
    network.run(np.zeros((64, 64, 3), np.float32), ("fine",))       # warm-up (conversion)
    auto = AutoDeblurrer(network, ShakeDeblurrer())
    print(f"network: {network.variant.name} on {network.describe()}; photos of {args.mp:g} MP")
    print()
    print("| photo | blur width only | judgement (Auto, triage) | with growing sizes | judged | "
          "network | shake estimation | Auto in all | judgement's share |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, img in photos(args.mp).items():
        t_w, _ = timed(lambda: judge_photo(img, estimate=False), args.repeat)
        t_f, j = timed(lambda: judge_photo(img, fast=True), args.repeat)
        t_j, _ = timed(lambda: judge_photo(img), args.repeat)
        t_n, _ = timed(lambda: network.run(img, ("fine",)), args.repeat)
        t_s, _ = timed(lambda: ShakeDeblurrer().run(img, ("fine",)), args.repeat)
        t_a, res = timed(lambda: auto.run(img, ("fine",)), args.repeat)
        print(f"| {name} | {t_w:.2f} s | {t_f:.1f} s | {t_j:.1f} s | {j.label()} -> "
              f"{res.choice} | {t_n:.1f} s | {t_s:.1f} s | {t_a:.1f} s | "
              f"{100 * res.judge_seconds / max(t_a, 1e-9):.0f} % |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
