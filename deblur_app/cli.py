"""The ``deblur`` command: deblur photos and folders without a window.

    deblur shaky.jpg wedding/ -o out/ --recursive --scale fine --sharpen 0.3
"""
from __future__ import annotations

import argparse
import math
import signal
import sys
import threading
from pathlib import Path

from . import __version__
from .engine import SCALES, open_engine
from .engine.backend import PRECISIONS
from .engine.progress import Eta, format_seconds
from .imaging.postprocess import LIMITS

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def build_parser() -> argparse.ArgumentParser:
    from .model import VARIANTS
    ap = argparse.ArgumentParser(
        prog="deblur", description="Remove camera shake and motion blur from photos "
        "(MIMO-UNet). Originals are never modified.")
    ap.add_argument("inputs", nargs="+", metavar="INPUT", help="photos and/or folders")
    ap.add_argument("-o", "--output", required=True, metavar="OUTDIR",
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
    ap.add_argument("--precision", choices=PRECISIONS, default=None,
                    help="auto (default: float16 on GPUs, bfloat16 on CPUs that have it "
                         "natively), fp32, bf16 (CPUs), fp16 (GPUs) or int8 (OpenVINO on the "
                         "CPU: faster than bf16 where the CPU has VNNI or AMX, a little less "
                         "exact; the network is quantised once per weights file, about a "
                         "minute)")
    ap.add_argument("--fp32", action="store_true",
                    help="float32 on every device and backend (slower): --precision fp32")
    ap.add_argument("--strength", type=float, default=1.0,
                    help="blend with the original: 0 = original, 1 = fully deblurred "
                         "(default 1)")
    ap.add_argument("--sharpen", type=float, default=0.0, metavar="AMOUNT",
                    help="unsharp-mask amount after deblurring, %s..%s (0 = off)"
                    % LIMITS["sharpen_amount"])
    ap.add_argument("--sharpen-radius", type=float, default=1.5, metavar="PX",
                    help="sharpening radius in pixels, %s..%s" % LIMITS["sharpen_radius"])
    ap.add_argument("--sharpen-threshold", type=float, default=0.0, metavar="T",
                    help="leave detail weaker than T (0..%.3f of full scale) unsharpened"
                    % LIMITS["sharpen_threshold"][1])
    ap.add_argument("--contrast", type=float, default=0.0, metavar="AMOUNT",
                    help="local contrast amount 0..1 (0 = off)")
    ap.add_argument("--suffix", default="_deblurred",
                    help="added to output names (no / or \\: results stay in OUTDIR)")
    ap.add_argument("--format", dest="fmt",
                    choices=["same", "png", "jpg", "tif", "webp", "heic", "avif"],
                    default="same", help="same: the photo's own format (a camera RAW: 16-bit TIFF)")
    ap.add_argument("--jpeg-quality", type=int, default=95, help="1..100 (default 95)")
    ap.add_argument("--recursive", action="store_true", help="look into sub-folders")
    existing = ap.add_mutually_exclusive_group()
    existing.add_argument("--skip-existing", action="store_true",
                          help="resume a batch: skip photos whose results are already there "
                               "and complete (empty or damaged ones are made again)")
    existing.add_argument("--overwrite", action="store_true",
                          help="replace earlier results of Deblur Studio (other files are "
                               "never replaced: a taken name gets ' (2)' instead)")
    ap.add_argument("--report", type=Path, default=None, metavar="FILE.json",
                    help="write per-file results as JSON")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    ap.add_argument("--version", action="version", version=f"deblur {__version__}")
    # -- shake estimation (deblur_app.shake) --
    sh = ap.add_argument_group("shake estimation (--method shake)")
    sh.add_argument("--method", choices=["network", "shake"], default="network",
                    help="network: MIMO-UNet; shake: estimate the camera-shake kernel of each "
                         "photo and deconvolve it")
    sh.add_argument("--kernel-size", default="auto", metavar="N|auto",
                    help="largest blur to look for, in pixels (3..101; default auto)")
    sh.add_argument("--region", default=None, metavar="X,Y,W,H",
                    help="estimate the shake on this rectangle (default: the most detailed ~1 MP)")
    sh.add_argument("--detail", default="auto", metavar="0..1|auto",
                    help="deconvolution: more detail (1) or fewer artefacts (0); "
                         "default auto, from the photo's noise")
    sh.add_argument("--save-kernel", action="store_true",
                    help="also write the estimated kernel as a PNG next to each output")
    return ap


def open_shake_engine(args):
    """The shake engine when --method shake (options checked: ValueError if bad), else None."""
    if args.method != "shake":
        return None
    from .shake import open_shake
    return open_shake(args.kernel_size, args.region, args.detail)


def save_kernel_next_to(output: str, kernel) -> str:
    """Write the kernel picture as ``<output stem>_kernel.png`` beside ``output`` (numbered like
    the results if that name is taken: no file is ever replaced)."""
    from .imaging.io import write_photo
    from .shake.kernel import picture
    from .batch.naming import numbered
    wanted = Path(output).with_name(Path(output).stem + "_kernel.png")
    n, target = 1, wanted
    while target.exists() or target.is_symlink():   # never over a file that is there
        n += 1
        target = numbered(wanted, n)
    write_photo(target, picture(kernel), fmt="PNG", bit_depth=8)
    return str(target)


def check_args(args) -> None:
    """Refuse impossible options before any work (ValueError with the reason)."""
    from .batch.naming import check_suffix
    from .imaging.postprocess import check_range
    if not str(args.output).strip():
        raise ValueError("the output folder (-o) is empty")
    args.output = Path(args.output)
    if args.output.exists() and not args.output.is_dir():
        raise ValueError(f"the output folder {args.output} is a file, not a folder")
    check_suffix(args.suffix)
    for key, flag in (("sharpen_amount", "sharpen"), ("sharpen_radius", "sharpen_radius"),
                      ("sharpen_threshold", "sharpen_threshold"), ("contrast", "contrast"),
                      ("strength", "strength")):
        label = "--" + flag.replace("_", "-")
        value = getattr(args, flag)
        if not math.isfinite(value):
            raise ValueError(f"{label} must be a number, not {value}")
        check_range(key, value, label)
    if not 1 <= args.jpeg_quality <= 100:
        raise ValueError("--jpeg-quality must be from 1 to 100")
    if args.tile is not None and args.tile != 0 and not 64 <= args.tile <= 16384:
        raise ValueError("--tile must be 0 (whole photo) or from 64 to 16384 pixels")
    if not 0 <= args.overlap <= 1024:
        raise ValueError("--overlap must be from 0 to 1024 pixels")
    if args.fp32:                            # --fp32 is --precision fp32
        if args.precision not in (None, "fp32"):
            raise ValueError(f"--fp32 and --precision {args.precision} contradict each other")
        args.precision = "fp32"
    args.precision = args.precision or "auto"
    if args.method != "shake" and args.precision != "auto":
        from .engine.backend import check_precision
        check_precision(args.precision, args.device, args.backend)
    open_shake_engine(args)                  # shake options: checked here, before any work


class _Terminated(Exception):
    """SIGTERM, turned into an exception so the run ends like after Ctrl+C."""


def _on_sigterm(signum, frame):
    raise _Terminated()


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        check_args(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    from tqdm import tqdm

    from .batch import (BatchOptions, BatchRunner, FileResult, check_report_path,
                        collect_jobs, failed_inputs, summary_text, write_report)
    from .imaging.postprocess import PostSettings
    from .model import WeightsError

    def say(msg):
        if not args.quiet:
            tqdm.write(msg, file=sys.stderr)

    jobs, problems = collect_jobs(args.inputs, args.recursive, outdir=args.output)
    for p in problems:
        print(f"warning: {p}", file=sys.stderr)
    input_failures = failed_inputs(problems)
    if not jobs:
        print("error: no photos to process", file=sys.stderr)
        if input_failures and args.report:        # say which inputs failed, in the report too
            try:
                check_report_path(args.report, [Path(i) for i in args.inputs], [])
                write_report(args.report, input_failures)
            except (ValueError, OSError) as exc:
                print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED if input_failures else EXIT_USAGE
    post = PostSettings(sharpen_amount=args.sharpen, sharpen_radius=args.sharpen_radius,
                        sharpen_threshold=args.sharpen_threshold, contrast=args.contrast)
    existing = "skip" if args.skip_existing else "overwrite" if args.overwrite else "rename"
    options = BatchOptions(args.output, SCALES if args.scale == "all" else (args.scale,),
                           args.suffix, args.fmt, args.jpeg_quality, existing, post,
                           args.strength)
    inputs = [Path(i) for i in args.inputs]
    try:
        runner = BatchRunner(None, options)
        plans = runner.plan(jobs, inputs)
        if args.report:
            check_report_path(args.report, inputs, plans)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for plan in plans:
        for note in plan.notes:
            print(f"note: {note}", file=sys.stderr)
    try:
        runner.engine = open_shake_engine(args) or open_engine(
            args.weights, args.model, args.device, args.backend, args.tile, args.overlap,
            args.precision)
    except (WeightsError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    engine = runner.engine
    say(f"{engine.variant.title} ({engine.source}) on {engine.describe()}; {len(jobs)} photo(s) "
        f"-> {args.output}")
    bar = tqdm(total=len(jobs), unit="photo", disable=args.quiet, file=sys.stderr,
               dynamic_ncols=True)
    eta = Eta()
    state = {"file": ""}
    results: list[FileResult] = []

    def on_file(done, total, message):
        state["file"] = message
        bar.n = done
        bar.set_postfix_str(message[-40:], refresh=True)

    def on_tile(done, total, message):
        if total:   # shake estimation says which step (estimating, deconvolving) it is in
            what = message if args.method == "shake" else f"{done}/{total} tiles"
            bar.set_postfix_str(f"{state['file'][-30:]} {what}", refresh=True)
        elif message:  # one-time engine work, e.g. the first OpenVINO conversion
            say(message)

    def on_result(res):
        results.append(res)
        left = eta.update(len(results), len(jobs))
        if res.status == "failed":
            say(f"failed: {res.reason}")
        elif res.status == "done" and not args.quiet:
            say(f"done: {res.source} -> {', '.join(res.outputs)} ({res.seconds:.1f} s, "
                f"about {format_seconds(left)} left)")
        elif res.status == "skipped":
            say(f"skipped: {res.reason}")
        for n in res.notes:
            if n not in (p for plan in plans for p in plan.notes):
                say(f"note: {n}")
        if args.save_kernel and res.status == "done" and \
                getattr(runner.engine, "last_kernel", None) is not None:
            say(f"kernel: {save_kernel_next_to(res.outputs[0], runner.engine.last_kernel)}")

    interrupted = False
    # SIGTERM (a desktop logging out, `kill`) ends the run like Ctrl+C: report written
    own_sigterm = threading.current_thread() is threading.main_thread() and \
        signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    old_term = signal.signal(signal.SIGTERM, _on_sigterm) if own_sigterm else None
    try:
        runner.run(plans, on_file, on_tile, on_result)
    except (KeyboardInterrupt, _Terminated):
        runner.cancel()
        interrupted = True
    finally:
        if old_term is not None:
            signal.signal(signal.SIGTERM, old_term)
        bar.close()
    for plan in plans[len(results):]:
        results.append(FileResult(str(plan.job.source), "cancelled"))
    for note in runner.cleanup_notes:
        say(f"note: {note}")
    results = input_failures + results
    code = EXIT_OK
    if args.report:
        try:
            write_report(args.report, results, {"model": engine.variant.name,
                                                "weights": engine.source,
                                                "device": str(engine.device)})
        except OSError as exc:
            print(f"error: could not write the report {args.report}: "
                  f"{exc.strerror or exc}", file=sys.stderr)
            code = EXIT_FAILED
    print(("interrupted: " if interrupted else "") + summary_text(results), file=sys.stderr)
    for r in results:
        if r.status == "failed":
            print(f"  failed: {r.reason}", file=sys.stderr)
    if interrupted:
        return EXIT_INTERRUPTED
    if any(r.status in ("failed", "cancelled") for r in results):
        return EXIT_FAILED
    return code


if __name__ == "__main__":
    sys.exit(main())
