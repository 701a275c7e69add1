"""The photo open in the window: the original, what the network made of it, and where it went.

Full-resolution float arrays stay here for saving; the viewer paints only the 8-bit pyramids.
A quick preview fills ``after`` with the original everywhere except the previewed ``region``,
where the network's output is pasted; ``restored`` is only set once the whole photo is done.
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


@dataclass(eq=False)
class PhotoDocument:
    path: Path
    photo: Photo
    before: Pyramid
    after: dict[str, Pyramid] = field(default_factory=dict)
    region: Region | None = None
    restored: Restored | None = None
    model_title: str = ""
    saved_to: Path | None = None

    @property
    def size(self) -> tuple[int, int]:
        return self.photo.width, self.photo.height

    @property
    def has_result(self) -> bool:
        return bool(self.after)

    @property
    def complete(self) -> bool:
        """Whether the whole photo has been deblurred (so it can be saved)."""
        return self.restored is not None

    def apply(self, outcome: DeblurOutcome) -> None:
        self.after = outcome.after
        self.region = outcome.region
        self.model_title = outcome.model_title
        if outcome.restored is not None:
            self.restored = outcome.restored
            self.saved_to = None

    def scale_size(self, scale: str) -> tuple[int, int]:
        """True size of a scale's output."""
        return scale_size(*self.size, scale)
