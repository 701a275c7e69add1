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
from .naming import (DEFAULT_SUFFIX, EXISTING_POLICIES, PlannedJob, check_suffix, output_format,
                     plan_outputs)
from .scan import Job, Problem

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


@dataclass
class FileResult:
    source: str
    status: str                        # done | skipped | failed | cancelled
    outputs: list[str] = field(default_factory=list)
    reason: str = ""
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    auto: dict | None = None           # method Auto: its choice, reason and the photo's blur


def auto_summary(restored) -> dict | None:
    """Method Auto's choice for the report (None for the other methods)."""
    choice = getattr(restored, "choice", "")
    if not choice:
        return None
    judgement = getattr(restored, "judgement", None)
    return {"choice": choice, "reason": restored.reason,
            "blur": judgement.as_dict() if judgement is not None else None}


def failed_inputs(problems: list[Problem]) -> list[FileResult]:
    """The photos and named paths that cannot be processed, as failed results."""
    return [FileResult(p.path, "failed", reason=str(p)) for p in problems if p.failed]


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
                            is_complete, is_own_result, inputs)

    def run(self, jobs: list[Job] | list[PlannedJob], progress: Progress = no_progress,
            tile_progress: Progress = no_progress,
            on_result: Callable[[FileResult], None] | None = None,
            on_start: Callable[[int, Job], None] | None = None) -> list[FileResult]:
        plans = jobs if all(isinstance(j, PlannedJob) for j in jobs) else self.plan(list(jobs))
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
                pixels = finish(photo.pixels, restored.scale(scale), opt.strength, opt.post)
                self._prepare_folder(target.parent)
                write_photo(target, pixels, like=photo, fmt=fmt, jpeg_quality=opt.jpeg_quality,
                            record=record_for(self.engine, scale, opt.post, opt.strength),
                            notes=notes)
                written.append(str(target))
            return FileResult(str(job.source), "done", written,
                              seconds=round(time.perf_counter() - t0, 2), notes=notes,
                              auto=auto_summary(restored))
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
        finally:
            release_freed_memory()

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


def summarize(results: list[FileResult]) -> dict[str, int]:
    out = {"done": 0, "skipped": 0, "failed": 0, "cancelled": 0}
    for r in results:
        out[r.status] = out.get(r.status, 0) + 1
    return out


def summary_text(results: list[FileResult]) -> str:
    """"3 done, 1 skipped, 0 failed" (", 2 cancelled" when any were)."""
    c = summarize(results)
    text = f"{c['done']} done, {c['skipped']} skipped, {c['failed']} failed"
    return text + (f", {c['cancelled']} cancelled" if c["cancelled"] else "")
