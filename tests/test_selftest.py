"""The self-test judges its result without any window."""
import cv2
import numpy as np


def test_self_test_check_judges_sharpness():
    from deblur_app.selftest import check
    rng = np.random.default_rng(0)
    sharp = np.zeros((64, 96, 3), np.float32)
    sharp[:, ::8] = 1.0
    sharp += rng.normal(0, 0.01, sharp.shape).astype(np.float32)
    sharp = np.clip(sharp, 0, 1)
    blurred = cv2.GaussianBlur(sharp, (0, 0), 2.0)
    assert check(blurred, sharp)[0]
    assert not check(sharp, blurred)[0]
    assert not check(blurred, blurred)[0]
    assert not check(blurred, sharp[:32])[0]
    nan = sharp.copy()
    nan[0, 0, 0] = np.nan
    assert not check(blurred, nan)[0]
