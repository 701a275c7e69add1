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


class OneTotal:
    """One progress total for a whole run, forwarded to ``callback`` as (done, PARTS, message):
    the bar only moves forward, whatever the steps underneath report.

    The contract: an engine reports one ``(done, total)`` over all its steps and says so with
    a class attribute ``progress_total = True``; then (``exact=True``) its fraction is shown as
    it is, and a time estimate from it is true.  An engine whose steps each count from zero
    (``exact=False``) is still shown moving forward only: each new count (its total changes,
    or ``done`` goes back) fills half of what is left of the bar, so the bar never jumps back
    and never fills before the run ends, but its fraction is no basis for a time estimate.
    Messages with ``total <= 0`` (loading, preparing) pass through as (-1, 0, message) without
    moving the bar."""

    PARTS = 1000

    def __init__(self, callback: Callable[[int, int, str], None], exact: bool = True):
        self.callback = callback
        self.exact = exact
        self.fraction = 0.0            # of the whole run, never decreasing
        self._base = 0.0               # where the current count started
        self._span = 1.0 if exact else 0.5   # how much of the bar the current count fills
        self._step: tuple[int, int] | None = None   # (last done, total) of the current count

    def __call__(self, done: int, total: int, message: str = "") -> None:
        if total <= 0:
            self.callback(-1, 0, message)
            return
        done = min(max(int(done), 0), int(total))
        if self._step is not None and (total != self._step[1] or done < self._step[0]):
            # a new count: it fills the rest of the bar (an exact engine restarting, e.g. a
            # retry with smaller tiles) or half of what is left
            self._base = self.fraction
            self._span = (1.0 - self.fraction) * (1.0 if self.exact else 0.5)
        self._step = (done, total)
        self.fraction = max(self.fraction, self._base + self._span * done / total)
        self.callback(int(self.fraction * self.PARTS), self.PARTS, message)


# A finished piece of a result, handed out while a run goes on so that a window can show the
# result filling in: ``on_tile(scale, y0, y1, x0, x1, pixels)`` with ``pixels`` the final float
# RGB output for rows y0:y1 and columns x0:x1 of that scale's output (its own pixel grid).
# The pieces of one scale do not overlap and together cover the output.  Engines that take an
# ``on_tile`` keyword call it from their worker thread; it must not keep ``pixels`` beyond the
# call without copying.
TileHook = Callable[[str, int, int, int, int, "object"], None]


def takes_tiles(engine) -> bool:
    """Whether ``engine.run`` accepts the ``on_tile`` hook."""
    import inspect
    try:
        params = inspect.signature(engine.run).parameters
    except (TypeError, ValueError):
        return False
    return "on_tile" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())
