"""The one progress protocol of all long work (inference, batches, training) and cancellation.

A progress callback is any ``callable(done: int, total: int, message: str)``.  A
:class:`CancelToken` is shared between the worker and whoever may cancel; workers call
:meth:`CancelToken.check` between units of work (one tile, one photo), which raises
:class:`Cancelled`.
"""
from __future__ import annotations

import threading
import time
from typing import Callable, Protocol


class Progress(Protocol):
    def __call__(self, done: int, total: int, message: str) -> None: ...


class Cancelled(Exception):
    """Raised inside a worker when its token was cancelled."""


class CancelToken:
    def __init__(self):
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise Cancelled()


def no_progress(done: int, total: int, message: str) -> None:
    pass


class Eta:
    """Remaining-time estimate from the rate of completed units (ignores the first unit, which
    carries warm-up costs, once a second one is done)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self.start = clock()
        self.first: tuple[float, int] | None = None

    def update(self, done: int, total: int) -> float | None:
        now = self.clock()
        if done <= 0:
            return None
        if self.first is None:
            self.first = (now, done)
            return (now - self.start) / done * (total - done)
        t0, d0 = self.first
        if done > d0 and now > t0:
            return (now - t0) / (done - d0) * (total - done)
        return (now - self.start) / done * (total - done)


def format_seconds(s: float | None) -> str:
    if s is None:
        return "--:--"
    s = int(round(s))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"
