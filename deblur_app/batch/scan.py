"""From the files and folders a user gives to a list of photos, each with where it came from."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..imaging.io import is_supported


@dataclass(frozen=True)
class Job:
    source: Path          # the photo
    relative: Path        # its path below the folder it was found in (its name if given alone)


def collect_jobs(inputs, recursive: bool = False, exclude: Path | None = None
                 ) -> tuple[list[Job], list[str]]:
    """Photos under ``inputs`` (files and folders), in a stable order, and the problems found
    (missing or unreadable paths, files that are not photos).  ``exclude`` (the output folder)
    is never scanned, so a rerun does not pick up its own results."""
    jobs: list[Job] = []
    problems: list[str] = []
    seen: set[Path] = set()
    excl = exclude.resolve() if exclude else None

    def add(path: Path, rel: Path):
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            jobs.append(Job(path, rel))

    for item in map(Path, inputs):
        if item.is_file():
            if is_supported(item):
                add(item, Path(item.name))
            else:
                problems.append(f"{item}: not a supported photo type")
        elif item.is_dir():
            try:
                entries = sorted(item.rglob("*") if recursive else item.iterdir())
            except OSError as exc:
                problems.append(f"{item}: cannot read the folder ({exc.strerror or exc})")
                continue
            for p in entries:
                if excl and (p.resolve() == excl or excl in p.resolve().parents):
                    continue
                if p.is_file() and is_supported(p) and not p.name.startswith("."):
                    add(p, p.relative_to(item))
        else:
            problems.append(f"{item}: no such file or folder")
    return jobs, problems
