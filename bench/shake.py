"""Shake estimation speed and memory on this machine.

    python bench/shake.py [--region-mp 1] [--deconv-mp 2] [--photo-mp 24] [--no-network]

Prints, all measured in this run (the machine may be shared: compare the ratios):
  - estimation: seconds per megapixel of the estimation region, for one kernel size and for the
    automatic size (several sizes tried and checked);
  - deconvolution: seconds per megapixel of photo (three channels, tiled);
  - a whole ``--photo-mp`` photo end to end (estimation + deconvolution of the fine scale), in a
    child process so that its peak memory is its own;
  - the network (mimo-unet-lite, the CPU default) on the same deconvolution photo, per MP.
The photos are synthetic shaken scenes (deblur_app.shake.synthetic), tiled up to size.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from deblur_app.shake import ShakeDeblurrer  # noqa: E402
from deblur_app.shake.deconvolve import deconvolve, weight_for  # noqa: E402
from deblur_app.shake.synthetic import shaken  # noqa: E402


def shaky_photo(mp: float, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """A shaken photo of about ``mp`` megapixels (a 1024-px scene tiled) and its kernel."""
    _, blurred, kernel = shaken(seed, 1024, 1024, length=17, size=25)
    h = int((mp * 1e6 * 2 / 3) ** 0.5)
    w = int(h * 1.5)
    reps = (-(-h // 1024), -(-w // 1024), 1)
    return np.ascontiguousarray(np.tile(blurred, reps)[:h, :w]), kernel


def child(mp: float) -> None:
    from bench.memory import peak_rss_mb
    img, _ = shaky_photo(mp)
    before = peak_rss_mb()
    t = time.perf_counter()
    res = ShakeDeblurrer().run(img, scales=("fine",))
    seconds = time.perf_counter() - t
    print(json.dumps({"seconds": seconds, "peak_mb": peak_rss_mb(), "input_mb": before,
                      "notes": res.notes, "shape": list(img.shape)}))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--region-mp", type=float, default=1.0)
    ap.add_argument("--deconv-mp", type=float, default=2.0)
    ap.add_argument("--photo-mp", type=float, default=24.0)
    ap.add_argument("--no-network", action="store_true")
    ap.add_argument("--child", type=float, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child)
        return 0

    rows = []
    region, kernel = shaky_photo(args.region_mp)
    mp = region.shape[0] * region.shape[1] / 1e6
    t = time.perf_counter()
    est = ShakeDeblurrer(kernel_size=25).estimate(region)
    fixed = (time.perf_counter() - t) / mp
    rows.append(("estimation, kernel 25 px (s/MP of region)", fixed))
    t = time.perf_counter()
    est_auto = ShakeDeblurrer().estimate(region)
    auto = (time.perf_counter() - t) / mp
    rows.append(("estimation, automatic size (s/MP of region)", auto))

    photo, _ = shaky_photo(args.deconv_mp)
    pmp = photo.shape[0] * photo.shape[1] / 1e6
    t = time.perf_counter()
    deconvolve(photo, kernel, weight_for(0.3))
    dec = (time.perf_counter() - t) / pmp
    rows.append(("deconvolution, kernel 25 px (s/MP of photo)", dec))

    net = None
    if not args.no_network:
        from deblur_app.engine import Deblurrer
        from deblur_app.model.shipped import shipped_weights
        engine = Deblurrer.from_weights(shipped_weights("mimo-unet-lite"), device="cpu")
        crop = photo[:1024, :1024]
        engine.run(crop[:256, :256], scales=("fine",))          # warm-up
        t = time.perf_counter()
        engine.run(crop, scales=("fine",))
        net = (time.perf_counter() - t) / (crop.shape[0] * crop.shape[1] / 1e6)
        rows.append(("network mimo-unet-lite, CPU (s/MP)", net))

    out = subprocess.run([sys.executable, __file__, "--child", str(args.photo_mp)],
                         capture_output=True, text=True, check=True)
    big = json.loads(out.stdout.strip().splitlines()[-1])
    rows.append((f"{args.photo_mp:g} MP photo end to end (s)", big["seconds"]))
    rows.append((f"{args.photo_mp:g} MP photo peak memory (MB, input included)", big["peak_mb"]))

    print("| measure | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value:.2f} |")
    print("\n| ratio (same run) | value |\n|---|---|")
    print(f"| automatic size / one size (estimation) | {auto / fixed:.2f} |")
    print(f"| deconvolution / estimation (per MP, one size) | {dec / fixed:.2f} |")
    if net:
        print(f"| shake deconvolution / network lite (per MP) | {dec / net:.2f} |")
    print(f"| {args.photo_mp:g} MP end to end / 2-minute target | {big['seconds'] / 120:.2f} |")
    print(f"\nkernel found: {est.reason}; automatic: {est_auto.reason}; "
          f"{args.photo_mp:g} MP: {big['notes'][0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
