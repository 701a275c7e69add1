"""Measuring this process's memory (for the benchmark and the memory tests)."""
from __future__ import annotations


def peak_rss_mb() -> float:
    """This process's own peak resident memory (Linux VmHWM), in MiB.  Not ``ru_maxrss``: on
    Linux that survives fork + exec, so a child process would report its parent's peak."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")
