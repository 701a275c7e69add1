"""The training data made on the device (run here on the CPU at small sizes): batched kernels,
the photo bank, every blur mode, JPEG-like compression, determinism for a seed.

On a GPU machine: ``DEBLUR_TEST_DEVICE=cuda python -m pytest tests/test_training_pipeline.py``
runs the same tests with every tensor and generator on the GPU."""
import os

import numpy as np
import pytest
import torch

from deblur_app.training import batch_kernels as BK
from deblur_app.training.batch_synth import (MODES, BatchMaker, SynthConfig, camera_paths,
                                             jpeg_like, synthesize)
from deblur_app.training.data import dead_leaves
from deblur_app.training.sharp_bank import SharpBank, augment, leaves_images



pytestmark = pytest.mark.usefixtures("one_torch_thread")
DEVICE = os.environ.get("DEBLUR_TEST_DEVICE", "cpu")


@pytest.fixture(autouse=True)
def on_device():
    if DEVICE == "cpu":
        yield
        return
    torch.set_default_device(DEVICE)
    yield
    torch.set_default_device("cpu")


def _gen(seed=0):
    return torch.Generator(DEVICE).manual_seed(seed)


def _t(a: np.ndarray) -> torch.Tensor:
    """An HxWx3 array as a (3, H, W) float tensor in [0, 1] on the test device."""
    a = torch.from_numpy(np.ascontiguousarray(a)).to(DEVICE).permute(2, 0, 1).float()
    return a / 255 if a.max() > 1 else a


def _np(x: torch.Tensor) -> np.ndarray:
    return x.permute(1, 2, 0).cpu().numpy()


@pytest.mark.parametrize("kind", BK.KINDS)
@pytest.mark.parametrize("size", [33, 65])
def test_batched_kernels_sum_to_one_and_fit(kind, size):
    s = torch.tensor([0.0, 0.5, 1.0, 1.0])
    k = BK.kernels_for(_gen(1), kind, s, size)
    assert k.shape == (4, size, size) and k.dtype == torch.float32
    assert torch.allclose(k.sum(dim=(1, 2)), torch.ones(4), atol=1e-5)
    assert (k >= 0).all()
    border = k[:, 0].sum(1) + k[:, -1].sum(1) + k[:, :, 0].sum(1) + k[:, :, -1].sum(1)
    assert (border < 1e-3).all()  # the longest blur still fits the kernel


def test_stronger_shake_spreads_wider_and_samples_differ():
    k = BK.kernels_for(_gen(2), "shake", torch.tensor([0.05, 0.4, 1.0]), 65)
    spread = [(ki > 1e-4).sum().item() for ki in k]
    assert spread[0] < spread[1] < spread[2]
    two = BK.kernels_for(_gen(3), "shake", torch.tensor([0.7, 0.7]), 65)
    assert not torch.allclose(two[0], two[1])  # each sample has its own trajectory


def test_smooth_walk_is_the_recursion():
    u = torch.randn(3, 50, generator=_gen(4), dtype=torch.float64)
    a = torch.tensor([0.9, 0.99, 0.5], dtype=torch.float64)
    w, ref = BK.smooth_walk(u, a), torch.zeros_like(u)
    prev = torch.zeros(3, dtype=torch.float64)
    for t in range(50):
        prev = a * prev + u[:, t]
        ref[:, t] = prev
    assert torch.allclose(w, ref, atol=1e-9)


def test_rasterise_is_bilinear():
    centre = BK.rasterise(torch.zeros(1, 5, 2), 9)[0]
    assert centre[4, 4] == 1
    half = BK.rasterise(torch.tensor([[[0.5, 0.0]]]), 9)[0]
    assert torch.allclose(half[4, 4:6], torch.tensor([0.5, 0.5])) and abs(half.sum() - 1) < 1e-6
    line = BK.rasterise(BK.line_paths(torch.tensor([20.0]), torch.tensor([0.0])), 33)[0]
    assert (line[16] > 0).sum() >= 20 and line[16].sum() > 0.99  # one horizontal row


def test_bank_crops_shapes_orientation_and_symmetries():
    rng = np.random.default_rng(5)
    portrait = dead_leaves(rng, 160)[:, :100]      # 160 x 100
    tiny = dead_leaves(rng, 40)                    # too small for the crops: never drawn
    bank = SharpBank([portrait, tiny], DEVICE, leaves=leaves_images(1, 1, 96),
                     leaves_share=0.25)
    assert bank.nbytes == (160 * 100 + 40 * 40 + 96 * 96) * 3  # uint8, no padding
    # a crop is exactly a window of its photo
    only = SharpBank([portrait], DEVICE, leaves_share=0.0)
    one = only._cut(_gen(15), 1, 64)[0]
    ref = _t(portrait)
    hits = [(y, x) for y in range(160 - 63) for x in range(100 - 63)
            if torch.equal(ref[:, y:y + 64, x:x + 64], one)]
    assert len(hits) == 1
    x = bank.crops(_gen(6), 8, 64, margin=8)
    assert x.shape == (8, 3, 64, 64) and x.dtype == torch.float32
    assert 0 <= float(x.min()) and float(x.max()) <= 1
    assert (bank._weights(64)[1] == 0) and abs(float(bank._weights(64)[2]) - 0.25) < 1e-6
    img = torch.rand(1, 3, 6, 6)
    out = augment(img.repeat(16, 1, 1, 1), _gen(7))
    syms = [torch.rot90(img, k, (2, 3)) for k in range(4)]
    syms += [s.flip(3) for s in syms]
    assert all(any(torch.equal(o[None], s) for s in syms) for o in out)
    assert len({o.sum(0).flatten().tolist().__str__() for o in out}) > 1


def _sharp_batch(n, size, seed=8):
    rng = np.random.default_rng(seed)
    return torch.stack([_t(dead_leaves(rng, size)) for _ in range(n)])


@pytest.mark.parametrize("mode", MODES)
def test_every_mode_makes_a_blurred_pair(mode):
    cfg = SynthConfig(patch=48, kernel=33, highlight_share=0.0, jpeg_share=0.0, long_share=1.0)
    sharp = _sharp_batch(3, cfg.full)
    counts = [3 if m == mode else 0 for m in MODES]
    blurred, target = synthesize(sharp, _gen(9), cfg, counts)
    assert blurred.shape == target.shape == (3, 3, 48, 48)
    assert torch.allclose(blurred * 255, torch.round(blurred * 255), atol=1e-3)  # 8-bit
    inner = sharp[..., cfg.margin:-cfg.margin, cfg.margin:-cfg.margin]
    edges = lambda x: float((x[..., 1:] - x[..., :-1]).abs().mean())
    if mode == "none":  # only noise and 8 bits: the input is the target, nearly
        assert float((blurred - target).abs().mean()) < 0.02
    else:
        assert edges(blurred) < edges(target)  # blurred has lost detail (noise is small)
    if mode == "gopro":
        # the target is the middle frame: a foreground layer from another sample on top
        assert not torch.allclose(target, inner, atol=1e-3)
    else:
        assert torch.allclose(target, inner, atol=1e-4)  # without highlights: the crop itself


def test_gopro_target_shows_another_crop_inside_the_moving_object():
    # half of the samples blurred in sRGB values, half in linear light: the foreground layer
    # must be taken into each sample's own space
    cfg = SynthConfig(patch=48, kernel=33, highlight_share=0.0, jpeg_share=0.0, gamma_share=0.5)
    sharp = _sharp_batch(6, cfg.full, seed=16)
    _, target = synthesize(sharp, _gen(17), cfg, [0, 0, 0, 0, 0, 6, 0])
    inner = sharp[..., cfg.margin:-cfg.margin, cfg.margin:-cfg.margin]
    other = torch.roll(inner, 1, dims=0)
    changed = (target - inner).abs().amax(dim=1) > 1e-3
    from_other = (target - other).abs().amax(dim=1) < 1e-4
    for i in range(6):  # inside the object the middle frame is exactly the other crop
        assert changed[i].any()
        assert float((changed[i] & from_other[i]).sum()) > 0.7 * float(changed[i].sum())


def test_blur_in_linear_light_brightens_and_in_srgb_values_does_not():
    sharp = _sharp_batch(4, 112, seed=13)
    shift = {}
    for share in (0.0, 1.0):
        cfg = SynthConfig(patch=48, kernel=33, highlight_share=0.0, jpeg_share=0.0,
                          long_share=1.0, gamma_share=share)
        b, t = synthesize(sharp, _gen(14), cfg, [4, 0, 0, 0, 0, 0, 0])
        shift[share] = float((b - t).mean())
    assert shift[0.0] > 0.004 and abs(shift[1.0]) < 0.002


def test_camera_paths_are_still_at_the_middle_frame():
    mats = camera_paths(_gen(10), torch.tensor([0.3, 1.0]), 64, 64, frames=9)
    assert mats.shape == (2, 9, 3, 3)
    assert torch.allclose(mats[:, 4], torch.eye(3).expand(2, 3, 3), atol=1e-5)
    assert not torch.allclose(mats[:, 0], mats[:, 4])


def test_jpeg_like_matches_a_real_codec():
    from deblur_app.training.degrade import jpeg_roundtrip
    from deblur_app.training.metrics import psnr
    img = dead_leaves(np.random.default_rng(11), 96).astype(np.float32) / 255
    x = _t(img)[None]
    for q in (60, 85):
        ours = _np(jpeg_like(x, torch.tensor([q]))[0])
        assert psnr(ours, jpeg_roundtrip(img, q)) > 33  # OpenCV's libjpeg, 4:2:0 as ours
        assert psnr(ours, img) < 30                     # and it does lose detail
    near = _np(jpeg_like(x, torch.tensor([100]))[0])
    assert psnr(near, img) > 45


def test_batches_are_deterministic_for_a_seed_and_resume_exactly():
    bank = SharpBank([], DEVICE, leaves=leaves_images(3, 2, 160), leaves_share=1.0)
    cfg = SynthConfig(patch=32, kernel=33)
    a, b = BatchMaker(bank, cfg, seed=5), BatchMaker(bank, cfg, seed=5)
    first = a.next(6)
    assert all(torch.equal(u, v) for u, v in zip(first, b.next(6)))
    other = BatchMaker(bank, cfg, seed=6).next(6)
    assert not torch.equal(first[0], other[0])
    state = a.state()
    expected = a.next(6)
    c = BatchMaker(bank, cfg, seed=99)
    c.load_state(state)
    assert all(torch.equal(u, v) for u, v in zip(expected, c.next(6)))
