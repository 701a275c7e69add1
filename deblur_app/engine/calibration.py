"""The photos the int8 network is calibrated on: ones that ship with the app, never validation
photos.

Post-training quantisation measures the range of every activation on a few inputs.  Those inputs
are crops of the bundled sample photo (``resources/samples``: a real photo with real camera
shake) and synthetic shaken scenes (:mod:`deblur_app.shake.synthetic`: shapes with sharp edges at
every angle, blurred by hand-held camera paths of :mod:`deblur_app.training.kernels`), all seeded,
so every machine makes the same int8 network from the same weights.  The scenes are toned three
ways, as they come, dark (a night sky with a bright moon) and bright (snow, a white wall): the
network's activations are largest at bright edges on black, and a range measured without them
clips there (a dark photo of the synthetic validation differed from float32 by 27 dB;
37 dB with them and the widest range, bench/RESULTS.md).  ``VERSION`` is
part of the cache key of the int8 model: change it when the set changes.
"""
from __future__ import annotations

import numpy as np

VERSION = 2
SAMPLES = 8          # the photos measured (the NNCF subset size)
SIZE = 384           # each one SIZE x SIZE pixels (the network takes any size: one model)


def calibration_photos(count: int | None = None, size: int | None = None) -> list[np.ndarray]:
    """``count`` float32 ``size x size x 3`` RGB photos in [0, 1]: up to two crops of the
    bundled sample, the rest synthetic shaken scenes."""
    count = SAMPLES if count is None else int(count)
    size = SIZE if size is None else int(size)
    photos = _sample_crops(min(2, count // 4), size)
    seed = 0
    while len(photos) < count:
        photos.append(_shaken_scene(1000 + seed, size, TONES[seed % len(TONES)],
                                    length=(8, 14, 22)[seed % 3]))
        seed += 1
    return photos


TONES = ("dark", "as is", "bright")


def _shaken_scene(seed: int, size: int, tone: str, length: float) -> np.ndarray:
    """A synthetic scene, toned, shaken along a hand-held path, with a little noise."""
    from ..shake.synthetic import blur, scene
    from ..training.kernels import shake_kernel
    rng = np.random.default_rng(seed)
    img = scene(rng, size, size)
    if tone == "dark":                       # mostly black, the brightest shapes stay bright
        img = img ** 4
    elif tone == "bright":
        img = 1 - (1 - img) ** 4
    out = blur(img, shake_kernel(rng, length, 31)) + rng.normal(0, 0.005, img.shape)
    return np.clip(out, 0, 1).astype(np.float32)


def _sample_crops(count: int, size: int) -> list[np.ndarray]:
    """Detailed crops of the bundled sample photo (none when it is missing)."""
    if count <= 0:
        return []
    import cv2

    from ..resources import sample_photo
    try:
        img = cv2.imread(str(sample_photo()), cv2.IMREAD_COLOR)
    except FileNotFoundError:
        return []
    if img is None or min(img.shape[:2]) < size:
        return []
    img = np.ascontiguousarray(img[..., ::-1]).astype(np.float32) / 255
    h, w = img.shape[:2]
    # evenly spread along the diagonal: sky, bridge and river, not one corner
    spots = [(int(t * (h - size)), int(t * (w - size))) for t in np.linspace(0.3, 0.9, count)]
    return [np.ascontiguousarray(img[y:y + size, x:x + size]) for y, x in spots]
