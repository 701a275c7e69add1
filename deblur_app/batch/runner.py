"""Running a list of photos through the engine: read, deblur, post-process, write.

A bad photo is reported and skipped, never stops the batch; originals are never written to;
outputs are written atomically (see :func:`deblur_app.imaging.io.write_photo`), so a cancelled
batch leaves no half-written file.  Progress: ``progress(files_done, files_total, message)`` for
the batch and ``tile_progress(done, total, message)`` inside the current photo; ``on_result`` is
called with each :class:`FileResult` as soon as it is known, ``on_start(index, job)`` when a
photo begins.
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from ..engine import CancelToken, Cancelled, Deblurrer
from ..engine.progress import Progress, no_progress
from ..imaging.io import ImageReadError, read_photo, write_photo
from ..imaging.postprocess import PostSettings, apply_post, blend_with_original
from ..imaging.record import record_for
from .naming import output_format, output_paths
from .scan import Job


@dataclass
class BatchOptions:
    outdir: Path
    scales: tuple[str, ...] = ("fine",)
    suffix: str = "_deblurred"
    fmt: str = "same"                  # same | png | jpg | tif
    jpeg_quality: int = 95
    skip_existing: bool = False
    post: PostSettings = field(default_factory=PostSettings)
    strength: float = 1.0              # blend with the original: 0 = original, 1 = deblurred


@dataclass
class FileResult:
    source: str
    status: str                        # done | skipped | failed | cancelled
    outputs: list[str] = field(default_factory=list)
    reason: str = ""
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


class BatchRunner:
    def __init__(self, engine: Deblurrer, options: BatchOptions):
        self.engine = engine
        self.options = options
        self.cancel_token = CancelToken()
        self._running = threading.Event()
        self._running.set()

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

    def run(self, jobs: list[Job], progress: Progress = no_progress,
            tile_progress: Progress = no_progress,
            on_result: Callable[[FileResult], None] | None = None,
            on_start: Callable[[int, Job], None] | None = None) -> list[FileResult]:
        results: list[FileResult] = []
        total = len(jobs)
        for i, job in enumerate(jobs):
            self._running.wait()
            if self.cancel_token.cancelled:
                res = FileResult(str(job.source), "cancelled")
            else:
                progress(i, total, f"{job.source.name}")
                if on_start:
                    on_start(i, job)
                res = self.process(job, tile_progress)
            results.append(res)
            if on_result:
                on_result(res)
            progress(i + 1, total, f"{job.source.name}: {res.status}")
        return results

    def process(self, job: Job, tile_progress: Progress = no_progress) -> FileResult:
        opt = self.options
        t0 = time.perf_counter()
        targets = output_paths(job, opt.outdir, opt.scales, opt.suffix, opt.fmt)
        src = job.source.resolve()
        for t in targets.values():
            if t.resolve() == src:
                return FileResult(str(job.source), "failed", reason=(
                    f"{job.source}: the output would overwrite the original; choose another "
                    "output folder or suffix"))
        if opt.skip_existing and all(t.exists() for t in targets.values()):
            return FileResult(str(job.source), "skipped", [str(t) for t in targets.values()],
                              "output exists")
        try:
            photo = read_photo(job.source)
            restored = self.engine.run(photo.pixels, opt.scales, tile_progress, self.cancel_token)
            fmt, _ = output_format(job.source, opt.fmt)
            written, notes = [], list(photo.notes)
            for scale, target in targets.items():
                pixels = apply_post(blend_with_original(photo.pixels, restored.scale(scale),
                                                        opt.strength), opt.post)
                target.parent.mkdir(parents=True, exist_ok=True)
                write_photo(target, pixels, like=photo, format=fmt, jpeg_quality=opt.jpeg_quality,
                            record=record_for(self.engine, scale, opt.post, opt.strength),
                            notes=notes)
                written.append(str(target))
            return FileResult(str(job.source), "done", written,
                              seconds=round(time.perf_counter() - t0, 2),
                              notes=notes + restored.notes)
        except Cancelled:
            return FileResult(str(job.source), "cancelled")
        except ImageReadError as exc:
            return FileResult(str(job.source), "failed", reason=str(exc))
        except (OSError, ValueError) as exc:
            return FileResult(str(job.source), "failed", reason=f"{job.source}: {exc}")
        except MemoryError:
            return FileResult(str(job.source), "failed",
                              reason=f"{job.source}: not enough memory for this photo")


def summarize(results: list[FileResult]) -> dict[str, int]:
    out = {"done": 0, "skipped": 0, "failed": 0, "cancelled": 0}
    for r in results:
        out[r.status] = out.get(r.status, 0) + 1
    return out


def write_report(path: Path, results: list[FileResult], extra: dict | None = None) -> None:
    data = {"summary": summarize(results), "files": [asdict(r) for r in results]}
    data.update(extra or {})
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(data, indent=1))
    tmp.replace(path)
