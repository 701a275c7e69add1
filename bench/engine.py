"""Engine speed, memory and agreement on this machine, next to the plain way of running the network.

    python bench/engine.py [--variants mimo-unet mimo-unet-lite] [--size 1280x720] [--photos 4]
    python bench/engine.py --device cuda        # on a CUDA machine: plain fp32 vs the fp16 engine

For each network, on a real photo (a crop of the bundled sample), each method runs in its own
process (so that its peak memory is its own): one warm-up call, then one timed call.
  - plain:            the network as the original code calls it: float32, whole image, one call
  - torch fp32:       the engine (tiles, channels_last) in float32
  - torch bf16:       the same with bfloat16 autocast (only where the CPU has native bfloat16)
  - OpenVINO f32/bf16: the engine on OpenVINO (the conversion is cached before timing)
  - OpenVINO int8:    the network quantised by NNCF (made in the warm-up call, cached)
  (on CUDA: plain fp32, engine fp32 and engine fp16)
Columns: s/MP, speed-up over plain, peak resident memory of that process, and agreement of the
fine output with plain float32 (PSNR, dB).  Then the whole ``deblur`` command (start-up, model
loading and writing included) over a folder of ``--photos`` photos with the full net, against
``--photos`` plain float32 forward passes: once with an empty conversion cache (first launch)
and once more (every later launch); then ``--precision int8`` (with the int8 network that the
method rows made) and ``--fp32``, written as PNG, and the agreement of the int8 results with
the ``--fp32`` ones (PSNR, dB; mean and lowest).  All ratios are within one run.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.memory import peak_rss_mb  # noqa: E402

CPU_METHODS = [("plain", "plain"), ("torch fp32", "torch:fp32"), ("torch bf16", "torch:bf16"),
               ("OpenVINO f32", "openvino:fp32"), ("OpenVINO bf16", "openvino:bf16"),
               ("OpenVINO int8", "openvino:int8")]
CUDA_METHODS = [("plain", "plain"), ("torch fp32", "torch:fp32"), ("torch fp16", "torch:fp16")]


def photo(width: int, height: int) -> np.ndarray:
    """The bundled sample, cropped (or tiled) to width x height."""
    from deblur_app.imaging.io import read_photo
    from deblur_app.resources import sample_photo
    base = read_photo(sample_photo()).pixels
    reps = (-(-height // base.shape[0]), -(-width // base.shape[1]), 1)
    return np.ascontiguousarray(np.tile(base, reps)[:height, :width])


def child(variant: str, method: str, device: str, width: int, height: int, out: str) -> None:
    """One method in this process: prints {s_per_mp, peak_mb} and saves the fine output."""
    import torch

    from deblur_app.engine import Deblurrer
    from deblur_app.model import load_model
    from deblur_app.model.shipped import shipped_weights
    img = photo(width, height)
    model, v = load_model(shipped_weights(variant))
    if method == "plain":
        model = model.float().eval().to(device)
        x = torch.from_numpy(img.transpose(2, 0, 1).copy())[None].to(device)

        def run():
            with torch.no_grad():
                fine = model(x)[2]
            if device != "cpu":
                torch.cuda.synchronize()
            return fine[0].permute(1, 2, 0).clamp(0, 1).cpu().numpy()
    else:
        backend, precision = method.split(":")
        eng = Deblurrer(model, v, device=device, backend=backend, precision=precision)

        def run():
            return eng.run(img, scales=("fine",)).fine
    run()  # warm-up: oneDNN primitives, OpenVINO compilation, CUDA kernels
    t = time.perf_counter()
    fine = run()
    secs = time.perf_counter() - t
    np.save(out, fine)
    print(json.dumps({"s_per_mp": secs / (width * height / 1e6), "peak_mb": peak_rss_mb()}))


def run_child(variant, method, device, width, height, out) -> dict:
    r = subprocess.run([sys.executable, __file__, "--child", variant, method, device, str(width),
                        str(height), out], capture_output=True, text=True)
    if r.returncode:
        return {"error": (r.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(r.stdout.strip().splitlines()[-1])


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((np.clip(a, 0, 1) - np.clip(b, 0, 1)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(1.0 / mse)


def end_to_end(n: int, width: int, height: int, tmp: Path, env: dict, extra=(),
               out_name: str = "out") -> float:
    """Seconds for ``deblur FOLDER -o OUT [extra]`` over n photos, start-up included."""
    folder = tmp / "photos"
    if not folder.is_dir():
        import cv2
        folder.mkdir()
        base = photo(width + 16 * n, height)
        for i in range(n):
            crop = (base[:, 16 * i:16 * i + width] * 255 + 0.5).astype(np.uint8)
            cv2.imwrite(str(folder / f"photo{i}.jpg"), crop[..., ::-1],
                        [cv2.IMWRITE_JPEG_QUALITY, 95])
    out = tmp / out_name
    shutil.rmtree(out, ignore_errors=True)
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "deblur_app.cli", str(folder), "-o", str(out),
                    "--model", "mimo-unet", "--quiet", *extra], check=True, env=env, cwd=ROOT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def folder_agreement(a: Path, b: Path) -> list[float]:
    """PSNR (dB) of each result in folder ``a`` against the result of the same name in ``b``."""
    import cv2
    out = []
    for f in sorted(a.glob("*.png")):
        x, y = (cv2.imread(str(p), cv2.IMREAD_UNCHANGED) for p in (f, b / f.name))
        scale = 65535.0 if x.dtype == np.uint16 else 255.0
        out.append(psnr(x.astype(np.float32) / scale, y.astype(np.float32) / scale))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variants", nargs="+", default=["mimo-unet", "mimo-unet-lite"])
    ap.add_argument("--size", default="1280x720", help="photo size WxH")
    ap.add_argument("--photos", type=int, default=4, help="photos for the end-to-end run")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--cache", type=Path, default=None,
                    help="a cache folder of converted models for the method rows (default: a "
                         "fresh one; the end-to-end first launch always starts empty)")
    ap.add_argument("--child", nargs=6, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        v, m, d, w, h, out = args.child
        child(v, m, d, int(w), int(h), out)
        return
    import torch

    from deblur_app.engine.backend import native_bf16, openvino_installed
    width, height = (int(n) for n in args.size.lower().split("x"))
    tmp = Path(tempfile.mkdtemp(prefix="deblur-bench-"))
    cache = str(args.cache or tmp / "cache")
    env = dict(os.environ, DEBLUR_STUDIO_CACHE=cache,
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    os.environ.update(env)  # the children convert into (and read from) this cache
    methods = CUDA_METHODS if args.device == "cuda" else CPU_METHODS
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, native bfloat16: "
          f"{native_bf16()}, OpenVINO: {openvino_installed()}; {width}x{height} photo\n")
    print("| network | method | s/MP | vs plain | peak MB | agreement with plain fp32 (dB) |")
    print("|---|---|---|---|---|---|")
    plain_s = {}
    try:
        for v in args.variants:
            ref = None
            for title, method in methods:
                if (method == "torch:bf16" and not native_bf16()) or \
                        (method.startswith("openvino") and not openvino_installed()):
                    print(f"| {v} | {title} | n/a on this machine | | | |", flush=True)
                    continue
                out = str(tmp / f"{v}-{method.replace(':', '-')}.npy")
                r = run_child(v, method, args.device, width, height, out)
                if "error" in r:
                    print(f"| {v} | {title} | failed: {r['error']} | | | |", flush=True)
                    continue
                fine = np.load(out)
                if method == "plain":
                    ref, plain_s[v] = fine, r["s_per_mp"]
                agree = "reference" if method == "plain" else f"{psnr(fine, ref):.1f}"
                print(f"| {v} | {title} | {r['s_per_mp']:.2f} | "
                      f"{plain_s[v] / r['s_per_mp']:.1f}x | {r['peak_mb']:.0f} | {agree} |",
                      flush=True)
        if args.photos and "mimo-unet" in plain_s:
            plain_total = plain_s["mimo-unet"] * width * height / 1e6 * args.photos
            print(f"\n## End to end: `deblur` over {args.photos} photos of {width}x{height}, "
                  "full net, default settings\n")
            print("| run | seconds | plain fp32 forward passes (s) | speed-up |")
            print("|---|---|---|---|")
            env["DEBLUR_STUDIO_CACHE"] = str(tmp / "cache-end-to-end")  # empty at first
            runs = [("first launch (converts the network)", (), "out"),
                    ("second launch (cached)", (), "out")]
            if args.device == "cpu" and openvino_installed():
                png = ("--format", "png")
                # the int8 network made by the OpenVINO int8 row above (quantising it again here
                # would take a minute, minutes on a busy machine): every launch but the first
                runs += [("`--precision int8` (int8 network cached)",
                          ("--precision", "int8") + png, "int8"),
                         ("`--fp32`", ("--fp32",) + png, "fp32")]
            for what, extra, out_name in runs:
                run_env = env if out_name == "out" else dict(env, DEBLUR_STUDIO_CACHE=cache)
                try:
                    secs = end_to_end(args.photos, width, height, tmp, run_env, extra, out_name)
                except subprocess.CalledProcessError as exc:
                    print(f"| {what} | failed (exit {exc.returncode}) | | |", flush=True)
                    continue
                print(f"| {what} | {secs:.1f} | {plain_total:.1f} | "
                      f"{plain_total / secs:.1f}x |", flush=True)
            if (tmp / "int8").is_dir() and (tmp / "fp32").is_dir():
                agree = folder_agreement(tmp / "int8", tmp / "fp32")
                print(f"\nAgreement of the `--precision int8` results with the `--fp32` ones: "
                      f"{np.mean(agree):.1f} dB (lowest {np.min(agree):.1f}) over "
                      f"{len(agree)} photos", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
