import os
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


@pytest.fixture
def one_torch_thread():
    """Small tensors on a shared machine: one thread is faster than several fighting for cores
    (the training tests: 36 s instead of 110 s under load)."""
    import torch
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
