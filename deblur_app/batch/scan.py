"""From the files and folders a user gives to a list of photos, each with where it came from and
where its results go.

Nothing found on the way stops the scan: a missing or unreadable path, a symbolic link that
loops or points nowhere, a folder without permission, a FIFO: each becomes a :class:`Problem`
naming the path and the reason, and the scan goes on.  Photos inside scanned folders whose
names start with a dot (hidden files, our own temporary files) are left out, and so are results
of Deblur Studio (recognised by the processing record they carry, whatever their name), so a
rerun into the photos' own folder never takes its earlier results for new photos.
"""
from __future__ import annotations

import errno
import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

from ..imaging.formats import is_supported

DEFAULT_OUTDIR_SUFFIX = "_deblurred"
RESULT_FOUND = "a result of Deblur Studio"
_CASE_INSENSITIVE = sys.platform in ("darwin", "win32")


@dataclass(frozen=True)
class Job:
    source: Path          # the photo
    relative: Path        # its path below the folder it was found in (its name if given alone)
    outdir: Path | None = None   # where its results go (mirroring ``relative``); None: the
    #                              batch's output folder


@dataclass(frozen=True)
class Problem:
    """A path given or found that cannot be processed, and why.  ``failed``: a photo (or a
    path the user named) was left out, so the run did not fully succeed; otherwise only a note
    (a looping link among the folders, say)."""
    path: str
    reason: str
    failed: bool = True

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def default_outdir(folder: Path) -> Path:
    """Where the results of photos found in ``…/name`` go by default: beside it, in
    ``…/name_deblurred``."""
    folder = Path(folder).absolute()
    return folder.parent / f"{folder.name or 'photos'}{DEFAULT_OUTDIR_SUFFIX}"


def problems_text(problems, limit: int = 3) -> str:
    """The first ``limit`` problems in one line, and how many more there are."""
    items = [str(p) for p in problems]
    text = "; ".join(items[:limit])
    if len(items) > limit:
        text += f" (and {len(items) - limit} more)"
    return text


def collect_jobs(inputs, recursive: bool = False, outdir: Path | None = None
                 ) -> tuple[list[Job], list[Problem]]:
    """Photos under ``inputs`` (files and folders), in a stable order, and the problems found.

    Each job's output folder is ``outdir`` when given (and then never scanned, so a rerun does
    not pick up its own results), else :func:`default_outdir` of the folder it was found in (a
    photo given alone counts as found in its folder).  Folders reached twice (through links)
    are scanned once; a photo reached twice is listed once."""
    scan = _Scan(recursive, outdir)
    for item in inputs:
        scan.item(Path(item))
    return scan.jobs, scan.problems


class _Scan:
    def __init__(self, recursive: bool, outdir: Path | None):
        self.recursive = recursive
        self.outdir = Path(outdir) if outdir is not None else None
        self.excluded = path_key(self.outdir) if self.outdir is not None else None
        self.jobs: list[Job] = []
        self.problems: list[Problem] = []
        self._seen_files: set[str] = set()
        self._seen_dirs: set[tuple[int, int]] = set()

    def problem(self, path, reason: str, failed: bool = True) -> None:
        self.problems.append(Problem(str(path), reason, failed))

    def add(self, path: Path, relative: Path, found_in: Path) -> None:
        key = path_key(path)
        if key in self._seen_files:
            return
        self._seen_files.add(key)
        if is_result(path):
            self.problem(path, RESULT_FOUND + " (it carries the processing record), not a new "
                               "photo: left out", failed=False)
            return
        outdir = self.outdir if self.outdir is not None else default_outdir(found_in)
        self.jobs.append(Job(path, relative, outdir))

    def item(self, path: Path) -> None:
        if str(path) == "":
            self.problem("''", "an empty path")
            return
        try:
            st = os.stat(path)
        except OSError as exc:
            self.problem(path, _reason(path, exc))
            return
        if stat.S_ISDIR(st.st_mode):
            self.folder(path, path, Path(), st)
        elif not stat.S_ISREG(st.st_mode):
            self.problem(path, "not a regular file (a pipe, socket or device)")
        elif not is_supported(path):
            self.problem(path, "not a supported photo type")
        else:
            self.add(path, Path(path.name), path.absolute().parent)

    def folder(self, top: Path, folder: Path, relative: Path, st: os.stat_result) -> None:
        key = (st.st_dev, st.st_ino)
        if key in self._seen_dirs:
            return
        self._seen_dirs.add(key)
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            self.problem(folder, f"cannot read the folder ({_strerror(exc)})")
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            try:
                st_entry = os.stat(path)
            except OSError as exc:
                if is_supported(path) or exc.errno in (errno.ELOOP, errno.EACCES):
                    self.problem(path, _reason(path, exc) + ", skipped", is_supported(path))
                continue
            if stat.S_ISDIR(st_entry.st_mode):
                if not self.recursive or (self.excluded and path_key(path) == self.excluded):
                    continue
                self.folder(top, path, relative / entry.name, st_entry)
            elif is_supported(path):
                if stat.S_ISREG(st_entry.st_mode):
                    self.add(path, relative / entry.name, top)
                else:
                    self.problem(path, "not a regular file (a pipe, socket or device), skipped")


def path_key(path: Path) -> str:
    """A key equal for two spellings of one file (absolute, links resolved, case folded where
    the file system ignores case: on macOS and Windows, and wherever :func:`folds_case` finds
    it, a FAT or exFAT card on Linux say)."""
    key = os.path.normcase(os.path.realpath(path))
    if _CASE_INSENSITIVE or folds_case(os.path.dirname(key)):
        return key.lower()
    return key


_FOLDS: dict[str, bool] = {}


def folds_case(folder: str | os.PathLike) -> bool:
    """Whether the file system holding ``folder`` (or its nearest existing parent) treats
    ``a.jpg`` and ``A.jpg`` as one file.  Told by an entry already there whose other-case
    spelling names the same file, else by a probe file (created and removed at once) where
    the folder can be written; remembered per folder."""
    folder = os.path.abspath(folder)
    while not os.path.isdir(folder):
        parent = os.path.dirname(folder)
        if parent == folder:
            return False
        folder = parent
    if folder not in _FOLDS:
        _FOLDS[folder] = _probe_case(folder)
    return _FOLDS[folder]


def _probe_case(folder: str) -> bool:
    try:
        with os.scandir(folder) as it:
            for i, entry in enumerate(it):
                if i > 200:
                    break
                other = entry.name.swapcase()
                if other == entry.name:
                    continue
                try:
                    mine = os.lstat(entry.path)
                except OSError:
                    continue
                try:
                    theirs = os.lstat(os.path.join(folder, other))
                except FileNotFoundError:
                    return False
                except OSError:
                    continue
                return (mine.st_dev, mine.st_ino) == (theirs.st_dev, theirs.st_ino)
    except OSError:
        return False
    from ..atomic import temporary_name
    probe = os.path.join(folder, temporary_name())
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError:
        return False
    try:
        os.close(fd)
        return os.path.exists(os.path.join(folder, os.path.basename(probe).upper()))
    finally:
        try:
            os.unlink(probe)
        except OSError:
            pass


def is_result(path: Path) -> bool:
    """Whether a file found is a result of Deblur Studio (it carries our processing record),
    never to be taken for a new photo."""
    from ..imaging.record import read_record
    return read_record(path) is not None


def _strerror(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()


def _reason(path: Path, exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "a symbolic link that loops"
    if isinstance(exc, FileNotFoundError):
        return "a symbolic link to nothing" if os.path.islink(path) else "no such file or folder"
    if isinstance(exc, PermissionError):
        return "permission denied"
    return _strerror(exc)

