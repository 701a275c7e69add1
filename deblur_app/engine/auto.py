"""Auto: the right method for each photo, with the network's contract, and the reason why.

    auto = AutoDeblurrer(network, shake)          # an open network and a ShakeDeblurrer
    result = auto.run(pixels, scales=("fine",), progress=cb, cancel=token)
    result.choice, result.reason                  # "shake", "a camera shake of about 14 px ..."

Per photo (:func:`deblur_app.judge.judge_photo` judges it, :func:`decide` chooses):

- already sharp: the photo is returned as it was ("unchanged");
- a camera shake found with confidence: shake estimation (when its own estimate on the whole
  photo then refuses, the network);
- any other blur: the network, blended with the photo by :func:`network_strength`: where the
  network was measured to make photos worse (nearly sharp ones), it is stopped or toned down.

The methods know nothing of this module; the judge knows nothing of the methods' results.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from ..judge import Judgement, judge_photo
from .inference import Restored, run_arguments
from .progress import CancelToken, Progress
from .scales import FACTORS, SCALES, scale_size

UNCHANGED, NETWORK, SHAKE = "unchanged", "network", "shake"
# The network's strength by blur width (px): none below FULL_OFF, full from FULL_ON, linear
# between.  Calibrated on the bank of scripts/measure_auto.py (docs/auto.md).
NETWORK_OFF_PX = 1.0
NETWORK_ON_PX = 1.0


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
    strength: float = 1.0                # the network's blend with the photo (1 = all network)
    judge_seconds: float = 0.0


@dataclass
class AutoChoice:
    """What Auto did to the last photo (the processing record reads it)."""
    choice: str
    reason: str
    engine: object | None = None         # the method that ran, None when unchanged
    strength: float = 1.0
    judgement: dict = field(default_factory=dict)


def network_strength(j: Judgement) -> float:
    """How much of the network's result to keep for a photo judged ``j`` (0..1)."""
    w = j.blur_px
    if not math.isfinite(w):
        return 1.0
    if w >= NETWORK_ON_PX:
        return 1.0
    if w < NETWORK_OFF_PX:
        return 0.0
    return round((w - NETWORK_OFF_PX) / (NETWORK_ON_PX - NETWORK_OFF_PX) * 4) / 4  # 0.25 steps


def decide(j: Judgement) -> tuple[str, float, str]:
    """(method, network strength, reason) for a judged photo."""
    if j.kind == "sharp":
        return UNCHANGED, 0.0, j.reason
    if j.kind == "shake":
        return SHAKE, 1.0, j.reason
    if j.kind == "unclear":
        return NETWORK, 1.0, j.reason + "; the network does little harm there"
    s = network_strength(j)
    if s <= 0:
        return UNCHANGED, 0.0, (j.reason + "; too little blur for the network to help "
                                "(it was measured to make such photos worse)")
    if s < 1:
        return NETWORK, s, j.reason + f"; the network blended at {s * 100:.0f} % (mild blur)"
    return NETWORK, 1.0, j.reason


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
            cancel: CancelToken | None = None) -> AutoRestored:
        image, scales, progress, cancel = run_arguments(image, scales, progress, cancel)
        t0 = time.perf_counter()
        progress(0, 1, "judging the blur")
        j = self.judge(image, progress=progress, cancel=cancel)
        cancel.check()
        choice, strength, reason = decide(j)
        engine = None
        notes: list[str] = []
        if choice == SHAKE:
            res = self.shake.run(image, scales, progress, cancel)
            if res.kernel is None:       # its estimate on the whole photo disagrees
                choice, strength = NETWORK, 1.0
                reason = (f"{reason}, but shake estimation on the whole photo refused "
                          f"({res.notes[0] if res.notes else 'no clear shake'}): the network")
            else:
                engine = self.shake
                notes += res.notes
        if choice == NETWORK:
            res = self.network.run(image, scales, progress, cancel)
            engine = self.network
            notes += res.notes
            if strength < 1:
                for s in scales:
                    base = _shrink(image, s)
                    out = getattr(res, s)
                    setattr(res, s, (base + strength * (out - base)).astype(np.float32))
        if choice == UNCHANGED:
            res = Restored(device="cpu")
            for s in scales:
                setattr(res, s, _shrink(image, s))
        title = {UNCHANGED: "left unchanged", NETWORK: "the network", SHAKE: "shake estimation"}
        note = f"Auto: {title[choice]}: {reason}"
        out = AutoRestored(fine=res.fine, mid=res.mid, coarse=res.coarse, device=res.device,
                           tiles=res.tiles, notes=[note] + notes, kernel=res.kernel,
                           choice=choice, reason=reason, judgement=j, strength=strength,
                           judge_seconds=j.seconds)
        out.seconds = time.perf_counter() - t0
        self.last = AutoChoice(choice, reason, engine, strength, j.as_dict())
        self.last_kernel = res.kernel if choice == SHAKE else None
        self.seconds_per_mp = out.seconds / max(image.shape[0] * image.shape[1] / 1e6, 1e-3)
        return out


def _shrink(image: np.ndarray, scale: str) -> np.ndarray:
    if FACTORS[scale] == 1:
        return image
    import cv2
    return cv2.resize(image, scale_size(image.shape[1], image.shape[0], scale),
                      interpolation=cv2.INTER_AREA)
