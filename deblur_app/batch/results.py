"""What became of each photo of a batch, and the counts: plain data, light to import (the
command writes its report from these even when stopped while it was still starting)."""
from __future__ import annotations

from dataclasses import dataclass, field

from .scan import Problem


@dataclass
class FileResult:
    source: str
    status: str                        # done | skipped | failed | cancelled
    outputs: list[str] = field(default_factory=list)
    reason: str = ""
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    kernel: str = ""                   # the kernel picture written (--save-kernel), if any
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
