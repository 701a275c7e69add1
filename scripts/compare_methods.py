"""Compare the two methods (and their combination) on real and synthetic blurred/sharp pairs.

    python scripts/compare_methods.py           # real set, 10 of its photos shaken, 12 synthetic
    python scripts/compare_methods.py --no-network --synthetic 0 --json out.json

Methods: the blurred input, the network (MIMO-UNet weights), shake estimation, and shake
estimation followed by the network ("shake+network": deconvolve, then let the network clean
ringing and noise).  Per source: mean PSNR (dB, RGB), mean SSIM (luma) and how many photos each
method made worse than the blurred input (PSNR lower by more than 0.05 dB).  The real set is
read from ``../shared/data/real_validation`` beside the repository (never copied into it).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from deblur_app.imaging.io import read_photo  # noqa: E402
from deblur_app.shake import ShakeDeblurrer  # noqa: E402
from deblur_app.shake.synthetic import shaken  # noqa: E402
from deblur_app.training.metrics import psnr, ssim  # noqa: E402

# ../shared beside the checkout (a worktree under wt/ looks one level further up)
REAL = next((p / "shared" / "data" / "real_validation" for p in (ROOT.parent, ROOT.parent.parent)
             if (p / "shared" / "data" / "real_validation").is_dir()),
            ROOT.parent / "shared" / "data" / "real_validation")
GROUPS = (("goprotrain_crop_dgan_", "GoPro train crops 256 px (frame-averaged)"),
          ("deblurganod_crop_", "DeblurGAN street crops 256 px (frame-averaged)"),
          ("gopro_", "GoPro 720 px (frame-averaged)"))
WORSE_DB = 0.05


def real_pairs(folder: Path):
    for path in sorted((folder / "blurred").glob("*.png")):
        group = next(title for prefix, title in GROUPS if path.name.startswith(prefix))
        yield group, path.stem, read_photo(path).pixels, read_photo(folder / "sharp" / path.name).pixels


def synthetic_pairs(count: int):
    """Hand-held shake of 7 to 31 px on 512 px scenes, noise 0.3 to 1.5 %."""
    for i in range(count):
        length = 7 + 24 * (i % 4) / 3
        noise = (0.003, 0.008, 0.015)[i % 3]
        sharp, blurred, _ = shaken(1000 + i, 512, 512, length=length, size=41, noise=noise)
        yield "synthetic camera shake (7-31 px, noise 0.3-1.5 %)", f"synthetic_{i:02d}", blurred, sharp


def natural_pairs(folder: Path, count: int):
    """The real set's sharp photos (GoPro 720 px, DeblurGAN street crops) shaken by hand-held
    camera paths of 11 to 27 px, noise 0.5 %: real scenes, uniform camera shake."""
    from deblur_app.shake.synthetic import blur
    from deblur_app.training.kernels import shake_kernel
    paths = sorted((folder / "sharp").glob("gopro_*.png")) + \
        sorted((folder / "sharp").glob("deblurganod_*.png"))
    for i, path in enumerate(paths[:count]):
        sharp = read_photo(path).pixels
        rng = np.random.default_rng(i)
        k = shake_kernel(rng, (11, 15, 19, 23, 27)[i % 5], 41)
        blurred = np.clip(blur(sharp, k) + rng.normal(0, 0.005, sharp.shape), 0, 1)
        yield ("real photos + synthetic camera shake (11-27 px)", f"natural_{path.stem}",
               blurred.astype(np.float32), sharp)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--real", type=Path, default=REAL)
    ap.add_argument("--synthetic", type=int, default=12, help="number of synthetic photos")
    ap.add_argument("--natural", type=int, default=10,
                    help="number of the real set's sharp photos to shake synthetically")
    ap.add_argument("--no-real", action="store_true", help="leave out the real blurred pairs")
    ap.add_argument("--weights", type=Path, default=ROOT / "weights" / "mimo-unet.safetensors")
    ap.add_argument("--no-network", action="store_true")
    ap.add_argument("--json", type=Path, default=None, help="per-photo results")
    args = ap.parse_args(argv)

    shake = ShakeDeblurrer()
    net = None
    if not args.no_network:
        from deblur_app.engine import Deblurrer
        net = Deblurrer.from_weights(args.weights, device="cpu")
    pairs = []
    if args.real.is_dir():
        if not args.no_real:
            pairs += list(real_pairs(args.real))
        pairs += list(natural_pairs(args.real, args.natural))
    else:
        print(f"warning: {args.real} not found: real pairs skipped", file=sys.stderr)
    pairs += list(synthetic_pairs(args.synthetic))

    if not pairs:
        print("error: no pairs to compare", file=sys.stderr)
        return 2
    rows = []
    for group, name, blurred, sharp in pairs:
        t0 = time.perf_counter()
        outs = {"blurred": blurred}
        s = shake.run(blurred, scales=("fine",))
        outs["shake"] = s.fine
        if net is not None:
            outs["network"] = net.run(blurred, scales=("fine",)).fine
            outs["shake+network"] = net.run(s.fine, scales=("fine",)).fine \
                if s.kernel is not None else outs["network"]
        row = {"group": group, "name": name, "refused": s.kernel is None, "notes": s.notes,
               "seconds": round(time.perf_counter() - t0, 1)}
        for m, img in outs.items():
            row[m] = (round(psnr(img, sharp), 3), round(ssim(img, sharp), 4))
        rows.append(row)
        print(f"{name}: " + ", ".join(f"{m} {row[m][0]:.2f}" for m in outs) +
              (" (refused)" if row["refused"] else ""), file=sys.stderr, flush=True)

    methods = [m for m in ("blurred", "network", "shake", "shake+network") if m in rows[0]]
    by_group = defaultdict(list)
    for r in rows:
        by_group[r["group"]].append(r)
    print("| source | photos | " + " | ".join(methods) + " |")
    print("|---|---|" + "---|" * len(methods))
    for group, rs in by_group.items():
        cells = []
        for m in methods:
            p = np.mean([r[m][0] for r in rs])
            q = np.mean([r[m][1] for r in rs])
            worse = sum(r[m][0] < r["blurred"][0] - WORSE_DB for r in rs)
            cells.append(f"{p:.2f} / {q:.3f}" + ("" if m == "blurred" else f" / {worse}"))
        refused = sum(r["refused"] for r in rs)
        print(f"| {group} | {len(rs)} ({refused} refused by shake) | " + " | ".join(cells) + " |")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
