"""Writing a file so that nobody ever sees half of it: the project's one atomic write.

The content goes to a temporary file in the target's folder, is flushed to disk, then renamed
over the target in one step.  On any error (or Ctrl+C) the temporary file is removed and an
existing target is left as it was.  A process killed outright (``kill -9``, power loss) can
still leave its temporary file behind: such files are recognisable by name
(``.deblur-<pid>-<random>.part``, short whatever the target's name, so a 255-byte file name
still works) and :func:`remove_stale_temporaries` removes those whose process is gone, the
next time a run writes into that folder.
"""
from __future__ import annotations

import os
import re
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

TEMP_PREFIX = ".deblur-"
TEMP_SUFFIX = ".part"
_OURS = re.compile(r"^\.deblur-(\d+)-[0-9a-f]{8}\.part$")
# left by earlier versions: ".<name>.<8 hex>.part" (no process id)
_LEGACY = re.compile(r"^\..+\.[0-9a-f]{8}\.part$")
LEGACY_AGE_S = 3600.0


def temporary_name() -> str:
    return f"{TEMP_PREFIX}{os.getpid()}-{secrets.token_hex(4)}{TEMP_SUFFIX}"


def is_temporary(name: str) -> bool:
    """Whether a file name is one of our temporary files (ours or an earlier version's)."""
    return bool(_OURS.match(name) or _LEGACY.match(name))


def atomic_write(target: str | os.PathLike, encode: Callable[[BinaryIO], None]) -> Path:
    """Write ``target`` with ``encode(file)``, all or nothing; returns the target's path.

    Raises what the file system or ``encode`` raise (``FileNotFoundError`` when the folder is
    missing); the temporary file is gone in every case.
    """
    target = Path(target)
    folder = target.parent
    while True:
        temp = folder / temporary_name()
        try:
            fh = open(temp, "x+b")  # exclusive creation; permissions follow the umask
            break
        except FileExistsError:
            continue
    try:
        with fh:
            encode(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, target)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
    _sync_folder(folder)
    return target


def atomic_write_bytes(target: str | os.PathLike, data: bytes) -> Path:
    return atomic_write(target, lambda fh: fh.write(data))


def atomic_write_text(target: str | os.PathLike, text: str) -> Path:
    return atomic_write_bytes(target, text.encode("utf-8"))


def remove_stale_temporaries(folder: str | os.PathLike) -> list[Path]:
    """Remove our temporary files in ``folder`` that no running process is writing; returns
    what was removed.  Files of a live process (another run writing into the same folder) are
    left alone; an earlier version's files (no process id in the name) once an hour old."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        name = entry.name
        m = _OURS.match(name)
        try:
            if m:
                if _process_alive(int(m.group(1))):
                    continue
            elif _LEGACY.match(name):
                if now - entry.stat(follow_symlinks=False).st_mtime < LEGACY_AGE_S:
                    continue
            else:
                continue
            if not entry.is_file(follow_symlinks=False):
                continue
            os.unlink(entry.path)
            removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name != "posix":
        return True       # cannot tell cheaply: keep it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:       # exists, but belongs to someone else
        return True
    return True


def _sync_folder(folder: Path) -> None:
    """Make the rename durable (POSIX); harmless no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
