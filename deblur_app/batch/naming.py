"""Output names, planned for a whole run before its first photo.

The rule, for the command line, the window's batches and the window's Save alike:

* a result goes to ``<output folder>/<the photo's sub-folder>/<stem><suffix><tag>.<ext>``,
  where ``<tag>`` is empty for the fine (full-size) output saved alone, and ``_coarse`` or
  ``_mid`` or ``_fine`` otherwise (``photo_deblurred.jpg``, ``photo_deblurred_mid.jpg``);
* a result never lands on a photo of the run, on another result of the run, or on a file that
  is already there (unless asked: ``skip`` keeps complete earlier results of ours,
  ``overwrite`` replaces earlier results of Deblur Studio).  Where the name is taken, the
  photo's results get `` (2)``, `` (3)``, ... before the extension, the first number that
  frees them all, and a note names both files;
* the plan covers every file a run writes: the results of every scale and the kernel
  pictures (``<first result>_kernel.png``); the report is checked against it;
* a name that would pass 255 bytes keeps its suffix, scale, number and extension, and its
  stem is shortened;
* the plan is honoured when writing: a result is moved into place only if its name is still
  free (or still holds the very file planned to be replaced), so a file that appears during
  the run, another run's result say, is never replaced (see :mod:`deblur_app.atomic`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..engine.scales import DEFAULT_SCALE
from ..atomic import FileId
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
    if len(suffix) > MAX_SUFFIX or len(suffix.encode("utf-8", "surrogateescape")) > 150:
        raise ValueError(f"the name suffix is longer than {MAX_SUFFIX} characters (or 150 "
                         "bytes): names must stay within 255 bytes")
    return suffix


def output_format(source: Path, requested: str = "same") -> tuple[str, str]:
    """(Pillow format, extension) of the output for ``source``, decided before reading it."""
    return output_format_for(format_for_suffix(source) or "PNG", requested)


NAME_MAX_BYTES = 255
MAX_NUMBER = 100_000
KERNEL_TAG = "_kernel"


def _bytes(text: str) -> int:
    return len(text.encode("utf-8", "surrogateescape"))


def fit_name(stem: str, tail: str) -> str:
    """``stem + tail``, the stem shortened (whole characters) so the name fits in 255 bytes."""
    while _bytes(stem + tail) > NAME_MAX_BYTES and stem:
        stem = stem[:-1]
    return stem + tail


def _tag(scale: str, scales: tuple[str, ...]) -> str:
    return "" if tuple(scales) == (DEFAULT_SCALE,) else f"_{scale}"


def _ext(ext: str) -> str:
    return ext if ext.startswith(".") else "." + ext


def result_name(stem: str, suffix: str, scale: str, scales: tuple[str, ...], ext: str,
                n: int = 1) -> str:
    """The file name of one result (see the module's rule), numbered `` (n)`` when n > 1, its
    stem shortened if the name would pass 255 bytes."""
    number = f" ({n})" if n > 1 else ""
    return fit_name(stem, f"{suffix}{_tag(scale, scales)}{number}{_ext(ext)}")


def kernel_name(stem: str, suffix: str, scales: tuple[str, ...], ext: str, n: int = 1) -> str:
    """The kernel picture of a photo's results: ``<first result's name>_kernel.png``."""
    del ext
    number = f" ({n})" if n > 1 else ""
    return fit_name(stem, f"{suffix}{_tag(scales[0], scales)}{number}{KERNEL_TAG}.png")


def output_paths(job: Job, outdir: Path | None, scales: tuple[str, ...],
                 suffix: str = DEFAULT_SUFFIX, fmt: str = "same", n: int = 1) -> dict[str, Path]:
    """Where each requested scale of ``job`` goes, before collisions are considered: below
    ``outdir`` if given (the run's output folder), else below the job's own."""
    _, ext = output_format(job.source, fmt)
    folder = _folder(job, outdir)
    return {s: folder / result_name(job.relative.stem, suffix, s, scales, ext, n)
            for s in scales}


def _folder(job: Job, outdir: Path | None) -> Path:
    base = outdir if outdir is not None else job.outdir
    if base is None:
        raise ValueError(f"{job.source}: no output folder")
    return Path(base) / job.relative.parent


def numbered(path: Path, n: int) -> Path:
    """``a.jpg`` -> ``a (n).jpg``, shortened if the name would pass 255 bytes."""
    if n <= 1:
        return path
    return path.with_name(fit_name(path.stem, f" ({n}){path.suffix}"))


@dataclass
class PlannedJob:
    job: Job
    targets: dict[str, Path]          # scale -> where it goes
    skip: bool = False                # complete results are already there (resume)
    notes: list[str] = field(default_factory=list)
    kernel: Path | None = None        # where the kernel picture goes (--save-kernel)
    # str(path) -> the earlier file there that may be replaced (our own result with
    # "overwrite", a damaged one with "skip"); any other target must be a new file
    replaceable: dict[str, FileId] = field(default_factory=dict)
    keep: set[str] = field(default_factory=set)   # str(path) of complete results kept (resume)

    def files(self) -> list[Path]:
        """Every file this photo's processing writes."""
        return list(self.targets.values()) + ([self.kernel] if self.kernel else [])


def plan_outputs(jobs: list[Job], outdir: Path, scales: tuple[str, ...], suffix: str,
                 fmt: str, existing: str = "rename",
                 is_complete: Callable[[Path], bool] | None = None,
                 is_ours: Callable[[Path], bool] | None = None,
                 inputs: list[Path] | None = None,
                 save_kernel: bool = False) -> list[PlannedJob]:
    """Where every file of the run goes (see the module's rule): the results of every scale
    and, with ``save_kernel``, each photo's kernel picture.

    ``existing``: what to do with a file already at a result's place: ``rename`` (never touch
    it), ``skip`` (a photo whose files are all there, complete and ours, is skipped; its
    complete results of ours are kept and only the missing ones made; an empty or damaged
    one is made again) or ``overwrite`` (replace it if ``is_ours``).
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
        _, ext = output_format(job.source, fmt)
        folder = _folder(job, outdir)
        stem = job.relative.stem
        n = 1
        while True:
            plan = PlannedJob(job, {s: folder / result_name(stem, suffix, s, scales, ext, n)
                                    for s in scales})
            if save_kernel:
                plan.kernel = folder / kernel_name(stem, suffix, scales, ext, n)
            why = _place(plan, planned, protected, existing, is_complete, is_ours)
            if why is None:
                break
            if n == 1:
                first_why, first = why, plan.files()[0]
            n += 1
            if n > MAX_NUMBER:
                raise ValueError(f"{job.source}: no free name for its results in {folder}")
        if n > 1:
            chosen = plan.files()[0]
            plan.notes.append(f"{first} is taken by {first_why}: "
                              f"{'its result is' if plan.skip else 'writing'} {chosen.name}"
                              f"{'' if plan.skip else ' instead'}")
        short = [t.name for t in plan.files() if not t.name.startswith(stem + suffix)]
        if short:
            plan.notes.append(f"{job.source.name}: the name is too long for the file system "
                              f"(255 bytes): shortened to {short[0]}")
        for t in plan.files():
            planned[path_key(t)] = job.source
        plans.append(plan)
    return plans


def _place(plan: PlannedJob, planned: dict[str, Path], protected: dict[str, Path],
           existing: str, is_complete, is_ours) -> str | None:
    """Why this photo's files cannot go to these names, or None (and then ``plan.skip``,
    ``plan.keep`` and ``plan.replaceable`` say what to do with files already there)."""
    keep, replaceable = set(), {}
    for t in plan.files():
        key = path_key(t)
        if key in protected:
            return f"the photo {protected[key]} itself"
        if key in planned:
            return f"the result of {planned[key]}"
        if not _exists(t):
            continue
        if not _is_plain_file(t):
            return "something that is not a file"
        if existing == "overwrite" and _safe(is_ours, t):
            replaceable[str(t)] = FileId.of(t)
        elif existing == "skip" and not _safe(is_complete, t):
            replaceable[str(t)] = FileId.of(t)      # an empty or damaged earlier result
        elif existing == "skip" and _safe(is_ours, t):
            keep.add(str(t))                        # a complete result of ours: resumed
        else:
            return "an existing file"
    plan.keep, plan.replaceable = keep, replaceable
    plan.skip = bool(keep) and len(keep) == len(plan.files())
    return None


def _is_plain_file(path: Path) -> bool:
    try:
        return path.is_file() and not path.is_symlink()
    except OSError:
        return False


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
