import os
import tempfile
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
LITE = ROOT / "weights" / "mimo-unet-lite.safetensors"


@pytest.fixture(scope="session")
def lite_weights() -> Path:
    assert LITE.is_file(), "the shipped lite weights are part of the repository"
    return LITE


@pytest.fixture(scope="session")
def sample_rgb() -> np.ndarray:
    """A real photo (the bundled sample) as float32 RGB."""
    from deblur_app.imaging.io import read_photo
    from deblur_app.resources import sample_photo
    return read_photo(sample_photo()).pixels


class IdentityEngine:
    """A restoration engine double: every scale is the photo itself (area-resized), made in
    ``tiles`` steps of ``delay`` seconds each, with the real progress and cancel protocol.
    Lets batch and window tests run in milliseconds, or for as long as they need."""

    progress_total = True       # one (done, total) over the whole run, as the contract asks

    def __init__(self, delay: float = 0.0, tiles: int = 1, busy: bool = False):
        from types import SimpleNamespace
        self.delay, self.tiles, self.busy = delay, tiles, busy   # busy: compute, not sleep
        self.variant = SimpleNamespace(name="identity", title="Identity (test double)")
        self.source = "test double"
        self.device = "cpu"
        self.runs = 0

    def describe(self) -> str:
        return "the CPU (test double)"

    def estimate_seconds(self, height: int, width: int) -> float | None:
        return self.delay * self.tiles

    def run(self, image, scales=("coarse", "mid", "fine"), progress=None, cancel=None,
            on_tile=None):
        """``on_tile``: each step hands out one band of rows of every scale (the tile hook)."""
        import time

        import cv2

        from deblur_app.engine import Restored
        from deblur_app.engine.scales import scale_size
        self.runs += 1
        h, w = image.shape[:2]
        outs = {}
        for s in scales:
            sw, sh = scale_size(w, h, s)
            out = image if (sw, sh) == (w, h) else cv2.resize(image, (sw, sh),
                                                               interpolation=cv2.INTER_AREA)
            outs[s] = out.astype(np.float32)
        for i in range(self.tiles):
            if cancel is not None:
                cancel.check()
            if self.delay and self.busy:      # real work on one thread for ``delay`` seconds
                end = time.perf_counter() + self.delay
                patch = np.ascontiguousarray(image[:128, :128])
                while time.perf_counter() < end:
                    np.sort(patch, axis=None)
            elif self.delay:
                time.sleep(self.delay)
            if on_tile is not None:
                for s, out in outs.items():
                    y0, y1 = i * out.shape[0] // self.tiles, (i + 1) * out.shape[0] // self.tiles
                    on_tile(s, y0, y1, 0, out.shape[1], out[y0:y1])
            if progress is not None:
                progress(i + 1, self.tiles, f"tile {i + 1}/{self.tiles}")
        res = Restored(tiles=self.tiles)
        for s in scales:
            setattr(res, s, outs[s])
        return res


@pytest.fixture
def identity_engine():
    return IdentityEngine()


@pytest.fixture
def cli_with_identity_engine(monkeypatch):
    """The `deblur` command with the engine double instead of a network."""
    import deblur_app.cli as cli
    engine = IdentityEngine()
    monkeypatch.setattr(cli, "open_engine", lambda *a, **k: engine)
    return cli.main


@pytest.fixture
def one_torch_thread():
    """Small tensors on a shared machine: one thread is faster than several fighting for cores
    (the training tests: 36 s instead of 110 s under load)."""
    import torch
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
# Converted OpenVINO models go to a cache of the tests' own (kept between runs: conversion takes
# seconds), never to the user's cache folder.  Tests of the cache itself use a fresh folder.
os.environ.setdefault("DEBLUR_STUDIO_CACHE",
                      str(Path(tempfile.gettempdir()) / "deblur-studio-test-cache"))
