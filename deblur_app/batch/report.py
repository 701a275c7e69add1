"""The JSON report of a batch: per-file results, checked before the run and written atomically.

A report path is refused before any photo is touched when it is a folder, one of the run's
photos or results, an existing file that is not a report of ours, or in a folder that does not
exist or cannot be written.  Writing goes through :mod:`deblur_app.atomic`, so a failure leaves
neither a half report nor a temporary file.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path

from .. import __version__
from ..atomic import FileId, atomic_write_text
from .results import FileResult, summarize
from .scan import path_key

GENERATOR = "Deblur Studio"      # = imaging.record.SOFTWARE (kept light: no exiv2 to import)


def is_our_report(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            data = json.loads(fh.read(64 << 20))
    except (OSError, ValueError):
        return False
    if not isinstance(data, dict):
        return False
    # reports of version 0.1 carried no generator, but always these two keys
    return data.get("generator") == GENERATOR or {"summary", "files"} <= set(data)


def check_report_path(path: Path, inputs: list[Path], plans: list) -> None:
    """Raise ValueError (with the reason) if the report must not be written at ``path``."""
    if str(path) == "":
        raise ValueError("the report path is empty")
    key = path_key(path)
    for p in inputs:
        if path_key(p) == key:
            raise ValueError(f"the report {path} would overwrite the photo {p}")
    for plan in plans:
        if path_key(plan.job.source) == key:
            raise ValueError(f"the report {path} would overwrite the photo {plan.job.source}")
        for t in plan.files():
            if path_key(t) == key:
                raise ValueError(f"the report {path} would overwrite the result {t}")
    if path.is_dir():
        raise ValueError(f"the report path {path} is a folder")
    if path.exists() or path.is_symlink():
        if not path.is_file() or not is_our_report(path):
            raise ValueError(f"{path} exists and is not a Deblur Studio report: choose another "
                             "report file")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ValueError(f"cannot write the report: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"cannot write the report: the folder {folder} is not writable")


def report_identity(path: Path) -> FileId | None:
    """What is at the report path when it is checked (None: nothing): the file the report may
    replace when it is written."""
    return FileId.of(path)


def write_report(path: Path, results: list[FileResult], extra: dict | None = None,
                 replace: FileId | None | bool = True) -> Path:
    """Write the report; returns where.  ``replace``: True replaces whatever is there; None
    (nothing was there when checked) or a :class:`FileId` (our earlier report) honour the
    check at write time: if another file took the path meanwhile, it is kept and the report
    goes to ``<name> (2).json`` (the first free number) instead."""
    data = {"generator": GENERATOR, "version": __version__, "summary": summarize(results),
            "files": [asdict(r) for r in results]}
    data.update(extra or {})
    text = json.dumps(data, indent=1)
    if replace is True:
        atomic_write_text(path, text)
        return path
    target, mode, n = path, (False if replace is None else replace), 1
    while True:
        try:
            atomic_write_text(target, text, mode)
            return target
        except FileExistsError:
            n += 1
            target = path.with_name(f"{path.stem} ({n}){path.suffix}")
            mode = False
