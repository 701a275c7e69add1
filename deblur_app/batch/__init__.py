"""Folders to jobs: scanning, output naming, skip/resume, per-file results, the report."""
from .naming import PlannedJob, output_paths, plan_outputs, result_name
from .report import check_report_path, write_report
from .runner import (BatchOptions, BatchRunner, FileResult, failed_inputs, summarize,
                     summary_text)
from .scan import Job, Problem, collect_jobs, default_outdir, problems_text

__all__ = ["PlannedJob", "output_paths", "plan_outputs", "result_name", "check_report_path",
           "write_report", "BatchOptions", "BatchRunner", "FileResult", "failed_inputs",
           "summarize", "summary_text", "Job", "Problem", "collect_jobs", "default_outdir",
           "problems_text"]
