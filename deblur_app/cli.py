"""The ``deblur`` command: deblur photos and folders without a window.

    deblur shaky.jpg wedding/ -o out/ --recursive --scale fine --sharpen 0.3
"""
from __future__ import annotations

import argparse
import importlib
import importlib.util
import math
import os
import re
import signal
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

from . import __version__

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
_FLAGS = re.ASCII | re.IGNORECASE
_INT = re.compile(r"\s*[+-]?[0-9]+\s*", _FLAGS)
_FLOAT = re.compile(r"\s*[+-]?(([0-9]+(\.[0-9]*)?|\.[0-9]+)(e[+-]?[0-9]+)?|inf|infinity|nan)\s*",
                    _FLAGS)
_REGION = re.compile(r"\s*[0-9]+\s*(,\s*[0-9]+\s*){3}", _FLAGS)
_DEVICE = re.compile(r"auto|cpu|mps|cuda(:[0-9]+)?|intel-gpu(:[0-9]+)?|gpu(:[0-9]+)?", _FLAGS)


# -- stopping: the one place where SIGINT and SIGTERM become a clean stop ----------------------
class Interrupted(KeyboardInterrupt):
    """Ctrl+C (SIGINT) or SIGTERM: the command stops like after Ctrl+C, writing its report and
    exiting with 130.  A KeyboardInterrupt, not an Exception, so that no ``except Exception``
    on the way (a decoder's, an encoder's) can take it for a damaged photo and go on."""


class _Stop:
    signal: int | None = None       # the first stop signal received
    finishing = False               # stopping already: further signals are only counted
    deferred = 0                    # inside stop_deferred(): the stop waits for its end
    cancel = None                   # the running batch's cancel, called at once


def _on_stop_signal(signum, frame):
    if _Stop.signal is None:
        _Stop.signal = signum
    if _Stop.cancel is not None:
        _Stop.cancel()              # even if a library swallowed the exception, no new photo
    if not _Stop.finishing and not _Stop.deferred:
        raise Interrupted(signal.Signals(signum).name)


@contextmanager
def stop_deferred():
    """A stop signal received inside takes effect at its end (for work that must not be cut
    half way, such as importing a library: a C extension interrupted while it initialises
    cannot be imported again, and fails with some other error)."""
    _Stop.deferred += 1
    try:
        yield
    finally:
        _Stop.deferred -= 1
    if _Stop.signal is not None and not _Stop.deferred and not _Stop.finishing:
        raise Interrupted(signal.Signals(_Stop.signal).name)


# the libraries the command needs, imported first, whole, before anything else happens
LIBRARIES = ["numpy", "PIL.Image", "cv2", "exiv2", "tifffile", "pillow_heif", "tqdm", "torch",
             "scipy.fft", "deblur_app.engine", "deblur_app.model", "deblur_app.imaging.io",
             "deblur_app.batch.runner", "deblur_app.shake"]
OPTIONAL_LIBRARIES = ["openvino"]


def load_libraries() -> None:
    """Import :data:`LIBRARIES` (and the optional ones that are installed), a stop waiting
    until they are in."""
    with stop_deferred():
        for name in LIBRARIES:
            importlib.import_module(name)
        for name in OPTIONAL_LIBRARIES:
            if importlib.util.find_spec(name) is not None:
                importlib.import_module(name)


@contextmanager
def stop_signals():
    """While inside, SIGINT and SIGTERM raise :class:`Interrupted` (main thread only; a signal
    the caller ignores stays ignored)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _Stop.signal, _Stop.finishing, _Stop.cancel, _Stop.deferred = None, False, None, 0
    old = {}
    try:
        for sig in (signal.SIGINT, signal.SIGTERM):
            if signal.getsignal(sig) != signal.SIG_IGN:    # ignored on purpose (nohup, &)
                old[sig] = signal.signal(sig, _on_stop_signal)
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
        _Stop.cancel = None


def open_engine(*args, **kwargs):
    """:func:`deblur_app.engine.open_engine`, imported when first needed (the network's
    libraries take seconds to load: the command stops cleanly meanwhile)."""
    from .engine import open_engine as _open_engine
    return _open_engine(*args, **kwargs)


# -- options -----------------------------------------------------------------------------------
def strict_int(text: str) -> int:
    """A whole number in plain ASCII digits (no ``1_0``, no full-width digits)."""
    if not _INT.fullmatch(text):
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}")
    return int(text)


def strict_float(text: str) -> float:
    """A number in plain ASCII (``0.5``, ``1e-3``; no ``1_0``, no full-width digits); nan and
    inf pass here and are refused with the option's range."""
    if not _FLOAT.fullmatch(text):
        raise argparse.ArgumentTypeError(f"not a number: {text!r}")
    return float(text)


def build_parser() -> argparse.ArgumentParser:
    from .engine.backend import PRECISIONS
    from .engine.scales import SCALES
    from .imaging.postprocess import LIMITS
    from .model import VARIANTS
    ap = argparse.ArgumentParser(
        prog="deblur", description="Remove camera shake and motion blur from photos "
        "(MIMO-UNet). Originals are never modified.")
    ap.add_argument("inputs", nargs="*", metavar="INPUT", help="photos and/or folders")
    ap.add_argument("-o", "--output", default=None, metavar="OUTDIR",
                    help="output folder (folder structure is mirrored below it; required "
                         "unless --triage)")
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
    ap.add_argument("--tile", type=strict_int, default=None,
                    help="tile size in pixels (0 = whole image; default depends on device)")
    ap.add_argument("--overlap", type=strict_int, default=64, help="tile overlap in pixels")
    ap.add_argument("--precision", choices=PRECISIONS, default=None,
                    help="auto (default: float16 on GPUs, bfloat16 on CPUs that have it "
                         "natively), fp32, bf16 (CPUs), fp16 (GPUs) or int8 (OpenVINO on the "
                         "CPU: faster than bf16 where the CPU has VNNI or AMX, a little less "
                         "exact; the network is quantised once per weights file, about a "
                         "minute)")
    ap.add_argument("--fp32", action="store_true",
                    help="float32 on every device and backend (slower): --precision fp32")
    ap.add_argument("--strength", type=strict_float, default=1.0,
                    help="blend with the original: 0 = original, 1 = fully deblurred "
                         "(default 1)")
    ap.add_argument("--sharpen", type=strict_float, default=0.0, metavar="AMOUNT",
                    help="unsharp-mask amount after deblurring, %s..%s (0 = off)"
                    % LIMITS["sharpen_amount"])
    ap.add_argument("--sharpen-radius", type=strict_float, default=1.5, metavar="PX",
                    help="sharpening radius in pixels, %s..%s" % LIMITS["sharpen_radius"])
    ap.add_argument("--sharpen-threshold", type=strict_float, default=0.0, metavar="T",
                    help="leave detail weaker than T (0..%.3f of full scale) unsharpened"
                    % LIMITS["sharpen_threshold"][1])
    ap.add_argument("--contrast", type=strict_float, default=0.0, metavar="AMOUNT",
                    help="local contrast amount 0..1 (0 = off)")
    ap.add_argument("--suffix", default="_deblurred",
                    help="added to output names (no / or \\: results stay in OUTDIR)")
    ap.add_argument("--format", dest="fmt",
                    choices=["same", "png", "jpg", "tif", "webp", "heic", "avif"],
                    default="same", help="same: the photo's own format (a camera RAW: 16-bit TIFF)")
    ap.add_argument("--jpeg-quality", type=strict_int, default=95, help="1..100 (default 95)")
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
    sh = ap.add_argument_group("method (auto, network, shake estimation) and triage")
    sh.add_argument("--method", choices=["auto", "network", "shake"], default="auto",
                    help="auto (default): judge each photo's blur and choose: leave a sharp "
                         "photo unchanged, shake estimation for a camera shake found with "
                         "confidence, else the network (only its fine detail: it shifts tones); "
                         "network: MIMO-UNet; shake: estimate the camera-shake kernel of each "
                         "photo and deconvolve it")
    sh.add_argument("--triage", nargs="+", default=None, metavar="FOLDER",
                    help="no deblurring: judge the blur of each photo (sharp, camera shake "
                         "with its size and direction, motion or defocus, unclear) and print a "
                         "table (--report FILE.json: also as JSON)")
    sh.add_argument("--sort", choices=["name", "blur", "kind"], default="blur",
                    help="triage order: blur (blurriest first, default), kind, name")
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
    """The shake engine when --method shake or auto (options checked: ValueError if bad), else
    None."""
    if args.method not in ("shake", "auto"):
        return None
    from .shake import open_shake
    return open_shake(args.kernel_size, args.region, args.detail)


def open_method(args):
    """The engine of --method: the network, shake estimation, or Auto over both."""
    shake = open_shake_engine(args)
    if args.method == "shake":
        return shake
    network = open_engine(args.weights, args.model, args.device, args.backend, args.tile,
                          args.overlap, args.precision)
    if args.method == "network":
        return network
    from .engine.auto import AutoDeblurrer
    return AutoDeblurrer(network, shake)


def check_args(args) -> None:
    """Refuse impossible options before any work (ValueError with the reason)."""
    from .batch.naming import check_suffix
    from .imaging.postprocess import check_range
    if args.triage:
        if args.inputs or args.output is not None:
            raise ValueError("--triage only judges photos: give the folders after --triage, "
                             "without -o or other inputs")
        return
    if not args.inputs:
        raise ValueError("name at least one photo or folder to deblur")
    if args.output is None:
        raise ValueError("the output folder (-o OUTDIR) is required")
    if not str(args.output).strip():
        raise ValueError("the output folder (-o) is empty")
    args.output = Path(args.output)
    if args.output.is_symlink() and not args.output.exists():
        raise ValueError(f"the output folder {args.output} is a symbolic link to nothing "
                         f"({os.readlink(args.output)}): create that folder or choose another")
    if args.output.exists() and not args.output.is_dir():
        raise ValueError(f"the output folder {args.output} is a file, not a folder")
    if not _DEVICE.fullmatch(args.device.strip()):
        raise ValueError(f"--device must be auto, cpu, cuda, cuda:N, mps or intel-gpu[:N], "
                         f"not {args.device!r}")
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
    check_shake_options(args)


def check_shake_options(args) -> None:
    """The shake options are checked whatever the method (a typo is said even when they do
    not apply); they are refused with --method network, and the network's with --method
    shake (Auto uses both)."""
    from .shake import open_shake
    if str(args.kernel_size).strip().lower() != "auto" and not _INT.fullmatch(args.kernel_size):
        raise ValueError(f"--kernel-size: kernel size must be a whole number or auto, got "
                         f"{args.kernel_size!r}")
    if str(args.detail).strip().lower() != "auto" and not _FLOAT.fullmatch(args.detail):
        raise ValueError(f"--detail: detail must be a number from 0 to 1 or auto, got "
                         f"{args.detail!r}")
    if args.region is not None and not _REGION.fullmatch(args.region):
        raise ValueError(f"--region: region must be X,Y,W,H in whole pixels, got {args.region!r}")
    try:
        open_shake(args.kernel_size, args.region, args.detail)
    except ValueError as exc:
        raise ValueError(f"shake estimation: {exc}") from None
    if args.method == "network":
        given = [flag for flag, value in (
            ("--kernel-size", str(args.kernel_size).strip().lower() != "auto"),
            ("--region", args.region is not None),
            ("--detail", str(args.detail).strip().lower() != "auto"),
            ("--save-kernel", args.save_kernel)) if value]
        if given:
            raise ValueError(f"{', '.join(given)} only apply to --method shake or auto")
    elif args.method == "shake":
        given = [flag for flag, value in (("--weights", args.weights is not None),
                                          ("--model", args.model is not None)) if value]
        if given:
            raise ValueError(f"{' and '.join(given)} choose the network's weights: they do not "
                             "apply to --method shake")


class _Run:
    """What a run has got to, so that a stop at any moment still ends with its report."""

    def __init__(self, argv=None):
        self.argv = list(sys.argv[1:] if argv is None else argv)
        self.args = None
        self.inputs: list[Path] = []
        self.report_ok = False           # the report path was checked
        self.report_id = None            # what was at the report path when checked
        self.plans: list = []
        self.results: list = []
        self.input_failures: list = []
        self.engine = None
        self.runner = None

    def write_report(self, results) -> int:
        """Write the report if asked and checked; EXIT_OK, or EXIT_FAILED if it failed."""
        args = self.args or self._light_args()
        if args is None or not args.report or not self.report_ok:
            return EXIT_OK
        from .batch.report import write_report
        engine = self.engine
        network = getattr(engine, "network", engine)        # Auto: the network it may use
        extra = {"method": getattr(args, "method", "")} if engine is None else {
            "method": getattr(args, "method", ""),
            "model": getattr(getattr(network, "variant", None), "name", ""),
            "weights": str(getattr(network, "source", "")), "device": str(engine.device)}
        try:
            where = write_report(args.report, results, extra, replace=self.report_id)
        except OSError as exc:
            print(f"error: could not write the report {args.report}: "
                  f"{exc.strerror or exc}", file=sys.stderr)
            return EXIT_FAILED
        if where != args.report:
            print(f"note: {args.report} was taken during the run by another file (kept): "
                  f"the report is {where}", file=sys.stderr)
        return EXIT_OK

    def _light_args(self):
        """The inputs and the report of the command line, read without the full parser (which
        needs the network's libraries): for a stop that came before they were loaded."""
        light = argparse.ArgumentParser(add_help=False)
        light.add_argument("inputs", nargs="*")
        light.add_argument("-o", "--output")
        light.add_argument("--report", type=Path)
        try:
            args, _ = light.parse_known_args(self.argv)
        except SystemExit:
            return None
        return args if args.inputs else None

    def stopped(self) -> int:
        """The end after Ctrl+C or SIGTERM, wherever it came: every photo not finished is
        cancelled, the report written (once its path was checked), exit 130."""
        _Stop.finishing = True
        if self.runner is not None:
            self.runner.cancel()
        from .batch.results import FileResult, summary_text
        results = list(self.results)
        args = self.args or self._light_args()
        if self.plans:
            results += [FileResult(str(p.job.source), "cancelled")
                        for p in self.plans[len(self.results):]]
        elif args is not None and not results:
            results = [FileResult(str(i), "cancelled") for i in args.inputs]
        results = self.input_failures + results
        if args is not None and args.report and not self.report_ok:
            # stopped before the report was checked (while the libraries loaded, say): the
            # same check, against the photos named and whatever was planned so far
            from .batch.report import check_report_path, report_identity
            try:
                check_report_path(Path(args.report), [Path(i) for i in args.inputs],
                                  self.plans)
                self.report_ok, self.report_id = True, report_identity(Path(args.report))
            except (ValueError, OSError):
                pass
        self.write_report(results)
        print("interrupted: " + summary_text(results), file=sys.stderr)
        return EXIT_INTERRUPTED


def main(argv=None) -> int:
    """The ``deblur`` command; SIGINT and SIGTERM stop it cleanly from its first line on."""
    run = _Run(argv)
    with stop_signals():
        try:
            return _main(argv, run)
        except KeyboardInterrupt:          # Interrupted, or Ctrl+C before the handler
            return run.stopped()


def _main(argv, run: _Run) -> int:
    load_libraries()
    args = build_parser().parse_args(argv)
    run.args = args
    try:
        check_args(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.triage:
        from .batch.triage import triage_main
        return triage_main(args)
    from tqdm import tqdm

    from .batch import (BatchOptions, BatchRunner, check_report_path, collect_jobs,
                        failed_inputs, summary_text)
    from .batch.report import report_identity
    from .batch.scan import RESULT_FOUND
    from .engine.progress import Eta, format_seconds
    from .engine.scales import SCALES
    from .imaging.postprocess import PostSettings
    from .model import WeightsError

    def say(msg):
        if not args.quiet:
            tqdm.write(msg, file=sys.stderr)

    inputs = [Path(i) for i in args.inputs]
    run.inputs = inputs
    jobs, problems = collect_jobs(args.inputs, args.recursive, outdir=args.output)
    results_found = [p for p in problems if p.reason.startswith(RESULT_FOUND)]
    for p in problems:
        if p not in results_found or len(results_found) <= 3:
            print(f"warning: {p}", file=sys.stderr)
    if len(results_found) > 3:
        print(f"note: {len(results_found)} results of Deblur Studio left out (they carry its "
              f"processing record: not new photos), e.g. {results_found[0].path}",
              file=sys.stderr)
    input_failures = failed_inputs(problems)
    if not jobs:
        print("error: no photos to process", file=sys.stderr)
        if input_failures and args.report:        # say which inputs failed, in the report too
            try:
                check_report_path(args.report, inputs, [])
                run.report_ok, run.report_id = True, report_identity(args.report)
            except ValueError as exc:
                print(f"error: {exc}", file=sys.stderr)
            run.write_report(input_failures)
        return EXIT_FAILED if input_failures else EXIT_USAGE
    post = PostSettings(sharpen_amount=args.sharpen, sharpen_radius=args.sharpen_radius,
                        sharpen_threshold=args.sharpen_threshold, contrast=args.contrast)
    existing = "skip" if args.skip_existing else "overwrite" if args.overwrite else "rename"
    options = BatchOptions(args.output, SCALES if args.scale == "all" else (args.scale,),
                           args.suffix, args.fmt, args.jpeg_quality, existing, post,
                           args.strength, save_kernel=args.save_kernel)
    try:
        runner = BatchRunner(None, options)
        plans = runner.plan(jobs, inputs)
        if args.report:
            check_report_path(args.report, inputs, plans)
            run.report_ok, run.report_id = True, report_identity(args.report)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    run.plans, run.input_failures = plans, input_failures
    for plan in plans:
        for note in plan.notes:
            print(f"note: {note}", file=sys.stderr)
    try:
        runner.engine = open_method(args)
    except (WeightsError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    engine = run.engine = runner.engine
    run.runner = runner
    _Stop.cancel = runner.cancel
    say(f"{engine.variant.title} ({engine.source}) on {engine.describe()}; {len(jobs)} photo(s) "
        f"-> {args.output}")
    bar = tqdm(total=len(jobs), unit="photo", disable=args.quiet, file=sys.stderr,
               dynamic_ncols=True)
    eta = Eta()
    state = {"file": ""}
    results = run.results
    planned_notes = {n for plan in plans for n in plan.notes}

    def on_file(done, total, message):
        state["file"] = message
        bar.n = done
        bar.set_postfix_str(message[-40:], refresh=True)

    def on_tile(done, total, message):
        if total:   # shake estimation says which step (estimating, deconvolving) it is in
            what = message if args.method != "network" else f"{done}/{total} tiles"
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
            if n not in planned_notes:
                say(f"note: {n}")
        if res.kernel:
            say(f"kernel: {res.kernel}")

    try:
        runner.run(plans, on_file, on_tile, on_result)
    finally:
        bar.close()
    if _Stop.signal is not None:           # a stop that some library held back
        raise Interrupted(signal.Signals(_Stop.signal).name)
    for note in runner.cleanup_notes:
        say(f"note: {note}")
    results = input_failures + results
    code = run.write_report(results)
    print(summary_text(results), file=sys.stderr)
    for r in results:
        if r.status == "failed":
            print(f"  failed: {r.reason}", file=sys.stderr)
    if any(r.status in ("failed", "cancelled") for r in results):
        return EXIT_FAILED
    return code


if __name__ == "__main__":
    sys.exit(main())
