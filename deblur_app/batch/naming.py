"""Output names: ``<stem><suffix>.<ext>`` mirrored under the output folder, one per scale."""
from __future__ import annotations

from pathlib import Path

from ..imaging.io import format_for_suffix, output_format_for
from .scan import Job


def output_format(source: Path, requested: str = "same") -> tuple[str, str]:
    """(Pillow format, extension) of the output for ``source``, decided before reading it."""
    return output_format_for(format_for_suffix(source) or "PNG", requested)


def output_paths(job: Job, outdir: Path, scales: tuple[str, ...], suffix: str = "_deblurred",
                 fmt: str = "same") -> dict[str, Path]:
    """Where each requested scale of ``job`` goes.  One scale: ``<stem><suffix>.<ext>``;
    several: ``<stem><suffix>_<scale>.<ext>``."""
    _, ext = output_format(job.source, fmt)
    ext = ext if ext.startswith(".") else "." + ext
    folder = outdir / job.relative.parent
    stem = job.relative.stem + suffix
    if len(scales) == 1:
        return {scales[0]: folder / f"{stem}{ext}"}
    return {s: folder / f"{stem}_{s}{ext}" for s in scales}
