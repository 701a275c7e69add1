"""Post-processing: unsharp mask, contrast, settings."""

from __future__ import annotations

import time

import cv2
import numpy as np
import pytest

from deblur_app.imaging.postprocess import (
    PostSettings,
    adjust_contrast,
    apply_post,
    unsharp_mask,
)

H, W = 48, 64


def blurred_edge() -> np.ndarray:
    img = np.full((H, W, 3), 0.25, np.float32)
    img[:, W // 2:] = 0.75
    return cv2.GaussianBlur(img, (0, 0), 2.0)


def high_frequency_energy(img: np.ndarray) -> float:
    return float(np.square(cv2.Laplacian(img, cv2.CV_32F)).sum())


def flat_texture(seed: int = 3, contrast: float = 0.05) -> np.ndarray:
    """A dull, low-contrast colour image whose average colour is neutral grey."""
    rng = np.random.default_rng(seed)
    texture = cv2.GaussianBlur(rng.standard_normal((H, W)).astype(np.float32), (0, 0), 2)
    texture /= np.abs(texture).max()
    base = np.stack([np.linspace(0.35, 0.65, W, dtype=np.float32)] * H)
    tint = rng.uniform(-0.05, 0.05, (H, W, 3)).astype(np.float32)
    tint -= tint.mean(axis=(0, 1))  # grey-balanced: the tints average out
    return np.clip((base + contrast * texture)[:, :, None] + tint, 0, 1).astype(np.float32)


def local_std(img: np.ndarray, size: int = 7) -> float:
    grey = img.mean(axis=2)
    mean = cv2.blur(grey, (size, size))
    var = cv2.blur(grey * grey, (size, size)) - mean * mean
    return float(np.sqrt(np.maximum(var, 0)).mean())


# ------------------------------------------------------------------------------------------
# Unsharp mask
# ------------------------------------------------------------------------------------------

def test_unsharp_mask_sharpens_a_blurred_edge():
    edge = blurred_edge()
    sharp = unsharp_mask(edge, amount=1.0, radius=1.5)
    assert sharp.dtype == np.float32 and sharp.shape == edge.shape
    assert high_frequency_energy(sharp) > 1.5 * high_frequency_energy(edge)
    assert sharp.min() >= 0.0 and sharp.max() <= 1.0
    # steeper transition across the edge, flat areas unchanged
    row = H // 2
    assert np.abs(np.diff(sharp[row, :, 0])).max() > np.abs(np.diff(edge[row, :, 0])).max()
    assert np.allclose(sharp[:, :5], edge[:, :5], atol=1e-5)
    stronger = unsharp_mask(edge, amount=2.0, radius=1.5)
    assert high_frequency_energy(stronger) > high_frequency_energy(sharp)


def test_unsharp_mask_identity_at_zero_amount():
    edge = blurred_edge()
    assert unsharp_mask(edge, amount=0.0) is edge
    assert unsharp_mask(edge, amount=1.0, radius=0.0) is edge
    assert np.array_equal(unsharp_mask(edge.copy(), 0.0), edge)


def test_unsharp_mask_clips_to_unit_range():
    img = np.zeros((H, W, 3), np.float32)
    img[:, W // 2:] = 1.0
    out = unsharp_mask(img, amount=3.0, radius=2.0)
    assert out.min() == 0.0 and out.max() == 1.0


def test_unsharp_mask_threshold_spares_fine_noise_but_not_edges():
    rng = np.random.default_rng(0)
    noisy = blurred_edge() + rng.normal(0, 0.003, (H, W, 3)).astype(np.float32)
    plain = unsharp_mask(noisy, amount=1.5, radius=1.0)
    held = unsharp_mask(noisy, amount=1.5, radius=1.0, threshold=0.02)
    flat = (slice(None), slice(0, 10))
    assert np.abs(held[flat] - noisy[flat]).max() < 1e-6  # noise below threshold untouched
    assert np.abs(plain[flat] - noisy[flat]).max() > 1e-3
    assert high_frequency_energy(held) > 1.5 * high_frequency_energy(blurred_edge())


def test_unsharp_mask_accepts_float64_and_returns_float32():
    out = unsharp_mask(blurred_edge().astype(np.float64), 1.0)
    assert out.dtype == np.float32


# ------------------------------------------------------------------------------------------
# Contrast
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("local", [True, False])
def test_contrast_increases_local_standard_deviation(local):
    img = flat_texture()
    out = adjust_contrast(img, amount=0.8, local=local)
    assert out.dtype == np.float32 and out.shape == img.shape
    assert out.min() >= 0.0 and out.max() <= 1.0
    assert local_std(out) > 1.15 * local_std(img)
    weaker = adjust_contrast(img, amount=0.3, local=local)
    assert local_std(img) < local_std(weaker) < local_std(out)


def test_local_contrast_stronger_than_global_on_flat_detail():
    img = flat_texture()
    assert local_std(adjust_contrast(img, 1.0, local=True)) > local_std(
        adjust_contrast(img, 1.0, local=False))


def test_contrast_identity_at_zero():
    img = flat_texture()
    assert adjust_contrast(img, 0.0) is img
    assert adjust_contrast(img, 0.0, local=False) is img


def test_contrast_keeps_colour_balance():
    img = flat_texture()
    out = adjust_contrast(img, 1.0)
    before = img.mean(axis=(0, 1))
    after = out.mean(axis=(0, 1))
    # the average stays neutral grey: channel differences barely move
    assert np.abs((after - after.mean()) - (before - before.mean())).max() < 0.005
    assert np.abs(after - before).max() < 0.05
    # per pixel, colour differences (chroma) are kept: only lightness moves
    assert np.abs((out - out.mean(axis=2, keepdims=True))
                  - (img - img.mean(axis=2, keepdims=True))).max() < 1e-5
    grey = np.repeat(img.mean(axis=2, keepdims=True), 3, axis=2)
    grey_out = adjust_contrast(grey, 1.0)
    assert np.abs(grey_out - grey_out[:, :, :1]).max() < 1e-6  # greys stay grey


def test_contrast_is_smooth_on_gradients():
    ramp = np.repeat(np.linspace(0.1, 0.9, 256, dtype=np.float32)[None, :, None], 64, 0)
    ramp = np.repeat(ramp, 3, 2)
    out = adjust_contrast(ramp, 1.0)
    steps = np.diff(out[32, :, 0])
    assert np.abs(steps).max() < 4 * (0.8 / 255)  # no bands (8-bit quantised CLAHE would)
    assert adjust_contrast(np.zeros((8, 8, 3), np.float32), 1.0).max() == 0.0
    assert adjust_contrast(np.ones((8, 8, 3), np.float32), 1.0, local=False).min() == 1.0


# ------------------------------------------------------------------------------------------
# Settings
# ------------------------------------------------------------------------------------------

def test_post_settings():
    assert PostSettings().is_identity
    assert not PostSettings(sharpen_amount=0.5).is_identity
    assert not PostSettings(contrast=0.2).is_identity
    assert PostSettings(sharpen_amount=1.0, sharpen_radius=0.0).is_identity
    settings = PostSettings(0.8, 2.0, 0.01, 0.3)
    assert PostSettings.from_dict(settings.as_dict()) == settings
    assert PostSettings.from_dict({"contrast": "0.5", "unknown": 1}) == PostSettings(contrast=0.5)
    assert PostSettings.from_dict(None) == PostSettings()


def test_apply_post_order_and_identity():
    img = flat_texture()
    assert apply_post(img, PostSettings()) is img
    settings = PostSettings(sharpen_amount=1.0, sharpen_radius=1.2, contrast=0.5)
    expected = unsharp_mask(adjust_contrast(img, 0.5), 1.0, 1.2)
    assert np.array_equal(apply_post(img, settings), expected)
    assert apply_post(img, PostSettings(contrast=0.4)).dtype == np.float32


def test_preview_timing_report():
    """Rough timing on a 2-megapixel view (printed with -s; not an assertion)."""
    rng = np.random.default_rng(0)
    img = cv2.resize(rng.random((135, 240, 3), dtype=np.float32), (1920, 1080))
    settings = PostSettings(sharpen_amount=1.0, sharpen_radius=1.5, contrast=0.5)
    timings = {}
    for name, run in {
        "unsharp": lambda: unsharp_mask(img, 1.0, 1.5),
        "contrast": lambda: adjust_contrast(img, 0.5),
        "both": lambda: apply_post(img, settings),
    }.items():
        best = float("inf")
        for _ in range(3):  # best of three: the first call pays for OpenCV's warm-up
            start = time.perf_counter()
            run()
            best = min(best, time.perf_counter() - start)
        timings[name] = best * 1000
    print("2 MP post-processing (ms): " + ", ".join(f"{k} {v:.0f}" for k, v in timings.items()))
