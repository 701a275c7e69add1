"""Shake estimation: a known kernel recovered and removed, borders, clipped lights, refusals,
odd sizes, cancel, 16-bit, tiles, and the deblur command with --method shake."""
from pathlib import Path

import cv2
import numpy as np
import pytest

from deblur_app.cli import main
from deblur_app.engine import CancelToken, Cancelled
from deblur_app.imaging.io import read_photo
from deblur_app.shake import NO_SHAKE, ShakeDeblurrer, open_shake
from deblur_app.shake import kernel as K
from deblur_app.shake.deconvolve import deconvolve, deconvolve_block, noise_sigma
from deblur_app.shake.estimate import estimate_kernel
from deblur_app.shake.light import to_linear, to_srgb
from deblur_app.shake.synthetic import blur, scene, shaken
from deblur_app.training.kernels import linear_kernel
from deblur_app.training.metrics import psnr


# -- real photos (public-domain crops in tests/fixtures/shake) shaken as a camera shakes ---------
FIXTURES = Path(__file__).parent / "fixtures" / "shake"


def _real(name):
    return read_photo(FIXTURES / name).pixels


def _camera_shaken(sharp, length, seed, noise=0.005, jpeg=92):
    from deblur_app.shake.synthetic import camera_blur
    from deblur_app.training.kernels import shake_kernel
    rng = np.random.default_rng(seed)
    k = shake_kernel(rng, length, K.odd(length * 1.3 + 6))
    return camera_blur(sharp, k, rng, linear=True, noise=noise, jpeg=jpeg), k


@pytest.fixture(scope="module")
def shaky():
    return shaken(0, length=15)         # sharp, blurred, true kernel (25 px box)


@pytest.fixture(scope="module")
def real_shaky():
    """A real photo (public domain, tests/fixtures/shake) shaken as a camera shakes."""
    sharp = _real("bridge_1024x768.jpg")
    blurred, k = _camera_shaken(sharp, 15, seed=11)
    return sharp, blurred, k


@pytest.fixture(scope="module")
def restored(shaky):
    return open_shake().run(shaky[1])



@pytest.fixture(autouse=True)
def fresh_estimates():
    """Each test estimates for itself (the method remembers its last few estimates)."""
    from deblur_app.shake import engine as shake_engine
    shake_engine._ESTIMATES.clear()
    yield
    shake_engine._ESTIMATES.clear()

def test_a_shaken_real_photo_of_1_mp_gives_its_kernel_back_and_is_sharper(real_shaky):
    sharp, blurred, true_k = real_shaky
    res = open_shake().run(blurred)
    assert res.kernel is not None, res.notes
    assert K.similarity(res.kernel, true_k) >= 0.7
    assert abs(float(res.kernel.sum()) - 1) < 1e-4 and res.kernel.min() >= 0
    assert psnr(res.fine, sharp) >= psnr(blurred, sharp) + 1
    # the three scales have the network's sizes, and the small ones are sharper too
    h, w = sharp.shape[:2]
    assert res.mid.shape == (h // 2, w // 2, 3) and res.coarse.shape == (h // 4, w // 4, 3)
    small_sharp = cv2.resize(sharp, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    small_blur = cv2.resize(blurred, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    assert psnr(res.mid, small_sharp) > psnr(small_blur, small_sharp)


def test_borders_do_not_ring(shaky):
    sharp, blurred, true_k = shaky
    out = to_srgb(deconvolve(to_linear(blurred), true_k, 2000.0))    # blurred in linear light
    band = np.zeros(sharp.shape[:2], bool)
    band[:20], band[-20:], band[:, :20], band[:, -20:] = True, True, True, True
    inner = ~band
    gain_border = psnr(out[band], sharp[band]) - psnr(blurred[band], sharp[band])
    gain_inner = psnr(out[inner], sharp[inner]) - psnr(blurred[inner], sharp[inner])
    assert gain_border > 5 and gain_border > gain_inner - 6
    # a plain circular FFT deconvolution (no smooth extension) would ring at the borders
    wrapped = deconvolve_block(np.ascontiguousarray(to_linear(blurred).transpose(2, 0, 1)),
                               true_k, 2000.0)
    assert np.allclose(to_srgb(wrapped.transpose(1, 2, 0)), out, atol=1e-4)


def test_clipped_highlights_neither_spoil_the_kernel_nor_ring():
    rng = np.random.default_rng(7)
    hdr = scene(rng, 320, 320)
    for _ in range(6):                   # street lights: far brighter than the sensor holds
        cv2.circle(hdr, (int(rng.integers(320)), int(rng.integers(320))), 3, (4, 4, 4), -1)
    true_k = linear_kernel(11, 0.6, 21)
    blurred = np.clip(blur(hdr, true_k), 0, 1).astype(np.float32)
    sharp = np.clip(hdr, 0, 1)
    k = estimate_kernel(blurred.mean(axis=2), 21)
    assert K.similarity(k, true_k) >= 0.8
    out = deconvolve(blurred, true_k, 1000.0)
    near = cv2.dilate((hdr.max(axis=2) > 1).astype(np.uint8), np.ones((31, 31), np.uint8)) > 0
    assert psnr(out[near], sharp[near]) > psnr(blurred[near], sharp[near]) + 2
    assert psnr(out, sharp) > psnr(blurred, sharp) + 4


def test_flat_sky_is_refused_and_returned_unchanged():
    rng = np.random.default_rng(1)
    yy, xx = np.mgrid[0:240, 0:320].astype(np.float32)
    sky = np.stack([0.4 + 0.2 * yy / 240, 0.6 + 0.1 * xx / 320, 0.9 + 0 * xx], axis=-1)
    sky = np.clip(sky + rng.normal(0, 0.01, sky.shape), 0, 1).astype(np.float32)
    res = ShakeDeblurrer().run(sky)
    assert res.kernel is None and any(NO_SHAKE in n for n in res.notes)
    assert np.array_equal(res.fine, sky)
    assert res.mid.shape == (120, 160, 3) and res.coarse.shape == (60, 80, 3)


def test_a_sharp_photo_is_left_alone(shaky):
    res = ShakeDeblurrer().run(shaky[0], scales=("fine",))
    assert res.kernel is None and NO_SHAKE in res.notes[0]
    assert np.array_equal(res.fine, shaky[0])


@pytest.mark.parametrize("h,w", [(1, 1), (3, 200), (37, 53)])
def test_tiny_and_odd_sizes(h, w):
    img = np.random.default_rng(0).random((h, w, 3), dtype=np.float32)
    res = ShakeDeblurrer().run(img)
    assert res.fine.shape == (h, w, 3)
    assert res.mid.shape == (-(-h // 2), -(-w // 2), 3)
    assert res.coarse.shape == (-(-h // 4), -(-w // 4), 3)


def test_odd_sized_photo_is_deconvolved_with_right_sizes(shaky):
    _, blurred, true_k = shaky
    crop = blurred[:201, :157]
    res = ShakeDeblurrer(kernel_size=25).run(crop)
    assert res.fine.shape == (201, 157, 3) and res.coarse.shape == (51, 40, 3)


def test_tiles_match_the_whole_photo(shaky):
    _, blurred, true_k = shaky
    whole = deconvolve(blurred, true_k, 2000.0, tile=4096)
    tiled = deconvolve(blurred, true_k, 2000.0, tile=100)
    assert psnr(tiled, whole) > 45


class _CountingToken(CancelToken):
    """Cancels itself on the n-th check: proves checks happen inside the iterations."""

    def __init__(self, n):
        super().__init__()
        self.n, self.calls = n, 0

    def check(self):
        self.calls += 1
        if self.calls >= self.n:
            self.cancel()
        super().check()


def test_cancel_is_checked_inside_the_iterations(shaky):
    _, blurred, true_k = shaky
    block = np.ascontiguousarray(blurred.transpose(2, 0, 1))
    token = _CountingToken(3)
    with pytest.raises(Cancelled):
        deconvolve_block(block, true_k, 2000.0, token)     # one block, cancelled mid-way
    token = _CountingToken(5)
    with pytest.raises(Cancelled):
        estimate_kernel(blurred.mean(axis=2), 25, token)   # inside the first L0 solve
    calls = []
    token = CancelToken()

    def progress(done, total, message):
        calls.append(done)
        token.cancel()
    with pytest.raises(Cancelled):
        ShakeDeblurrer().run(blurred, progress=progress, cancel=token)
    assert len(calls) == 1


def test_sixteen_bit_levels_survive(shaky, restored):
    sharp = shaky[0]
    img16 = (np.round(sharp * 65535) / 65535).astype(np.float32)
    res = ShakeDeblurrer().run(img16, scales=("fine",))   # refused: returned bit for bit
    assert np.array_equal(res.fine, img16)
    assert len(np.unique(restored.fine)) > 4 * 256       # float out, not 8-bit levels


def test_noise_estimate_tracks_the_noise():
    rng = np.random.default_rng(0)
    flat = scene(rng, 256, 256).mean(axis=2)
    assert noise_sigma(flat) < 0.002
    noisy = flat + rng.normal(0, 0.02, flat.shape).astype(np.float32)
    assert 0.014 < noise_sigma(noisy) < 0.026


@pytest.mark.parametrize("opts,msg", [
    (["--kernel-size", "2"], "kernel size must be between"),
    (["--kernel-size", "big"], "kernel size must be a whole number"),
    (["--detail", "1.5"], "detail must be between 0 and 1"),
    (["--region", "1,2,3"], "region must be X,Y,W,H"),
    (["--region", "0,0,10,10"], "at least 32 px"),
])
def test_cli_rejects_bad_shake_options(tmp_path, capsys, opts, msg, shaky):
    photo = tmp_path / "a.png"
    cv2.imwrite(str(photo), (shaky[1][..., ::-1] * 255).astype(np.uint8))
    assert main([str(photo), "-o", str(tmp_path / "out"), "--method", "shake", *opts]) == 2
    err = capsys.readouterr().err
    assert msg in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_cli_shake_writes_16_bit_output_and_the_kernel(tmp_path, capsys, real_shaky):
    shaky = real_shaky
    photo = tmp_path / "shaky.png"
    cv2.imwrite(str(photo), (shaky[1][..., ::-1] * 65535 + 0.5).astype(np.uint16))
    out = tmp_path / "out"
    assert main([str(photo), "-o", str(out), "--method", "shake", "--save-kernel",
                 "--region", "0,0,1024,768", "--quiet"]) == 0
    result = read_photo(out / "shaky_deblurred.png")
    assert result.bit_depth == 16
    assert psnr(result.pixels, shaky[0]) > psnr(shaky[1], shaky[0]) + 1   # sharper
    kernel_png = read_photo(out / "shaky_deblurred_kernel.png")
    assert kernel_png.width >= 128 and kernel_png.pixels.max() == 1.0
    # the kernel picture is the trace of the blur: a bright line on black
    assert (kernel_png.pixels[..., 0] > 0.1).mean() < 0.3


def test_user_region_is_used_and_checked(shaky):
    _, blurred, true_k = shaky
    est = open_shake(region="32,48,300,300").estimate(blurred)
    assert est.region == (32, 48, 300, 300)
    cut = open_shake(region="300,300,400,400").estimate(blurred)    # clipped to the photo
    assert cut.region == (300, 300, 84, 84)
    with pytest.raises(ValueError, match="outside the 384x384 photo"):
        open_shake(region="370,0,100,100").estimate(blurred)


@pytest.fixture
def trusting(monkeypatch):
    """Every kernel found is trusted: for tests of what happens after the decision."""
    import deblur_app.shake.engine as shake_engine
    monkeypatch.setattr(shake_engine, "decide", lambda f: (1.0, "trusted by the test"))


def test_progress_covers_estimation_and_deconvolution(shaky, trusting):
    messages = []
    ShakeDeblurrer().run(shaky[1], scales=("fine",),
                         progress=lambda d, t, m: messages.append((d, t, m)))
    assert any(m.startswith("estimating the shake") for _, _, m in messages)
    assert any("deconvolving" in m for _, _, m in messages)
    assert messages[-1][0] == messages[-1][1]


def test_a_huge_user_region_is_narrowed_to_its_most_detailed_part(shaky, monkeypatch):
    import deblur_app.shake.engine as shake_engine
    monkeypatch.setattr(shake_engine, "REGION_PIXELS", 150 * 150)
    img = shaky[1].copy()
    img[:, :192] = 0.5                                 # the left half is flat
    est = open_shake(region="0,0,100000,100000").estimate(img)
    x, y, w, h = est.region
    assert w * h <= 150 * 150 and x >= 192 - 20


def test_estimates_are_remembered_by_photo_region_and_size(shaky, monkeypatch, trusting):
    _, blurred, _ = shaky
    calls = []
    real = ShakeDeblurrer.estimate
    monkeypatch.setattr(ShakeDeblurrer, "estimate",
                        lambda self, *a, **k: calls.append(1) or real(self, *a, **k))
    a = ShakeDeblurrer(None, None, 0.2).run(blurred, ("fine",))
    b = ShakeDeblurrer(None, None, 0.9).run(blurred, ("fine",))      # only the detail differs
    assert a.kernel is not None
    assert len(calls) == 1 and np.array_equal(a.kernel, b.kernel)
    assert np.abs(a.fine - b.fine).mean() > 1e-3
    ShakeDeblurrer(15, None, 0.2).run(blurred, ("fine",))           # another size: estimated
    ShakeDeblurrer(None, None, 0.2).run(blurred[:, ::-1].copy(), ("fine",))  # another photo
    assert len(calls) == 3


def test_a_shaken_real_photo_of_256_px_is_accepted_and_sharper():
    sharp = _real("citrus_256.png")
    blurred, true_k = _camera_shaken(sharp, 13, seed=4)
    res = ShakeDeblurrer().run(blurred, scales=("fine",))
    assert res.kernel is not None, res.notes
    assert psnr(res.fine, sharp) >= psnr(blurred, sharp) + 1.0


def test_a_sharp_real_photo_is_left_within_0_3_db():
    sharp = _real("citrus_256.png")
    rng = np.random.default_rng(2)
    from deblur_app.shake.synthetic import camera_blur
    noisy = camera_blur(sharp, K.delta(1), rng, noise=0.005, jpeg=90)
    res = ShakeDeblurrer().run(noisy, scales=("fine",))
    assert psnr(res.fine, sharp) >= psnr(noisy, sharp) - 0.3, res.notes


def test_blur_that_is_not_one_camera_shake_is_left_within_0_3_db():
    """Like a frame-averaged video pair: parts of the photo moved differently."""
    sharp = _real("bridge_1024x768.jpg")[:512, :512]
    moved = sharp.copy()
    moved[:, :256] = blur(sharp, linear_kernel(15, 0.0, 21))[:, :256]
    moved[:, 256:] = blur(sharp, linear_kernel(15, 1.57, 21))[:, 256:]
    res = ShakeDeblurrer().run(moved, scales=("fine",))
    assert psnr(res.fine, sharp) >= psnr(moved, sharp) - 0.3, res.notes


def test_one_progress_bar_only_moves_forward(shaky, trusting):
    seen = []
    ShakeDeblurrer().run(shaky[1], progress=lambda d, t, m: seen.append((d, t)))
    done = [d for d, _ in seen]
    assert len({t for _, t in seen}) == 1               # one total for the whole run
    assert done == sorted(done) and done[-1] == seen[-1][1]
    assert len(set(done)) > 10                          # it moves through the run, not at the end


def test_the_strength_follows_the_confidence():
    from deblur_app.shake.decision import MAX_SPARSITY, decide, strength_for
    base = {"extent": 8.0, "area_per_px": 3.0, "agreement": 0.95}
    sure = decide(dict(base, sparsity=0.5))[0]
    unsure = decide(dict(base, sparsity=(MAX_SPARSITY + 0.5) / 2 + 0.01))[0]
    assert 0 < unsure < sure <= 1
    assert strength_for(unsure) < strength_for(sure) <= 1
    assert decide(dict(base, sparsity=MAX_SPARSITY + 0.05))[0] == 0
    assert decide(dict(base, sparsity=0.5, agreement=0.1))[0] == 0
    assert decide(dict(base, sparsity=0.5, extent=0.5))[0] == 0


def test_finished_tiles_are_handed_out_with_their_final_pixels(shaky, trusting):
    _, blurred, _ = shaky
    seen = {}

    def on_tile(scale, y0, y1, x0, x1, pixels):
        seen.setdefault(scale, []).append((y0, y1, x0, x1, pixels.copy()))
    res = ShakeDeblurrer(kernel_size=25).run(blurred, on_tile=on_tile)
    assert res.kernel is not None, res.notes
    for scale in ("fine", "mid", "coarse"):
        full = getattr(res, scale)
        cover = np.zeros(full.shape[:2], int)
        for y0, y1, x0, x1, pixels in seen[scale]:
            assert np.array_equal(pixels, full[y0:y1, x0:x1])   # the final pixels
            cover[y0:y1, x0:x1] += 1
        assert (cover == 1).all()                                # each pixel once
