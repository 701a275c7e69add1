"""Tiled inference: seamless, every size, progress, cancellation, memory errors."""
import numpy as np
import pytest
import torch

from deblur_app.engine import CancelToken, Cancelled, Deblurrer, open_engine
from deblur_app.engine.tiling import plan_tiles, tile_layout
from deblur_app.model import MIMOUNet, NetConfig, get_variant
from deblur_app.training.metrics import psnr


@pytest.fixture(scope="module")
def lite(lite_weights):
    return open_engine(lite_weights, None, "cpu", "auto", None, 64, "auto")


def test_tiled_equals_whole_image_on_a_real_photo(lite, sample_rgb):
    img = np.ascontiguousarray(sample_rgb[:768, :1024])
    lite.tile = 0
    whole = lite.run(img)
    assert whole.tiles == 1
    lite.tile, lite.overlap = 256, 64
    tiled = lite.run(img)
    assert tiled.tiles > 12
    for s, shape in (("fine", (768, 1024, 3)), ("mid", (384, 512, 3)), ("coarse", (192, 256, 3))):
        a, b = whole.scale(s), tiled.scale(s)
        assert a.shape == b.shape == shape
        assert psnr(a, b) >= 50, s


@pytest.fixture(scope="module")
def tiny_model():
    torch.manual_seed(0)
    return MIMOUNet(NetConfig(width=8, depth=1)).eval()


@pytest.mark.parametrize("backend", ["torch", "openvino"])
@pytest.mark.parametrize("shape", [(1, 1), (3, 5), (4097, 3), (13, 250)])
def test_any_size_works(shape, backend, tiny_model):
    eng = Deblurrer(tiny_model, get_variant("mimo-unet-lite"), device="cpu", tile=256,
                    backend=backend)
    img = np.random.default_rng(0).random(shape + (3,), dtype=np.float32)
    out = eng.run(img)
    h, w = shape
    assert out.fine.shape == (h, w, 3)
    assert out.mid.shape == (-(-h // 2), -(-w // 2), 3)
    assert out.coarse.shape == (-(-h // 4), -(-w // 4), 3)
    assert np.isfinite(out.fine).all()


def test_tiles_start_on_multiples_of_four_and_cover():
    for length in (4, 100, 256, 1000, 4100, 12000):
        size, starts = tile_layout(length, 256, 64)
        assert size <= 256 and size % 4 == 0 and all(s % 4 == 0 for s in starts)
        assert starts[0] == 0 and starts[-1] + size == length
        overlaps = [size - (b - a) for a, b in zip(starts, starts[1:])]
        assert all(o >= 64 for o in overlaps)
        # evenly spread: little more work than the pixels themselves
        assert size * len(starts) <= (256 / 192 + 0.05) * length or len(starts) == 1
    plan = plan_tiles(1001, 777, 256, 64)
    for f in (1, 2, 4):
        ny, nx = plan.normaliser(f)
        assert (ny > 0).all() and (nx > 0).all()


def test_progress_and_cancel_within_one_tile(lite, sample_rgb):
    img = np.ascontiguousarray(sample_rgb[:512, :512])
    lite.tile, lite.overlap = 128, 32
    token, seen = CancelToken(), []

    def progress(done, total, msg):
        seen.append((done, total))
        if done == 2:
            token.cancel()
    with pytest.raises(Cancelled):
        lite.run(img, progress=progress, cancel=token)
    assert max(d for d, _ in seen) == 2  # stopped right after the tile in flight
    assert seen[0][1] > 2


def _tiny_engine(tile):
    model = MIMOUNet(NetConfig(width=8, depth=1)).eval()
    return Deblurrer(model, get_variant("mimo-unet-lite"), device="cpu", tile=tile,
                     backend="torch", precision="fp32")


def test_out_of_memory_retries_with_smaller_tiles(monkeypatch):
    eng = _tiny_engine(512)
    real = eng.backend.forward

    def forward(crop):
        if crop.shape[0] > 256:
            raise RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to "
                               "allocate 9663676416 bytes")
        return real(crop)
    monkeypatch.setattr(eng.backend, "forward", forward)
    img = np.random.default_rng(1).random((600, 600, 3), dtype=np.float32)
    out = eng.run(img)
    assert out.fine.shape == (600, 600, 3)
    assert out.notes == ["cpu ran out of memory: retrying with tiles of 256 px"]
    reference = _tiny_engine(256)
    reference.model.load_state_dict(eng.model.state_dict())
    assert psnr(out.fine, reference.run(img).fine) > 80


class _GpuWithoutMemory:
    """A pretend GPU backend that never has enough memory."""
    name, device, kind, precision = "torch", "cuda:0", "cuda", "fp16"

    def prepare(self, progress):
        pass

    def forward(self, crop):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    def free_memory(self):
        pass


def test_gpu_out_of_memory_falls_back_to_cpu_for_that_run_only():
    eng = _tiny_engine(512)
    eng.backend = gpu = _GpuWithoutMemory()
    img = np.random.default_rng(1).random((300, 200, 3), dtype=np.float32)
    out = eng.run(img)
    assert out.fine.shape == (300, 200, 3) and out.device == "cpu"
    assert out.notes[-1] == ("cuda:0 ran out of memory even with small tiles: continuing on the "
                             "CPU for this photo")
    assert eng.backend is gpu and eng.device == "cuda:0"  # the user's choice stays
    assert eng._cpu_fallback.name == "torch"              # the runtime the user chose
    assert eng.seconds_per_mp is None                      # a CPU run says nothing of the GPU
    assert eng.run(img).notes[-1].startswith("cuda:0 ran out of memory")


def test_cuda_request_without_gpu_is_a_clear_error():
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(ValueError, match="no CUDA GPU"):
        Deblurrer(MIMOUNet(NetConfig(8, 1)), get_variant("mimo-unet-lite"), device="cuda")


def test_restores_better_than_input(lite):
    """The shipped lite weights make a synthetically shaken real photo closer to the truth."""
    # a sharp reference that is not in the training set: a smooth-free synthetic edge chart
    rng = np.random.default_rng(3)
    from deblur_app.training.data import dead_leaves
    from deblur_app.training.degrade import degrade, random_spec
    sharp = dead_leaves(rng, 256 + 64)
    x = torch.from_numpy(sharp).permute(2, 0, 1)[None].float() / 255
    spec = random_spec(rng, 320, 320, kind="shake", severity=0.3, jpeg_prob=0)
    blurred, target = degrade(x, [spec], 32, generator=torch.Generator().manual_seed(0))
    b = blurred[0].permute(1, 2, 0).numpy()
    t = target[0].permute(1, 2, 0).numpy()
    lite.tile = 0
    out = lite.run(np.ascontiguousarray(b), scales=("fine",)).fine
    assert psnr(out, t) > psnr(b, t) + 0.5


def test_100_megapixel_photo_fits_in_3_gb():
    import json
    import subprocess
    import sys
    from pathlib import Path
    child = Path(__file__).with_name("big_photo_child.py")
    r = subprocess.run([sys.executable, str(child), "12000", "8000"], capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    res = json.loads(r.stdout.strip().splitlines()[-1])
    assert res["ok"] and res["tiles"] > 90
    # input 1.07 GiB + fine 1.07 + mid 0.27 + coarse 0.07 + interpreter and torch
    assert res["peak_gb"] < 3.0, res


def test_finished_tiles_are_handed_out_and_cover_each_scale_once(tiny_model):
    """The tile hook (the window's progressive fill): each scale's pieces cover its output
    exactly once, and each piece is what the run returns there, but for the blending of the
    overlaps."""
    eng = Deblurrer(tiny_model, get_variant("mimo-unet-lite"), device="cpu", tile=96,
                    overlap=32, backend="torch", precision="fp32")
    img = np.random.default_rng(3).random((150, 230, 3), np.float32)
    pieces = []
    res = eng.run(img, on_tile=lambda s, y0, y1, x0, x1, px: pieces.append(
        (s, y0, y1, x0, x1, px.copy())))
    assert res.tiles > 4
    from deblur_app.engine.progress import takes_tiles
    assert takes_tiles(eng)
    for scale in ("coarse", "mid", "fine"):
        out = res.scale(scale)
        count = np.zeros(out.shape[:2], int)
        diffs = []
        for s, y0, y1, x0, x1, px in pieces:
            if s == scale:
                assert px.shape == (y1 - y0, x1 - x0, 3)
                count[y0:y1, x0:x1] += 1
                diffs.append(np.abs(px - out[y0:y1, x0:x1]).mean())
        assert (count == 1).all(), scale
        assert max(diffs) < 0.05
