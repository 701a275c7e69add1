"""Writing a file so that nobody ever sees half of it: the project's one atomic write.

The content goes to a temporary file in the target's folder, is flushed to disk, then renamed
over the target in one step.  On any error (or Ctrl+C) the temporary file is removed and an
existing target is left as it was.

Where a file must never replace another (the results of a batch, whose names were planned
before the run), ``replace=False`` moves the temporary file into place only if the name is
still free, in one step of the file system (a hard link, which fails when the name exists;
where links are not supported, an exclusive creation reserves the name first), and raises
``FileExistsError`` otherwise: another run or program that took the name meanwhile keeps its
file.  ``replace=FileId`` replaces only that earlier file (identified when the run was planned),
under a lock of the folder shared by every Deblur Studio run.  A process killed outright (``kill -9``, power loss) can
still leave its temporary file behind: such files are recognisable by name
(``.deblur-<pid>-<random>.part``, short whatever the target's name, so a 255-byte file name
still works) and :func:`remove_stale_temporaries` removes those whose process is gone, the
next time a run writes into that folder.
"""
from __future__ import annotations

import errno
import os
import re
import secrets
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

TEMP_PREFIX = ".deblur-"
TEMP_SUFFIX = ".part"
_OURS = re.compile(r"^\.deblur-(\d+)-[0-9a-f]{8}\.part$")
# left by earlier versions: ".<result or report name>.<8 hex>.part" (no process id); removed only
# when old and carrying our processing record or report generator (a user's own hidden
# ".notes.12345678.part" matches the name, never the content)
_LEGACY = re.compile(r"^\..+\.[0-9a-f]{8}\.part$")
LEGACY_AGE_S = 3600.0
_OUR_SIGNATURES = (b"http://deblur-studio.github.io/ns/1.0/", b'"generator": "Deblur Studio')
_SIGNATURE_BYTES = 1 << 20
_NO_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK, errno.ENOSYS,
             errno.EXDEV, errno.EACCES}


class FileId(tuple):
    """Which file is at a path (device, inode, size, modification time): a file replaced or
    rewritten since gets another identity."""

    @classmethod
    def of(cls, path) -> "FileId | None":
        try:
            st = os.stat(path, follow_symlinks=False)
        except OSError:
            return None
        return cls((st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns))


def temporary_name() -> str:
    return f"{TEMP_PREFIX}{os.getpid()}-{secrets.token_hex(4)}{TEMP_SUFFIX}"


def is_temporary(name: str) -> bool:
    """Whether a file name is one of our temporary files (ours or an earlier version's)."""
    return bool(_OURS.match(name) or _LEGACY.match(name))


def atomic_write(target: str | os.PathLike, encode: Callable[[BinaryIO], None],
                 replace: "bool | FileId" = True) -> Path:
    """Write ``target`` with ``encode(file)``, all or nothing; returns the target's path.

    ``replace``: True replaces whatever is at ``target``; False never replaces anything
    (``FileExistsError`` if the name is taken when the file is ready); a :class:`FileId`
    replaces only that file (``FileExistsError`` if another file is there now).
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
        if replace is True:
            os.replace(temp, target)
        elif replace is False or replace is None:
            _move_if_free(temp, target)
        else:
            with folder_lock(folder):
                now = FileId.of(target)
                if now is None:
                    _move_if_free(temp, target)
                elif now == replace:
                    os.replace(temp, target)
                else:
                    raise FileExistsError(errno.EEXIST, "another file is there now",
                                          str(target))
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
    _sync_folder(folder)
    return target


def _move_if_free(temp: Path, target: Path) -> None:
    """Move ``temp`` to ``target`` unless ``target`` exists (FileExistsError), in one step."""
    try:
        os.link(temp, target, follow_symlinks=False)
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in _NO_LINKS:
            raise
        # no hard links here (FAT, exFAT, some network shares): reserve the name exclusively,
        # then put the file over our own reservation
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        try:
            os.replace(temp, target)
        except BaseException:
            os.unlink(target)
            raise
        return
    os.unlink(temp)


@contextmanager
def folder_lock(folder: str | os.PathLike):
    """An advisory lock on ``folder`` held by one Deblur Studio process at a time (POSIX; a
    no-op where folders cannot be locked)."""
    try:
        import fcntl
        fd = os.open(folder, os.O_RDONLY)
    except (ImportError, OSError):
        yield
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:
            pass
        yield
    finally:
        os.close(fd)      # closing releases the lock


def atomic_write_bytes(target: str | os.PathLike, data: bytes,
                       replace: "bool | FileId" = True) -> Path:
    return atomic_write(target, lambda fh: fh.write(data), replace)


def atomic_write_text(target: str | os.PathLike, text: str,
                      replace: "bool | FileId" = True) -> Path:
    return atomic_write_bytes(target, text.encode("utf-8"), replace)


def remove_stale_temporaries(folder: str | os.PathLike) -> list[Path]:
    """Remove our temporary files in ``folder`` that no running process is writing; returns
    what was removed.  Files of a live process (another run writing into the same folder) are
    left alone; an earlier version's files (no process id in the name) once an hour old and
    only if their content is ours (a processing record or a report of ours)."""
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
                if not entry.is_file(follow_symlinks=False) or not _carries_signature(entry.path):
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


def _carries_signature(path: str) -> bool:
    """Whether a file's first megabyte holds our XMP namespace or our report's generator."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(_SIGNATURE_BYTES)
    except OSError:
        return False
    return any(sig in head for sig in _OUR_SIGNATURES)


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
