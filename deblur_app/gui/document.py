"""The photo open in the window: the original, what each method made of it, where it went.

Full-resolution float arrays stay here for saving; the viewer paints only the 8-bit pyramids.
Each method keeps its latest :class:`Result` for the photo (so the two can be compared), and
one of them is shown.  A quick preview fills ``after`` with the original everywhere except the
previewed ``region``, where the method's output is pasted (computed at screen resolution);
``restored`` is only set once the whole photo is done.  A whole-photo run fills its result in
tile by tile; ``pending`` lists the boxes still showing the original (a cancelled run keeps
what was done).  No Qt here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..engine import Restored
from ..engine.scales import scale_size
from ..imaging.io import Photo
from .pyramid import Pyramid


@dataclass(frozen=True)
class Region:
    """A rectangle of the original, in its pixels; corners on multiples of 4."""
    x: int
    y: int
    width: int
    height: int

    @property
    def area(self) -> int:
        return self.width * self.height


@dataclass
class DeblurOutcome:
    """What a deblur run hands the window: the scales' pyramids, ready to paint."""
    after: dict[str, Pyramid]
    region: Region | None                 # None: the whole photo
    restored: Restored | None             # set for whole-photo runs (kept for saving)
    model_title: str = ""
    device: str = ""
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    kernel: np.ndarray | None = None       # shake estimation's kernel (None: none found)
    method: str = "network"
    label: str = ""                        # the method and its settings, in words
    resolution: float = 1.0                # a preview computed at this fraction of full size
    engine: object = None                  # what made it (for the processing record)


@dataclass(eq=False)
class Result:
    """One method's result for the photo."""
    method: str
    label: str
    after: dict[str, Pyramid]
    region: Region | None = None
    restored: Restored | None = None
    model_title: str = ""
    resolution: float = 1.0
    notes: list[str] = field(default_factory=list)
    kernel: np.ndarray | None = None
    engine: object = None
    saved_to: Path | None = None
    # while filling in (or cancelled): the boxes (x0, y0, x1, y1), in photo pixels, that are
    # done; the rest still shows the original.  None: the result is whole.
    filled: list[tuple[int, int, int, int]] | None = None
    cancelled: bool = False

    @property
    def partial(self) -> bool:
        return self.filled is not None

    @property
    def complete(self) -> bool:
        return self.restored is not None

    @property
    def unsaved(self) -> bool:
        return self.complete and self.saved_to is None

    @property
    def unchanged(self) -> bool:
        """The method left the photo as it was (shake estimation found no clear shake)."""
        return self.method == "shake" and self.kernel is None and self.filled is None


@dataclass(eq=False)
class PhotoDocument:
    path: Path
    photo: Photo
    before: Pyramid
    results: dict[str, Result] = field(default_factory=dict)
    shown: str | None = None               # the method whose result is shown

    @property
    def size(self) -> tuple[int, int]:
        return self.photo.width, self.photo.height

    @property
    def result(self) -> Result | None:
        return self.results.get(self.shown) if self.shown else None

    # -- the shown result, for the viewer and for saving -----------------------------------
    @property
    def after(self) -> dict[str, Pyramid]:
        r = self.result
        return r.after if r else {}

    @property
    def region(self) -> Region | None:
        r = self.result
        return r.region if r else None

    @property
    def restored(self) -> Restored | None:
        r = self.result
        return r.restored if r else None

    @property
    def model_title(self) -> str:
        r = self.result
        return r.model_title if r else ""

    @property
    def saved_to(self) -> Path | None:
        r = self.result
        return r.saved_to if r else None

    @saved_to.setter
    def saved_to(self, path: Path | None) -> None:
        if self.result is not None:
            self.result.saved_to = path

    @property
    def has_result(self) -> bool:
        return bool(self.after)

    @property
    def complete(self) -> bool:
        """Whether the whole photo has been deblurred by the shown method (it can be saved)."""
        r = self.result
        return r is not None and r.complete

    def unsaved(self) -> list[Result]:
        """Whole-photo results nobody saved yet."""
        return [r for r in self.results.values() if r.unsaved]

    def apply(self, outcome: DeblurOutcome) -> Result:
        result = Result(outcome.method, outcome.label, outcome.after, outcome.region,
                        outcome.restored, outcome.model_title, outcome.resolution,
                        list(outcome.notes), outcome.kernel, outcome.engine)
        self.results[outcome.method] = result
        self.shown = outcome.method
        return result

    def show(self, method: str | None) -> bool:
        if method is None or method in self.results:
            self.shown = method
            return True
        return False

    def scale_size(self, scale: str) -> tuple[int, int]:
        """True size of a scale's output."""
        return scale_size(*self.size, scale)

    @property
    def nbytes(self) -> int:
        """Memory held (roughly), for deciding how many photos to keep for Back."""
        n = self.photo.pixels.nbytes + sum(level.nbytes for level in self.before.levels)
        for r in self.results.values():
            for p in r.after.values():
                n += sum(level.nbytes for level in p.levels)
            if r.restored is not None:
                n += sum(getattr(r.restored, s).nbytes for s in ("coarse", "mid", "fine")
                         if getattr(r.restored, s) is not None)
        return n
