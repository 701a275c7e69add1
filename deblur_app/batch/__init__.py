"""Folders to jobs: scanning, output naming, skip/resume, per-file results."""
from .naming import output_paths
from .runner import BatchOptions, BatchRunner, FileResult, summarize, write_report
from .scan import Job, collect_jobs

__all__ = ["output_paths", "BatchOptions", "BatchRunner", "FileResult", "summarize",
           "write_report", "Job", "collect_jobs"]
