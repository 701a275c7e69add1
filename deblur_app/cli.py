"""The ``deblur`` command: deblur photos and folders without a window.

    deblur shaky.jpg wedding/ -o out/ --recursive --scale fine --sharpen 0.3
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__
from .engine import SCALES, open_engine
from .engine.progress import Eta, format_seconds


def build_parser() -> argparse.ArgumentParser:
    from .model import VARIANTS
    ap = argparse.ArgumentParser(
        prog="deblur", description="Remove camera shake and motion blur from photos "
        "(MIMO-UNet). Originals are never modified.")
    ap.add_argument("inputs", nargs="+", metavar="INPUT", help="photos and/or folders")
    ap.add_argument("-o", "--output", required=True, type=Path, metavar="OUTDIR",
                    help="output folder (folder structure is mirrored below it)")
    ap.add_argument("--model", choices=sorted(VARIANTS), default=None,
                    help="shipped weights to use (default: the best for the device)")
    ap.add_argument("--weights", type=Path, default=None,
                    help="weights file: .safetensors, an original .pkl/.pth checkpoint or a "
                         "state dict (the variant is recognised from the file)")
    ap.add_argument("--scale", choices=list(SCALES) + ["all"], default="fine",
                    help="which output: coarse (1/4), mid (1/2), fine (full) or all three")
    # -- where and how the network runs (engine/backend.py) --
    ap.add_argument("--device", default="auto",
                    help="auto, cpu, cuda, cuda:N, mps or intel-gpu[:N] (OpenVINO)")
    ap.add_argument("--backend", choices=("auto", "torch", "openvino"), default="auto",
                    help="runtime: auto = OpenVINO on the CPU when installed, PyTorch on "
                         "CUDA/MPS")
    ap.add_argument("--tile", type=int, default=None,
                    help="tile size in pixels (0 = whole image; default depends on device)")
    ap.add_argument("--overlap", type=int, default=64, help="tile overlap in pixels")
    ap.add_argument("--fp32", action="store_true",
                    help="float32 on every device and backend (slower; default: float16 on "
                         "GPUs, bfloat16 on CPUs that have it natively)")
    ap.add_argument("--sharpen", type=float, default=0.0, metavar="AMOUNT",
                    help="unsharp-mask amount after deblurring (0 = off)")
    ap.add_argument("--sharpen-radius", type=float, default=1.5)
    ap.add_argument("--sharpen-threshold", type=float, default=0.0)
    ap.add_argument("--contrast", type=float, default=0.0, metavar="AMOUNT",
                    help="local contrast strength 0..1 (0 = off)")
    ap.add_argument("--suffix", default="_deblurred", help="added to output names")
    ap.add_argument("--format", dest="fmt", choices=["same", "png", "jpg", "tif"],
                    default="same")
    ap.add_argument("--jpeg-quality", type=int, default=95)
    ap.add_argument("--recursive", action="store_true", help="look into sub-folders")
    ap.add_argument("--skip-existing", action="store_true",
                    help="skip photos whose outputs already exist (resume a batch)")
    ap.add_argument("--report", type=Path, default=None, metavar="FILE.json",
                    help="write per-file results as JSON")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    ap.add_argument("--version", action="version", version=f"deblur {__version__}")
    return ap


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    from tqdm import tqdm

    from .batch import BatchOptions, BatchRunner, collect_jobs, summarize, write_report
    from .imaging.postprocess import PostSettings
    from .model import WeightsError

    def say(msg):
        if not args.quiet:
            tqdm.write(msg, file=sys.stderr)

    jobs, problems = collect_jobs(args.inputs, args.recursive, exclude=args.output)
    for p in problems:
        print(f"warning: {p}", file=sys.stderr)
    if not jobs:
        print("error: no photos to process", file=sys.stderr)
        return 2
    try:
        engine = open_engine(args.weights, args.model, args.device, args.backend, args.tile,
                             args.overlap, "fp32" if args.fp32 else "auto")
    except (WeightsError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    say(f"{engine.variant.title} ({engine.source}) on {engine.describe()}; {len(jobs)} photo(s) "
        f"-> {args.output}")
    scales = SCALES if args.scale == "all" else (args.scale,)
    post = PostSettings(sharpen_amount=args.sharpen, sharpen_radius=args.sharpen_radius,
                        sharpen_threshold=args.sharpen_threshold, contrast=args.contrast)
    runner = BatchRunner(engine, BatchOptions(args.output, scales, args.suffix, args.fmt,
                                              args.jpeg_quality, args.skip_existing, post))
    bar = tqdm(total=len(jobs), unit="photo", disable=args.quiet, file=sys.stderr,
               dynamic_ncols=True)
    eta = Eta()
    state = {"file": ""}

    def on_file(done, total, message):
        state["file"] = message
        bar.n = done
        bar.set_postfix_str(message[-40:], refresh=True)

    def on_tile(done, total, message):
        if total:
            bar.set_postfix_str(f"{state['file'][-30:]} {done}/{total} tiles", refresh=True)

    def on_result(res):
        left = eta.update(len(results_seen) + 1, len(jobs))
        results_seen.append(res)
        if res.status == "failed":
            say(f"failed: {res.reason}")
        elif res.status == "done" and not args.quiet:
            say(f"done: {res.source} -> {', '.join(res.outputs)} ({res.seconds:.1f} s, "
                f"about {format_seconds(left)} left)")
        for n in res.notes:
            say(f"note: {n}")

    results_seen: list = []
    try:
        results = runner.run(jobs, on_file, on_tile, on_result)
    except KeyboardInterrupt:
        runner.cancel()
        bar.close()
        print("cancelled", file=sys.stderr)
        return 130
    bar.close()
    summary = summarize(results)
    if args.report:
        write_report(args.report, results, {"model": engine.variant.name,
                                            "weights": engine.source,
                                            "device": str(engine.device)})
    print(f"{summary['done']} done, {summary['skipped']} skipped, {summary['failed']} failed"
          + (f", {summary['cancelled']} cancelled" if summary["cancelled"] else ""),
          file=sys.stderr)
    for r in results:
        if r.status == "failed":
            print(f"  failed: {r.reason}", file=sys.stderr)
    return 0 if summary["failed"] == 0 and summary["cancelled"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
