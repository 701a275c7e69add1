"""Everything slow runs here, off the UI thread: reading photos, the network, saving, batches.

A :class:`Task` is a plain callable run by a ``concurrent.futures`` thread pool; it reports
through Qt signals (delivered, queued, on the UI thread) and stops when its
:class:`~deblur_app.engine.CancelToken` is cancelled (the engine checks it before every tile).
Signals carry the task itself as first argument so the window can ignore stale ones.  Errors a
user can cause arrive as one readable message; anything else too, with the traceback printed
to the console instead of shown.
"""
from __future__ import annotations

import threading
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, Signal

from ..batch import BatchOptions, BatchRunner, FileResult, Job
import cv2

from ..engine import SCALES, CancelToken, Cancelled, Deblurrer
from ..engine.catalog import WeightsError, check_weights
from ..engine.methods import method_info
from ..engine.opening import open_method
from ..engine.progress import OneTotal, takes_tiles
from ..engine.scales import FACTORS as SCALE_FACTORS
from ..imaging.formats import is_raw
from ..imaging.io import (ImageReadError, ImageWriteError, Photo, read_photo, read_raw_preview,
                          write_photo)
from ..imaging.postprocess import finish
from ..imaging.record import record_for
from .document import DeblurOutcome, Region
from .look import Look, LookRenderer
from .pyramid import Pyramid, to_uint8

_USER_ERRORS = (WeightsError, ImageReadError, ImageWriteError, ValueError, OSError, KeyError)


class TaskSignals(QObject):
    progress = Signal(object, int, int, str)       # task, done, total (0: unknown), message
    finished = Signal(object, object)              # task, result
    failed = Signal(object, str)                   # task, message for the user
    cancelled = Signal(object)


class BatchSignals(TaskSignals):
    file_started = Signal(object, int)             # task, queue row
    file_result = Signal(object, int, object)      # task, queue row, FileResult
    tile_progress = Signal(object, int, int, str)  # task, tiles done, tiles total, message


class Task:
    """One piece of background work; call it on a worker thread."""
    signals_class = TaskSignals

    def __init__(self):
        self.signals = self.signals_class()
        self.token = CancelToken()
        self.done = threading.Event()

    def cancel(self) -> None:
        self.token.cancel()

    @property
    def cancelled(self) -> bool:
        return self.token.cancelled

    def work(self):
        raise NotImplementedError

    def emit(self, signal_name: str, *args) -> None:
        try:
            getattr(self.signals, signal_name).emit(self, *args)
        except RuntimeError:  # the receiving window is gone
            pass

    def progress(self, done: int, total: int, message: str = "") -> None:
        self.emit("progress", int(done), int(total), message)

    def __call__(self) -> None:
        try:
            self.token.check()
            result = self.work()
        except Cancelled:
            self.emit("cancelled")
        except MemoryError:
            self.emit("failed", "Not enough memory for this photo; try the lite model, a "
                                "smaller tile size or the CPU")
        except _USER_ERRORS as exc:
            self.emit("failed", str(exc) or type(exc).__name__)
        except Exception as exc:  # noqa: BLE001 - a worker must never die silently
            traceback.print_exc()
            self.emit("failed", f"Unexpected error: {type(exc).__name__}: {exc} (details were "
                                "printed to the console)")
        else:
            self.emit("finished", result)
        finally:
            self.done.set()


class Workers(QObject):
    """The window's thread pools: one for the network (one run at a time, so a GPU is never
    shared), one for files, one for the live preview."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.compute = ThreadPoolExecutor(1, "deblur-compute")
        self.files = ThreadPoolExecutor(2, "deblur-files")
        self.preview = ThreadPoolExecutor(1, "deblur-preview")
        self.active: set[Task] = set()

    def submit(self, pool: ThreadPoolExecutor, task: Task) -> Task:
        self.active.add(task)
        task.signals.finished.connect(self._forget)
        task.signals.failed.connect(self._forget)
        task.signals.cancelled.connect(self._forget)
        pool.submit(task)
        return task

    def _forget(self, task, *args) -> None:
        self.active.discard(task)

    def shutdown(self, wait: bool = False) -> None:
        for task in list(self.active):
            task.cancel()
        for pool in (self.compute, self.files, self.preview):
            pool.shutdown(wait=wait, cancel_futures=True)


# --------------------------------------------------------------------------------------------
# The network
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class EngineSpec:
    """Which network, where: everything needed to load a Deblurrer."""
    weights: str
    device: str = "auto"
    tile: int | None = None
    overlap: int = 64
    title: str = ""
    method: str = "network"               # or "shake": shake estimation (no weights), or
    #                                       "auto": judged per photo (the network's weights)
    kernel_size: int | None = None        # shake: None = auto
    detail: float | None = None           # shake: None = auto (from the noise)
    region: tuple[int, int, int, int] | None = None   # shake: where to estimate; None = auto
    precision: str = "auto"               # network: auto, fp32 or int8 (engine/backend.py)


class EngineProvider:
    """Keeps the last loaded network so that runs after the first start at once."""

    def __init__(self):
        self._lock = threading.Lock()
        self._spec: EngineSpec | None = None
        self._engine: Deblurrer | None = None
        self.runs = 0                      # how many times the network was run (tests)

    def get(self, spec: EngineSpec, progress: Callable[[int, int, str], None]) -> Deblurrer:
        with self._lock:
            if self._engine is None or self._spec != spec:
                self._engine = None
                if spec.method == "network":
                    progress(0, 0, f"Loading {spec.title or Path(spec.weights).name}…")
                self._engine = open_method(spec.method, weights=spec.weights or None,
                                           device=spec.device, tile=spec.tile,
                                           overlap=spec.overlap, kernel_size=spec.kernel_size,
                                           region=spec.region, detail=spec.detail,
                                           precision=spec.precision)
                self._spec = spec
            return self._engine

    @property
    def loaded(self) -> Deblurrer | None:
        """The network last loaded (what the current result was made with), or None."""
        return self._engine


class LoadSignals(TaskSignals):
    preview = Signal(object, object)               # task, (path, photo, pyramid) to show first


class LoadPhotoTask(Task):
    """Read a photo for the window.  A camera RAW takes seconds to develop: its embedded
    preview (or a half-size development) is sent first through ``preview``, for showing only."""
    signals_class = LoadSignals

    def __init__(self, path: Path):
        super().__init__()
        self.path = Path(path)

    def work(self) -> tuple[Path, Photo, Pyramid]:
        self.progress(0, 0, f"Opening {self.path.name}…")
        if is_raw(self.path):
            try:
                quick = read_raw_preview(self.path)
            except ImageReadError:
                pass                                # the full read says what is wrong
            else:
                self.token.check()
                self.emit("preview", (self.path, quick, Pyramid(quick.pixels, min_levels=3)))
                self.progress(0, 0, f"Developing {self.path.name}…")
        photo = read_photo(self.path)
        self.token.check()
        return self.path, photo, Pyramid(photo.pixels, min_levels=3)


class DeblurSignals(TaskSignals):
    canvas = Signal(object, object)                # task, {scale: Pyramid} to fill in
    tile = Signal(object, str, int, int, int, int, object)   # task, scale, y0, y1, x0, x1, uint8


class DeblurTask(Task):
    """Deblur the whole photo, or only ``region`` of it (the quick preview), at ``resolution``
    (a fraction of full size: a preview is computed at about screen resolution).  A whole-photo
    run hands out a canvas (the original, to be filled in) and then each finished tile."""
    signals_class = DeblurSignals

    def __init__(self, provider: EngineProvider, spec: EngineSpec, photo: Photo,
                 before: Pyramid, region: Region | None = None, document=None,
                 resolution: float = 1.0):
        super().__init__()
        self.provider, self.spec, self.photo, self.before = provider, spec, photo, before
        self.region = region
        self.resolution = min(1.0, float(resolution))
        self.document = document             # who asked (the window checks it is still open)
        self.expected_seconds: float | None = None  # from the engine's measured speed
        self.canvas: dict[str, Pyramid] | None = None
        self.pixels_run = 0                  # how many pixels went through the method (tests)
        self.progress_exact = True           # False: the engine's counts restart (no ETA)

    @property
    def whole(self) -> bool:
        return self.region is None

    def work(self) -> DeblurOutcome:
        engine = self.provider.get(self._spec_for_pixels(), self.progress)
        self.token.check()
        self.provider.runs += 1
        pixels = self.photo.pixels
        r = self.region
        if r is not None:
            pixels = pixels[r.y:r.y + r.height, r.x:r.x + r.width]
        if self.resolution < 1.0:
            h, w = pixels.shape[:2]
            size = (max(16, round(w * self.resolution)), max(16, round(h * self.resolution)))
            pixels = cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)
        self.pixels_run = pixels.shape[0] * pixels.shape[1]
        self.expected_seconds = engine.estimate_seconds(*pixels.shape[:2])
        extra = {}
        ref = (self.photo.width, self.photo.height)
        if r is None and takes_tiles(engine):
            self.canvas = {s: Pyramid(self.before.levels[min(SCALE_FACTORS[s].bit_length() - 1,
                                                             len(self.before.levels) - 1)]
                                      .copy(), ref) for s in SCALES}
            self.emit("canvas", self.canvas)
            extra["on_tile"] = self._tile
        self.progress_exact = bool(getattr(engine, "progress_total", False))
        restored = engine.run(pixels, SCALES,
                              progress=OneTotal(self.progress, self.progress_exact),
                              cancel=self.token, **extra)
        self.token.check()
        self.progress(0, 0, "Preparing the display…")
        if r is None:
            after = {s: Pyramid(restored.scale(s), ref) for s in SCALES}
        else:
            after = {}
            for s in SCALES:
                f = SCALE_FACTORS[s]
                level = self.before.level_for(self.resolution / f)
                x0, y0, x1, y1 = self.before.box_in_level(level, r.x, r.y, r.x + r.width,
                                                          r.y + r.height)
                out = restored.scale(s)
                if out.shape[:2] != (y1 - y0, x1 - x0):
                    out = cv2.resize(out, (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR)
                after[s] = Pyramid.pasted(self.before.levels[level], out, x0, y0, ref)
        info = method_info(self.spec.method)
        return DeblurOutcome(after, r, restored if r is None else None,
                             model_title=engine.variant.title,
                             device=engine.describe() if restored.device == engine.device
                             else restored.device,
                             seconds=restored.seconds, notes=list(restored.notes),
                             kernel=restored.kernel, method=info.name,
                             label=result_label(self.spec, engine, restored),
                             resolution=self.resolution, engine=engine)

    def _tile(self, scale: str, y0: int, y1: int, x0: int, x1: int, pixels) -> None:
        self.emit("tile", scale, y0, y1, x0, x1, to_uint8(pixels))

    def _spec_for_pixels(self) -> EngineSpec:
        """The spec, with a shake region moved into the previewed part's own pixels (and
        scale), or left to the method when it lies outside the part."""
        spec, r, f = self.spec, self.region, self.resolution
        if spec.kernel_size is not None and f < 1:      # the blur is smaller at that size
            spec = replace(spec, kernel_size=max(3, int(spec.kernel_size * f)) | 1)
        if spec.region is None or r is None:
            return spec
        x, y, w, h = spec.region
        x0, y0 = max(x, r.x), max(y, r.y)
        x1, y1 = min(x + w, r.x + r.width), min(y + h, r.y + r.height)
        inside = tuple(int(v * f) for v in (x0 - r.x, y0 - r.y, x1 - x0, y1 - y0))
        return replace(spec, region=inside if min(inside[2:]) >= 32 else None)


def result_label(spec: EngineSpec, engine, restored) -> str:
    """What made a result, in words: the method and its settings (the after view's label)."""
    info = method_info(spec.method)
    if spec.method == "shake":
        kernel = getattr(restored, "kernel", None)
        if kernel is None:
            return f"{info.short}: no clear shake found, photo unchanged"
        size = f"kernel {kernel.shape[0]} px" + (" (auto)" if spec.kernel_size is None else "")
        detail = "detail auto" if spec.detail is None else f"detail {spec.detail:.2f}"
        region = " · your region" if spec.region is not None else ""
        return f"{info.short} · {size} · {detail}{region}"
    return f"{info.short} · {engine.variant.title}"


class ValidateWeightsTask(Task):
    """Check that a weights file the user picked can be loaded (and say what it is)."""

    def __init__(self, path: Path):
        super().__init__()
        self.path = Path(path)

    def work(self):
        return check_weights(self.path)


class SaveTask(Task):
    """Finish the full-resolution result with the current look and write it atomically."""

    def __init__(self, target: Path, photo: Photo, output, look: Look, fmt: str,
                 jpeg_quality: int = 95, engine=None, kernel=None):
        super().__init__()
        self.kernel = kernel                 # shake estimation's kernel (for the record)
        self.target, self.photo, self.output, self.look = Path(target), photo, output, look
        self.fmt, self.jpeg_quality = fmt, jpeg_quality
        self.engine = engine                 # for the processing record (None: no record)

    def work(self) -> Path:
        self.progress(0, 0, f"Saving {self.target.name}…")
        pixels = finish(self.photo.pixels, self.output, self.look.strength, self.look.post)
        self.token.check()
        record = None if self.engine is None else record_for(
            self.engine, self.look.scale, self.look.post, self.look.strength,
            kernel=self.kernel)
        return write_photo(self.target, pixels, like=self.photo, fmt=self.fmt,
                           jpeg_quality=self.jpeg_quality, record=record)


class RenderLookTask(Task):
    """The live preview of the look for the visible part of one pyramid level."""

    def __init__(self, renderer: LookRenderer, before: Pyramid, after: Pyramid, level: int,
                 rect: tuple[int, int, int, int], look: Look, generation: int,
                 latest: Callable[[], int], allow_approx: bool = True):
        super().__init__()
        self.renderer, self.before, self.after = renderer, before, after
        self.level, self.rect, self.look = level, rect, look
        self.generation, self.latest = generation, latest
        self.allow_approx = allow_approx
        self.exact = False

    def work(self):
        if self.generation != self.latest():
            raise Cancelled()                # a newer request is queued: skip this one
        pixels, self.exact = self.renderer.render(self.before, self.after, self.level, self.rect,
                                                  self.look, self.allow_approx)
        return pixels


# --------------------------------------------------------------------------------------------
# Batches
# --------------------------------------------------------------------------------------------

class BatchTask(Task):
    """One batch: the jobs (each with its output folder) of the queue's ``rows``, one runner."""
    signals_class = BatchSignals

    def __init__(self, provider: EngineProvider, spec: EngineSpec, jobs: list[Job],
                 rows: list[int], options: BatchOptions):
        super().__init__()
        self.provider, self.spec, self.jobs, self.rows = provider, spec, jobs, rows
        self.options = options
        self.total = len(jobs)
        self._lock = threading.Lock()
        self._runner: BatchRunner | None = None
        self._paused = False

    # controls, from the UI thread
    def cancel(self) -> None:
        super().cancel()
        with self._lock:
            if self._runner:
                self._runner.cancel()

    def pause(self) -> None:
        with self._lock:
            self._paused = True
            if self._runner:
                self._runner.pause()

    def resume(self) -> None:
        with self._lock:
            self._paused = False
            if self._runner:
                self._runner.resume()

    @property
    def paused(self) -> bool:
        return self._paused

    def work(self) -> list[FileResult]:
        engine = self.provider.get(self.spec, self.progress)
        runner = BatchRunner(engine, self.options)
        with self._lock:
            self._runner = runner
            if self.token.cancelled:
                runner.cancel()
            elif self._paused:
                runner.pause()
        results: list[FileResult] = []

        def on_start(index, job):
            self.emit("file_started", self.rows[index])

        def on_tile(done, total, message):
            self.emit("tile_progress", done, total, message)

        def on_result(res):
            row = self.rows[len(results)]
            results.append(res)
            self.emit("file_result", row, res)
            self.progress(len(results), self.total, Path(res.source).name)

        self.provider.runs += 1
        runner.run(runner.plan(self.jobs), tile_progress=on_tile, on_result=on_result,
                   on_start=on_start)
        with self._lock:
            self._runner = None
        return results
