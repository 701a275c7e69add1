"""Running a list of photos through a restoration engine: read, restore, finish, write.

Every output name is planned before the first photo (:func:`.naming.plan_outputs`), so no
result lands on a photo, on another result or on a file that was there before.  A bad photo is
reported and skipped, never stops the batch; originals are never written to; outputs are
written atomically, so a cancelled batch leaves no half-written file, and temporary files left
by a killed earlier run are removed from each output folder before the first write there.

Progress: ``progress(files_done, files_total, message)`` for the batch and
``tile_progress(done, total, message)`` inside the current photo; ``on_result`` is called with
each :class:`FileResult` as soon as it is known, ``on_start(index, job)`` when a photo begins.
The engine is anything with ``run(pixels, scales, progress, cancel)`` returning the engine's
``Restored`` (the network or shake estimation alike).
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..atomic import remove_stale_temporaries
from ..engine import CancelToken, Cancelled
from ..engine.progress import Progress, no_progress
from ..engine.scales import SCALES
from ..imaging.completeness import is_complete
from ..imaging.io import ImageReadError, read_photo, write_photo
from ..imaging.postprocess import PostSettings, check_strength, finish
from ..imaging.record import read_record, record_for
from .memory import release_freed_memory
from .naming import (DEFAULT_SUFFIX, EXISTING_POLICIES, MAX_NUMBER, PlannedJob, _exists,
                     check_suffix, numbered, output_format, plan_outputs)
from .results import (FileResult, auto_summary, failed_inputs, summarize,  # noqa: F401
                      summary_text)
from .scan import Job, path_key

JPEG_QUALITY_RANGE = (1, 100)


@dataclass
class BatchOptions:
    outdir: Path | None = None         # the run's output folder; None: each job's own
    scales: tuple[str, ...] = ("fine",)
    suffix: str = DEFAULT_SUFFIX
    fmt: str = "same"                  # same | png | jpg | tif (the output format)
    jpeg_quality: int = 95
    existing: str = "rename"           # rename | skip | overwrite (see batch.naming)
    post: PostSettings = field(default_factory=PostSettings)
    strength: float = 1.0              # blend with the original: 0 = original, 1 = restored
    save_kernel: bool = False          # also write each photo's estimated kernel (shake)

    def check(self) -> "BatchOptions":
        """Itself, if every option is valid (else ValueError naming the option)."""
        if not self.scales or any(s not in SCALES for s in self.scales):
            raise ValueError(f"scales must be among {SCALES}")
        check_suffix(self.suffix)
        output_format(Path("x.jpg"), self.fmt)
        lo, hi = JPEG_QUALITY_RANGE
        if not (isinstance(self.jpeg_quality, int) and lo <= self.jpeg_quality <= hi):
            raise ValueError(f"JPEG quality must be a whole number from {lo} to {hi}")
        if self.existing not in EXISTING_POLICIES:
            raise ValueError(f"existing must be one of {EXISTING_POLICIES}")
        self.post.check()
        check_strength(self.strength)
        if self.outdir is not None and str(self.outdir) == "":
            raise ValueError("the output folder is empty")
        return self


def is_own_result(path: Path) -> bool:
    """Whether ``path`` was written by Deblur Studio (it carries our processing record)."""
    return read_record(path) is not None


class BatchRunner:
    def __init__(self, engine, options: BatchOptions):
        self.engine = engine
        self.options = options.check()
        self.cancel_token = CancelToken()
        self._running = threading.Event()
        self._running.set()
        self._cleaned: set[Path] = set()
        self._planned: set[str] = set()    # keys of every file the run plans to write
        self.cleanup_notes: list[str] = []

    # controls, safe to call from another thread
    def cancel(self) -> None:
        self.cancel_token.cancel()
        self._running.set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def plan(self, jobs: list[Job], inputs: list[Path] | None = None) -> list[PlannedJob]:
        opt = self.options
        return plan_outputs(jobs, opt.outdir, opt.scales, opt.suffix, opt.fmt, opt.existing,
                            is_complete, is_own_result, inputs, opt.save_kernel)

    def run(self, jobs: list[Job] | list[PlannedJob], progress: Progress = no_progress,
            tile_progress: Progress = no_progress,
            on_result: Callable[[FileResult], None] | None = None,
            on_start: Callable[[int, Job], None] | None = None) -> list[FileResult]:
        plans = jobs if all(isinstance(j, PlannedJob) for j in jobs) else self.plan(list(jobs))
        self._planned = {path_key(t) for plan in plans for t in plan.files()}
        results: list[FileResult] = []
        total = len(plans)
        for i, plan in enumerate(plans):
            self._running.wait()
            job = plan.job
            if self.cancel_token.cancelled:
                res = FileResult(str(job.source), "cancelled")
            else:
                progress(i, total, f"{job.source.name}")
                if on_start:
                    on_start(i, job)
                res = self.process(plan, tile_progress)
            results.append(res)
            if on_result:
                on_result(res)
            progress(i + 1, total, f"{job.source.name}: {res.status}")
        return results

    def process(self, plan: PlannedJob, tile_progress: Progress = no_progress) -> FileResult:
        opt = self.options
        job = plan.job
        notes = list(plan.notes)
        if plan.skip:
            return FileResult(str(job.source), "skipped", [str(t) for t in plan.targets.values()],
                              "complete results are already there: "
                              + ", ".join(str(t) for t in plan.targets.values()), notes=notes)
        t0 = time.perf_counter()
        try:
            photo = read_photo(job.source)
            notes += photo.notes
            restored = self.engine.run(photo.pixels, opt.scales, tile_progress, self.cancel_token)
            notes += restored.notes
            fmt, _ = output_format(job.source, opt.fmt)
            written = []
            for scale, target in plan.targets.items():
                if str(target) in plan.keep:          # a complete result of the run resumed
                    written.append(str(target))
                    continue
                pixels = finish(photo.pixels, restored.scale(scale), opt.strength, opt.post)
                record = record_for(self.engine, scale, opt.post, opt.strength)
                self._prepare_folder(target.parent)
                done = self._write(plan, target, notes, lambda path, replace: write_photo(
                    path, pixels, like=photo, fmt=fmt, jpeg_quality=opt.jpeg_quality,
                    record=record, notes=notes, replace=replace))
                written.append(str(done))
                del pixels
            kernel = self._write_kernel(plan, notes)
            return FileResult(str(job.source), "done", written,
                              seconds=round(time.perf_counter() - t0, 2), notes=notes,
                              kernel=kernel, auto=auto_summary(restored))
        except Cancelled:
            return FileResult(str(job.source), "cancelled", notes=notes)
        except ImageReadError as exc:
            return FileResult(str(job.source), "failed", reason=str(exc), notes=notes)
        except (OSError, ValueError) as exc:
            return FileResult(str(job.source), "failed", reason=f"{job.source}: {exc}",
                              notes=notes)
        except MemoryError:
            return FileResult(str(job.source), "failed",
                              reason=f"{job.source}: not enough memory for this photo",
                              notes=notes)
        except Exception as exc:  # noqa: BLE001 - a library's bug never stops the batch
            # (Ctrl+C and SIGTERM are not Exceptions: they pass and stop the run)
            detail = str(exc).strip() or type(exc).__name__
            return FileResult(str(job.source), "failed",
                              reason=f"{job.source}: unexpected error ({type(exc).__name__}: "
                                     f"{detail})", notes=notes)
        finally:
            release_freed_memory()

    def _write(self, plan: PlannedJob, target: Path, notes: list[str], write) -> Path:
        """``write(path, replace)`` at the planned ``target``; if its name was taken during the
        run (another run or program wrote a file there), at the first free numbered name,
        with a note: the plan is honoured at write time, nothing is ever replaced."""
        replace = plan.replaceable.get(str(target), False)
        path, n = target, 1
        while True:
            try:
                write(path, replace)
            except FileExistsError:
                replace = False
                while True:
                    n += 1
                    path = numbered(target, n)
                    if path_key(path) not in self._planned and not _exists(path):
                        break
                    if n > MAX_NUMBER:
                        raise FileExistsError(f"no free name for {target}")
                continue
            if path != target:
                notes.append(f"{target} was taken during the run by another file (kept): "
                             f"written as {path.name} instead")
                self._planned.add(path_key(path))
            return path

    def _write_kernel(self, plan: PlannedJob, notes: list[str]) -> str:
        """The kernel picture of the photo just restored, where the plan puts it."""
        if plan.kernel is None:
            return ""
        kernel = getattr(self.engine, "last_kernel", None)
        if kernel is None:
            notes.append(f"{plan.job.source.name}: no kernel picture (no kernel was estimated)")
            return ""
        if str(plan.kernel) in plan.keep:
            return str(plan.kernel)
        from ..shake.kernel import picture
        record = record_for(self.engine, "kernel", PostSettings(), 1.0)
        image = picture(kernel)
        self._prepare_folder(plan.kernel.parent)
        done = self._write(plan, plan.kernel, notes, lambda path, replace: write_photo(
            path, image, fmt="PNG", bit_depth=8, record=record, replace=replace))
        return str(done)

    def _prepare_folder(self, folder: Path) -> None:
        if folder in self._cleaned:
            return
        if folder.exists() and not folder.is_dir():
            raise NotADirectoryError(f"the output folder {folder} is a file")
        folder.mkdir(parents=True, exist_ok=True)
        removed = remove_stale_temporaries(folder)
        if removed:
            self.cleanup_notes.append(f"removed {len(removed)} temporary file(s) left in "
                                      f"{folder} by an interrupted run")
        self._cleaned.add(folder)
