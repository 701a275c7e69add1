"""Entry script of the PyInstaller bundle (see ``build.spec``).

The bundle holds two executables built from this one script, so that they share one analysis and
one folder of libraries: ``deblur-studio`` (the window) and ``deblur`` (the command line). Each runs
the program its own file name asks for, as busybox does.
"""
from __future__ import annotations

import multiprocessing
import sys
from pathlib import Path

CLI_NAMES = {"deblur"}


def program_name() -> str:
    """``deblur`` or ``deblur-studio``: the name of the executable that was started."""
    exe = sys.executable if getattr(sys, "frozen", False) else sys.argv[0]
    return Path(exe).stem.lower()


def main() -> int:
    multiprocessing.freeze_support()  # a no-op unless a frozen child process is starting
    if program_name() in CLI_NAMES:
        from deblur_app.cli import main as run
    else:
        from deblur_app.gui.app import main as run
    return run() or 0


if __name__ == "__main__":
    sys.exit(main())
