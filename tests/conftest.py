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


# Converted OpenVINO models go to a cache of the tests' own (kept between runs: conversion takes
# seconds), never to the user's cache folder.  Tests of the cache itself use a fresh folder.
os.environ.setdefault("DEBLUR_STUDIO_CACHE",
                      str(Path(tempfile.gettempdir()) / "deblur-studio-test-cache"))
