"""Training throughput: patches per second for the data pipeline alone, the model step alone, and
both together (the real training loop), on one device.

    python bench/train_throughput.py                                   # CPU, small sizes
    python bench/train_throughput.py --device cuda --model mimo-unet --batch 16 --patch 256 \
        --kernel 97 --seconds 20 [--compile] [--photos .pack]

- data only:  ``BatchMaker.next`` (crops, kernels, blur, noise, JPEG-like) on the device;
- model only: forward + loss + backward + fused Adam + EMA on one batch made in advance;
- both:       the training loop as ``deblur_app.training.train`` runs it.
The table gives patches/s and each row relative to "model only" (the ceiling the pipeline can
reach): "both" near 1.0 means the data pipeline costs nothing.  Every number comes from the same
run, so the ratios hold under a shared machine's load even when the absolute numbers do not.
Without --photos the bank holds dead-leaves images only (the pipeline's cost is the same).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from deblur_app.training import train as tr  # noqa: E402
from deblur_app.training.sharp_bank import SharpBank, leaves_images  # noqa: E402


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _rate(fn, batch: int, seconds: float, min_iters: int, device) -> float:
    _sync(device)
    n, t0 = 0, time.perf_counter()
    while n < min_iters or time.perf_counter() - t0 < seconds:
        fn()
        n += 1
    _sync(device)
    return n * batch / (time.perf_counter() - t0)


def measure(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--model", default="mimo-unet-lite")
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--patch", type=int, default=64)
    ap.add_argument("--kernel", type=int, default=33)
    ap.add_argument("--seconds", type=float, default=3.0, help="per measurement, all rounds")
    ap.add_argument("--min-iters", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds (best counts)")
    ap.add_argument("--photos", type=Path, default=None)
    ap.add_argument("--compile", action="store_true")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    a = ap.parse_args(argv)
    targs = ["--model", a.model, "--device", a.device, "--batch", str(a.batch), "--patch",
             str(a.patch), "--kernel", str(a.kernel), "--steps", "0", "--leaves", "4"]
    if a.photos:
        targs += ["--photos", str(a.photos)]
    if a.compile:
        targs.append("--compile")
    if a.threads:
        targs += ["--threads", str(a.threads)]
    args = tr.parse_args(targs)
    device = tr._device(a.device, 0)
    bank = None
    if a.photos is None:
        full = a.patch + 2 * (a.kernel // 2)
        bank = SharpBank([], device, leaves=leaves_images(1, 4, max(2 * full, 256)),
                         leaves_share=1.0)
    t = tr.setup(args, log=lambda m: None, bank=bank)
    t.model.train()
    fixed = t.maker.next(a.batch)
    for _ in range(2):  # warm-up: autotuning, compilation, allocations
        tr.train_step(t, *t.maker.next(a.batch))

    def data():
        t.maker.next(a.batch)

    def model():
        tr.train_step(t, *fixed)

    def both():
        tr.train_step(t, *t.maker.next(a.batch))

    # interleaved rounds, best of each: a burst of load from other processes hits one round
    # of one measurement, not a whole column
    fns = (("data only", data), ("model only", model), ("both", both))
    runs = {name: [] for name, _ in fns}
    for _ in range(a.rounds):
        for name, fn in fns:
            runs[name].append(_rate(fn, a.batch, a.seconds / a.rounds, a.min_iters, device))
    rates = {name: max(v) for name, v in runs.items()}
    dev_name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    result = {"device": dev_name, "model": a.model, "batch": a.batch, "patch": a.patch,
              "kernel": a.kernel, "compile": a.compile, "patches_per_s": rates, "rounds": runs,
              "torch": torch.__version__}
    print(f"{a.model} on {dev_name}: batch {a.batch} x {a.patch} px, kernel {a.kernel}, "
          f"compile {a.compile}, torch {torch.__version__}")
    print("| measured | patches/s | vs model only |\n|---|---|---|")
    for name, r in rates.items():
        print(f"| {name} | {r:.1f} | {r / rates['model only']:.2f} |")
    if a.json:
        a.json.write_text(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    measure()
