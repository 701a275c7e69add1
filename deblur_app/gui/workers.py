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
from ..engine import SCALES, CancelToken, Cancelled, Deblurrer, open_engine
from ..engine.scales import FACTORS as SCALE_FACTORS
from ..imaging.formats import is_raw
from ..imaging.io import (ImageReadError, ImageWriteError, Photo, read_photo, read_raw_preview,
                          write_photo)
from ..imaging.postprocess import finish
from ..imaging.record import record_for
from ..model import WeightsError, load_model
from ..shake import open_shake
from .document import DeblurOutcome, Region
from .look import Look, LookRenderer
from .pyramid import Pyramid

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
    method: str = "network"               # or "shake": shake estimation (no weights)
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
                if spec.method == "shake":
                    self._engine = open_shake(spec.kernel_size, spec.region, spec.detail)
                else:
                    progress(0, 0, f"Loading {spec.title or Path(spec.weights).name}…")
                    self._engine = open_engine(spec.weights, None, spec.device, "auto",
                                               spec.tile, spec.overlap, spec.precision)
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


class DeblurTask(Task):
    """Deblur the whole photo, or only ``region`` of it (the quick preview)."""

    def __init__(self, provider: EngineProvider, spec: EngineSpec, photo: Photo,
                 before: Pyramid, region: Region | None = None, document=None):
        super().__init__()
        self.provider, self.spec, self.photo, self.before = provider, spec, photo, before
        self.region = region
        self.document = document             # who asked (the window checks it is still open)
        self.expected_seconds: float | None = None  # from the engine's measured speed

    def work(self) -> DeblurOutcome:
        engine = self.provider.get(self._spec_for_pixels(), self.progress)
        self.token.check()
        self.provider.runs += 1
        pixels = self.photo.pixels
        r = self.region
        if r is not None:
            pixels = pixels[r.y:r.y + r.height, r.x:r.x + r.width]
        self.expected_seconds = engine.estimate_seconds(*pixels.shape[:2])
        restored = engine.run(pixels, SCALES, progress=self.progress, cancel=self.token)
        self.token.check()
        self.progress(0, 0, "Preparing the display…")
        ref = (self.photo.width, self.photo.height)
        if r is None:
            after = {s: Pyramid(restored.scale(s), ref) for s in SCALES}
        else:
            after = {}
            for s in SCALES:
                f = SCALE_FACTORS[s]
                k = f.bit_length() - 1
                base = self.before.levels[min(k, len(self.before.levels) - 1)]
                after[s] = Pyramid.pasted(base, restored.scale(s), r.x // f, r.y // f, ref)
        return DeblurOutcome(after, r, restored if r is None else None,
                             model_title=engine.variant.title,
                             device=engine.describe() if restored.device == engine.device
                             else restored.device,
                             seconds=restored.seconds, notes=list(restored.notes),
                             kernel=restored.kernel)

    def _spec_for_pixels(self) -> EngineSpec:
        """The spec, with a shake region moved into the previewed part's own pixels (or left
        to the method when it lies outside the part)."""
        spec, r = self.spec, self.region
        if spec.region is None or r is None:
            return spec
        x, y, w, h = spec.region
        x0, y0 = max(x, r.x), max(y, r.y)
        x1, y1 = min(x + w, r.x + r.width), min(y + h, r.y + r.height)
        inside = (x0 - r.x, y0 - r.y, x1 - x0, y1 - y0) if x1 - x0 >= 32 and y1 - y0 >= 32 \
            else None
        return replace(spec, region=inside)


class ValidateWeightsTask(Task):
    """Check that a weights file the user picked can be loaded (and say what it is)."""

    def __init__(self, path: Path):
        super().__init__()
        self.path = Path(path)

    def work(self):
        _, variant = load_model(self.path)
        return variant


class SaveTask(Task):
    """Finish the full-resolution result with the current look and write it atomically."""

    def __init__(self, target: Path, photo: Photo, output, look: Look, fmt: str,
                 jpeg_quality: int = 95, engine=None):
        super().__init__()
        self.target, self.photo, self.output, self.look = Path(target), photo, output, look
        self.fmt, self.jpeg_quality = fmt, jpeg_quality
        self.engine = engine                 # for the processing record (None: no record)

    def work(self) -> Path:
        self.progress(0, 0, f"Saving {self.target.name}…")
        pixels = finish(self.photo.pixels, self.output, self.look.strength, self.look.post)
        self.token.check()
        record = None if self.engine is None else record_for(
            self.engine, self.look.scale, self.look.post, self.look.strength)
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
