"""Output names, planned for a whole run before its first photo.

The rule, for the command line, the window's batches and the window's Save alike:

* a result goes to ``<output folder>/<the photo's sub-folder>/<stem><suffix><tag>.<ext>``,
  where ``<tag>`` is empty for the fine (full-size) output saved alone, and ``_coarse`` or
  ``_mid`` or ``_fine`` otherwise (``photo_deblurred.jpg``, ``photo_deblurred_mid.jpg``);
* a result never lands on a photo of the run, on another result of the run, or on a file that
  is already there (unless asked: ``skip`` keeps complete earlier results, ``overwrite``
  replaces earlier results of Deblur Studio).  Where the name is taken, the photo's results
  get `` (2)``, `` (3)``, ... before the extension, the first number that frees them all, and
  a note names both files.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..engine.scales import DEFAULT_SCALE
from ..imaging.io import format_for_suffix, output_format_for
from .scan import Job, path_key

EXISTING_POLICIES = ("rename", "skip", "overwrite")
DEFAULT_SUFFIX = "_deblurred"
MAX_SUFFIX = 100


def check_suffix(suffix: str) -> str:
    """``suffix`` if it is a safe part of a file name, else ValueError saying why."""
    if not isinstance(suffix, str):
        raise ValueError("the name suffix must be text")
    bad = [c for c in ("/", "\\", "\0", ":") if c in suffix]
    if bad or any(ord(c) < 32 for c in suffix):
        raise ValueError(f"the name suffix {suffix!r} must not contain / \\ : or control "
                         "characters (results always stay in the output folder)")
    if len(suffix) > MAX_SUFFIX:
        raise ValueError(f"the name suffix is longer than {MAX_SUFFIX} characters")
    return suffix


def output_format(source: Path, requested: str = "same") -> tuple[str, str]:
    """(Pillow format, extension) of the output for ``source``, decided before reading it."""
    return output_format_for(format_for_suffix(source) or "PNG", requested)


def result_name(stem: str, suffix: str, scale: str, scales: tuple[str, ...], ext: str) -> str:
    """The file name of one result (see the module's rule)."""
    tag = "" if tuple(scales) == (DEFAULT_SCALE,) else f"_{scale}"
    ext = ext if ext.startswith(".") else "." + ext
    return f"{stem}{suffix}{tag}{ext}"


def output_paths(job: Job, outdir: Path | None, scales: tuple[str, ...],
                 suffix: str = DEFAULT_SUFFIX, fmt: str = "same") -> dict[str, Path]:
    """Where each requested scale of ``job`` goes, before collisions are considered: below
    ``outdir`` if given (the run's output folder), else below the job's own."""
    _, ext = output_format(job.source, fmt)
    base = outdir if outdir is not None else job.outdir
    if base is None:
        raise ValueError(f"{job.source}: no output folder")
    folder = Path(base) / job.relative.parent
    return {s: folder / result_name(job.relative.stem, suffix, s, scales, ext) for s in scales}


def numbered(path: Path, n: int) -> Path:
    """``a.jpg`` -> ``a (n).jpg``, shortened if the name would pass 255 bytes."""
    if n <= 1:
        return path
    tail = f" ({n}){path.suffix}"
    stem = path.stem
    while len((stem + tail).encode("utf-8", "surrogateescape")) > 255 and stem:
        stem = stem[:-1]
    return path.with_name(stem + tail)


@dataclass
class PlannedJob:
    job: Job
    targets: dict[str, Path]          # scale -> where it goes
    skip: bool = False                # complete results are already there (resume)
    notes: list[str] = field(default_factory=list)


def plan_outputs(jobs: list[Job], outdir: Path, scales: tuple[str, ...], suffix: str,
                 fmt: str, existing: str = "rename",
                 is_complete: Callable[[Path], bool] | None = None,
                 is_ours: Callable[[Path], bool] | None = None,
                 inputs: list[Path] | None = None) -> list[PlannedJob]:
    """Where every result of the run goes (see the module's rule).

    ``existing``: what to do with a file already at a result's place: ``rename`` (never touch
    it), ``skip`` (a photo whose results are all there and ``is_complete`` is skipped; a result
    that is empty or damaged is made again) or ``overwrite`` (replace it if ``is_ours``).
    ``inputs``: further paths no result may land on (every job's source is one anyway).
    """
    if existing not in EXISTING_POLICIES:
        raise ValueError(f"existing must be one of {EXISTING_POLICIES}")
    is_complete = is_complete or (lambda p: p.stat().st_size > 0)
    is_ours = is_ours or (lambda p: False)
    protected = {path_key(j.source): j.source for j in jobs}
    protected.update({path_key(p): p for p in inputs or []})
    planned: dict[str, Path] = {}       # key -> source that writes it
    plans: list[PlannedJob] = []
    for job in jobs:
        wanted = output_paths(job, outdir, scales, suffix, fmt)
        plan = PlannedJob(job, wanted)
        n = 1
        while True:
            targets = {s: numbered(t, n) for s, t in wanted.items()}
            free = not any(path_key(t) in planned or path_key(t) in protected
                           for t in targets.values())
            if existing == "skip" and free and all(
                    _exists(t) and _safe(is_complete, t) for t in targets.values()):
                plan.skip = True          # complete results of an earlier run: resume
                break
            why = _taken(targets, planned, protected, existing, is_complete, is_ours)
            if why is None:
                break
            if n == 1:
                first_why = why
            n += 1
        if n > 1:
            first = next(iter(wanted.values()))
            chosen = next(iter(targets.values()))
            plan.notes.append(f"{first} is taken by {first_why}: "
                              f"{'its result is' if plan.skip else 'writing'} {chosen.name}"
                              f"{'' if plan.skip else ' instead'}")
        plan.targets = targets
        for t in plan.targets.values():
            planned[path_key(t)] = job.source
        plans.append(plan)
    return plans


def _exists(path: Path) -> bool:
    try:
        return path.exists() or path.is_symlink()
    except OSError:
        return True


def _safe(check: Callable[[Path], bool], path: Path) -> bool:
    try:
        return bool(check(path))
    except Exception:  # noqa: BLE001 - any failure to read means "not a complete result"
        return False


def _taken(targets: dict[str, Path], planned: dict[str, Path], protected: dict[str, Path],
           existing: str, is_complete, is_ours) -> str | None:
    """Why these names cannot be used, or None."""
    for t in targets.values():
        key = path_key(t)
        if key in protected:
            return f"the photo {protected[key]} itself"
        if key in planned:
            return f"the result of {planned[key]}"
        if _exists(t):
            if not t.is_file():
                return "something that is not a file"
            if existing == "overwrite" and _safe(is_ours, t):
                continue
            if existing == "skip" and not _safe(is_complete, t):
                continue          # an empty or damaged earlier result: made again
            return "an existing file"
    return None
