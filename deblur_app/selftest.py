"""``deblur-studio --self-test``: does this installation deblur?  Headless, no Qt at all.

Loads the default weights for the best device, deblurs the bundled sample and checks the
result: same size, finite, in range, different from the input and sharper than it.  Sharpness
is :func:`deblur_app.imaging.sharpness.gradient_energy` (mean squared gradient) after a light
Gaussian blur (sigma 1 px), so that the network's removal of noise and JPEG artefacts does not
count against it.  Prints one line and returns 0 (pass) or 1 (fail).
"""
from __future__ import annotations

import sys
import time

import numpy as np

from .imaging.sharpness import gradient_energy


def check(before: np.ndarray, after: np.ndarray) -> tuple[bool, str, float]:
    """(passed, reason when not, sharpness ratio after/before)."""
    if after is None or after.shape != before.shape:
        return False, f"output shape {getattr(after, 'shape', None)} != input {before.shape}", 0
    if not np.isfinite(after).all():
        return False, "output has NaN or infinite values", 0
    if after.min() < -1e-4 or after.max() > 1 + 1e-4:
        return False, f"output out of range [{after.min():.3f}, {after.max():.3f}]", 0
    diff = float(np.abs(after - before).mean())
    if diff < 1e-3:
        return False, f"output is (nearly) the input (mean difference {diff:.5f})", 0
    ratio = gradient_energy(after, 1.0) / max(gradient_energy(before, 1.0), 1e-12)
    if ratio <= 1.0:
        return False, f"output is not sharper than the input (gradient energy x{ratio:.3f})", ratio
    return True, "", ratio


def run(device: str = "auto", out=sys.stdout, backend: str = "auto") -> int:
    t0 = time.perf_counter()
    try:
        from .engine import open_engine
        from .imaging.io import read_photo
        from .resources import sample_photo
        engine = open_engine(None, None, device, backend, None, 64, "auto")
        photo = read_photo(sample_photo())
        result = engine.run(photo.pixels, scales=("fine",))
        ok, reason, ratio = check(photo.pixels, result.fine)
    except Exception as exc:  # noqa: BLE001 - any failure is a failed self-test
        print(f"deblur-studio self-test FAILED: {type(exc).__name__}: {exc}", file=out)
        return 1
    secs = time.perf_counter() - t0
    what = (f"{engine.variant.title} on {engine.describe()}, {photo.width}x{photo.height} sample "
            f"in {result.seconds:.1f} s ({secs:.1f} s in all)")
    if ok:
        print(f"deblur-studio self-test OK: {what}, sharpness x{ratio:.3f}", file=out)
        return 0
    print(f"deblur-studio self-test FAILED: {what}: {reason}", file=out)
    return 1
