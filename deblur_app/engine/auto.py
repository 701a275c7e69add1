"""Auto: the right method for each photo, with the network's contract, and the reason why.

    auto = AutoDeblurrer(network, shake)          # an open network and a ShakeDeblurrer
    result = auto.run(pixels, scales=("fine",), progress=cb, cancel=token)
    result.choice, result.reason                  # "shake", "a camera shake of about 14 px ..."

Per photo (:func:`deblur_app.judge.judge_photo` judges it, :func:`decide` chooses):

- already sharp: the photo is returned as it was ("unchanged");
- a camera shake found with confidence (the judge's quick estimate on a shrunk copy, one kernel
  size): shake estimation (when its own estimate on the whole photo then refuses, the network);
- any other blur: the network, of whose change only the fine detail is kept
  (:func:`keep_detail`): it was measured to shift tones and colours, which no blur does.

The methods know nothing of this module; the judge knows nothing of the methods' results.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..judge import Judgement, judge_photo
from .inference import Restored, run_arguments
from .progress import CancelToken, Progress, takes_tiles
from .scales import FACTORS, SCALES, scale_size

UNCHANGED, NETWORK, SHAKE = "unchanged", "network", "shake"
# Do no harm with the network: of its change to the photo, only the fine detail (what a
# Gaussian of this sigma, in px, removes) is kept; the photo keeps its own tones and shapes.
# A blur keeps a photo's low frequencies, so a deblurred photo has the blurred one's; the
# shipped network was measured to shift them (tone and colour casts, up to -20 dB on sharp
# and soft photos of the calibration bank), and keeping only its detail turned its mean on
# the bank's blurred photos from -1.3 to +0.1 dB (docs/auto.md).
NETWORK_DETAIL_SIGMA = 1.0

@dataclass(frozen=True)
class MethodInfo:
    name: str
    title: str


AUTO = MethodInfo("auto", "Auto")


@dataclass
class AutoRestored(Restored):
    """A :class:`Restored` that also says which method Auto chose and why."""
    choice: str = ""                     # unchanged | network | shake
    reason: str = ""
    judgement: Judgement | None = None
    judge_seconds: float = 0.0


@dataclass
class AutoChoice:
    """What Auto did to the last photo (the processing record reads it)."""
    choice: str
    reason: str
    engine: object | None = None         # the method that ran, None when unchanged
    judgement: dict = field(default_factory=dict)


def keep_detail(image: np.ndarray, restored: np.ndarray,
                sigma: float = NETWORK_DETAIL_SIGMA) -> np.ndarray:
    """``image`` plus the fine detail of the network's change to it (see
    NETWORK_DETAIL_SIGMA): ``image + d - G(d)`` with ``d = restored - image``."""
    import cv2
    d = restored - image
    d -= cv2.GaussianBlur(d, (0, 0), sigma)
    return np.clip(image + d, 0.0, 1.0).astype(np.float32)


def decide(j: Judgement) -> tuple[str, str]:
    """(method, reason) for a judged photo."""
    if j.kind == "sharp":
        return UNCHANGED, j.reason
    if j.kind == "shake":
        return SHAKE, j.reason
    if j.kind == "unclear":
        return NETWORK, j.reason + "; the network, its fine detail only"
    return NETWORK, j.reason


class AutoDeblurrer:
    """Judges each photo, then runs the network, shake estimation, or nothing."""

    method = "auto"
    variant = AUTO

    def __init__(self, network, shake, judge=judge_photo):
        self.network = network
        self.shake = shake
        self.judge = judge
        self.last: AutoChoice | None = None
        self.last_kernel = None               # the blur trace, when shake estimation ran
        self.seconds_per_mp: float | None = None

    @property
    def source(self) -> str:
        return getattr(self.network, "source", "") or ""

    @property
    def device(self) -> str:
        return getattr(self.network, "device", "cpu")

    def describe(self) -> str:
        return f"the photo's blur decides; network on {self.network.describe()}"

    def estimate_seconds(self, height: int, width: int) -> float | None:
        if self.seconds_per_mp is not None:
            return self.seconds_per_mp * height * width / 1e6
        return self.network.estimate_seconds(height, width)

    def run(self, image: np.ndarray, scales=SCALES, progress: Progress | None = None,
            cancel: CancelToken | None = None, on_tile=None) -> AutoRestored:
        """``on_tile``: finished tiles, handed on when shake estimation runs (the network's
        tiles are not final here: only their fine detail is kept at the end)."""
        image, scales, progress, cancel = run_arguments(image, scales, progress, cancel)
        t0 = time.perf_counter()
        progress(0, 1, "judging the blur")
        j = self.judge(image, progress=progress, cancel=cancel, fast=True)
        cancel.check()
        choice, reason = decide(j)
        engine = None
        notes: list[str] = []
        if choice == SHAKE:
            res = (self.shake.run(image, scales, progress, cancel, on_tile=on_tile)
                   if on_tile is not None and takes_tiles(self.shake)
                   else self.shake.run(image, scales, progress, cancel))
            if res.kernel is None:       # its estimate on the whole photo disagrees
                choice = NETWORK
                reason = (f"{reason}, but shake estimation on the whole photo refused "
                          f"({res.notes[0] if res.notes else 'no clear shake'}): the network")
            else:
                engine = self.shake
                notes += res.notes
        if choice == NETWORK:
            res = self.network.run(image, scales, progress, cancel)
            engine = self.network
            notes += res.notes
            for s in scales:                 # do no harm: its fine detail only
                setattr(res, s, keep_detail(_shrink(image, s), getattr(res, s)))
        if choice == UNCHANGED:
            res = Restored(device="cpu")
            for s in scales:
                setattr(res, s, _shrink(image, s))
        title = {UNCHANGED: "left unchanged", NETWORK: "the network", SHAKE: "shake estimation"}
        note = f"Auto: {title[choice]}: {reason}"
        out = AutoRestored(fine=res.fine, mid=res.mid, coarse=res.coarse, device=res.device,
                           tiles=res.tiles, notes=[note] + notes, kernel=res.kernel,
                           choice=choice, reason=reason, judgement=j,
                           judge_seconds=j.seconds)
        out.seconds = time.perf_counter() - t0
        self.last = AutoChoice(choice, reason, engine, j.as_dict())
        self.last_kernel = res.kernel if choice == SHAKE else None
        self.seconds_per_mp = out.seconds / max(image.shape[0] * image.shape[1] / 1e6, 1e-3)
        return out


def _shrink(image: np.ndarray, scale: str) -> np.ndarray:
    if FACTORS[scale] == 1:
        return image
    import cv2
    return cv2.resize(image, scale_size(image.shape[1], image.shape[0], scale),
                      interpolation=cv2.INTER_AREA)
