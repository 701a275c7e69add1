"""Folders to jobs: scanning, output naming, skip/resume, per-file results, the report.

Names are imported on first use, so that the report and the scan are light to import (the
command line loads them before the network, to still write its report when stopped while it
starts)."""
import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:   # never run; names the submodules for readers, checkers and PyInstaller
    from . import naming, report, results, runner, scan  # noqa: F401

_WHERE = {
    "PlannedJob": "naming", "output_paths": "naming", "plan_outputs": "naming",
    "result_name": "naming", "check_report_path": "report", "write_report": "report",
    "BatchOptions": "runner", "BatchRunner": "runner", "FileResult": "results",
    "failed_inputs": "results", "summarize": "results", "summary_text": "results",
    "Job": "scan", "Problem": "scan", "collect_jobs": "scan", "default_outdir": "scan",
    "problems_text": "scan",
}
__all__ = sorted(_WHERE)


def __getattr__(name):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value
    return value
