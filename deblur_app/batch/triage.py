"""Triage: the blur of every photo of some folders, without deblurring any.

    deblur --triage wedding/ --sort blur --report triage.json

Each photo is read and judged (:func:`deblur_app.judge.judge_photo`, the fast shake estimate):
sharp, camera shake (with its size and direction), motion or defocus blur, or unclear.  The
table is sorted blurriest first (``--sort blur``), by kind, or by name; the JSON has the same
rows.  A photo that cannot be read is listed as failed and the rest go on.
"""
from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..atomic import atomic_write_text
from ..imaging.record import SOFTWARE

SORTS = ("blur", "kind", "name")
KIND_ORDER = {"shake": 0, "blur": 1, "unclear": 2, "sharp": 3, "failed": 4}


@dataclass
class TriageRow:
    path: str
    judgement: object | None = None      # a deblur_app.judge.Judgement, None when failed
    error: str = ""
    seconds: float = 0.0

    @property
    def kind(self) -> str:
        return self.judgement.kind if self.judgement is not None else "failed"

    def label(self) -> str:
        return self.judgement.label() if self.judgement is not None else f"failed: {self.error}"

    def as_dict(self) -> dict:
        out = {"path": self.path, "seconds": round(self.seconds, 2)}
        if self.judgement is None:
            out.update(blur="failed", reason=self.error)
        else:
            out.update(self.judgement.as_dict())
            out["seconds"] = round(self.seconds, 2)
        return out


def judge_file(path: Path, cancel=None, judge=None) -> TriageRow:
    """Read and judge one photo (a bad file: a failed row, never an exception)."""
    from ..imaging.io import ImageReadError, read_photo
    from ..judge import judge_photo
    t0 = time.perf_counter()
    try:
        pixels = read_photo(path).pixels
        j = (judge or judge_photo)(pixels, cancel=cancel, fast=True)
    except ImageReadError as exc:
        return TriageRow(str(path), None, str(exc), time.perf_counter() - t0)
    except (OSError, ValueError, MemoryError) as exc:
        return TriageRow(str(path), None, f"{path}: {exc}", time.perf_counter() - t0)
    return TriageRow(str(path), j, "", time.perf_counter() - t0)


def sort_rows(rows: list[TriageRow], by: str = "blur") -> list[TriageRow]:
    """Blurriest first (``blur``), grouped by kind then blurriest (``kind``), or by name."""
    if by not in SORTS:
        raise ValueError(f"sort by one of {SORTS}")
    if by == "name":
        return sorted(rows, key=lambda r: r.path)
    if by == "kind":
        return sorted(rows, key=lambda r: (KIND_ORDER[r.kind], -_severity(r), r.path))
    return sorted(rows, key=lambda r: (-_severity(r), KIND_ORDER[r.kind], r.path))


def _severity(row: TriageRow) -> float:
    return row.judgement.severity() if row.judgement is not None else -2.0


def triage(paths: list[Path], progress=None, cancel=None, judge=None) -> list[TriageRow]:
    rows = []
    for i, p in enumerate(paths):
        if progress:
            progress(i, len(paths), p.name)
        rows.append(judge_file(p, cancel, judge))
    if progress:
        progress(len(paths), len(paths), "")
    return rows


def table_text(rows: list[TriageRow]) -> str:
    """A plain-text table: photo, blur, size, direction, confidence."""
    head = ("photo", "blur", "px", "direction", "confidence")
    lines = []
    for r in rows:
        j = r.judgement
        if j is None:
            lines.append((r.path, "failed", "", "", ""))
            continue
        size = j.shake_px if j.kind == "shake" else j.blur_px
        directed = j.kind == "shake" or j.subtype == "motion"
        lines.append((r.path, "camera shake" if j.kind == "shake" else j.label(),
                      f"{size:.1f}" if size is not None and size == size else "",
                      f"{j.direction:.0f} deg" if directed and j.direction is not None else "",
                      f"{j.confidence:.2f}" if j.confidence else ""))
    widths = [max(len(h), *(len(x[i]) for x in lines)) if lines else len(h)
              for i, h in enumerate(head)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [fmt.format(*head), fmt.format(*("-" * w for w in widths))]
    out += [fmt.format(*x) for x in lines]
    return "\n".join(out)


def counts_text(rows: list[TriageRow]) -> str:
    from collections import Counter

    from ..judge import TITLES
    c = Counter(r.kind for r in rows)
    names = {**TITLES, "failed": "failed"}
    return ", ".join(f"{c[k]} {names[k]}" for k in names if c[k]) or "no photos"


def write_triage(path: Path, rows: list[TriageRow], sort: str) -> None:
    data = {"generator": SOFTWARE, "version": __version__, "kind": "triage", "sort": sort,
            "summary": {k: sum(r.kind == k for r in rows) for k in KIND_ORDER},
            "files": [r.as_dict() for r in rows]}
    atomic_write_text(path, json.dumps(data, indent=1))


def triage_main(args) -> int:
    """``deblur --triage FOLDER...``: the table on stdout, JSON with --report."""
    from .report import check_report_path
    from .runner import failed_inputs
    from .scan import collect_jobs
    inputs = [Path(p) for p in args.triage]
    jobs, problems = collect_jobs(inputs, args.recursive)
    for p in problems:
        print(f"warning: {p}", file=sys.stderr)
    if args.report:
        try:
            check_report_path(args.report, inputs + [j.source for j in jobs], [])
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    if not jobs:
        print("error: no photos to judge", file=sys.stderr)
        return 1
    from tqdm import tqdm
    bar = tqdm(total=len(jobs), unit="photo", disable=args.quiet, file=sys.stderr,
               dynamic_ncols=True)

    def progress(done, total, name):
        bar.n = done
        bar.set_postfix_str(name[-40:], refresh=True)

    try:
        rows = triage([j.source for j in jobs], progress)
    except KeyboardInterrupt:
        bar.close()
        print("interrupted", file=sys.stderr)
        return 130
    bar.close()
    rows = sort_rows(rows, args.sort)
    print(table_text(rows))
    print(counts_text(rows), file=sys.stderr)
    code = 1 if failed_inputs(problems) or any(r.kind == "failed" for r in rows) else 0
    if args.report:
        try:
            write_triage(args.report, rows, args.sort)
        except OSError as exc:
            print(f"error: could not write {args.report}: {exc.strerror or exc}",
                  file=sys.stderr)
            code = 1
    return code
