"""Training pieces: kernels, blur synthesis, loss, resumable training, DDP, evaluation."""
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from deblur_app.training import kernels as K
from deblur_app.training.data import PREPARED_MARKER, dead_leaves, is_validation
from deblur_app.training.degrade import (BLUR_KINDS, blur_with_camera_paths, blur_with_kernels,
                                         degrade, linear_to_srgb, random_spec, srgb_to_linear)
from deblur_app.training.loss import mimo_loss, sharp_pyramid
from deblur_app.training.photos import largest_embedded_jpeg, read_manifest


pytestmark = pytest.mark.usefixtures("one_torch_thread")

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("kind", K.KINDS)
@pytest.mark.parametrize("severity", [0.0, 0.5, 1.0])
def test_kernels_sum_to_one_and_fit(kind, severity):
    k = K.random_kernel(np.random.default_rng(1), kind, severity)
    assert k.shape == (K.KERNEL_SIZE, K.KERNEL_SIZE) and k.dtype == np.float32
    assert abs(float(k.sum()) - 1) < 1e-5 and (k >= 0).all()
    # nothing touches the border: the whole blur fits in the kernel
    assert k[0].sum() + k[-1].sum() + k[:, 0].sum() + k[:, -1].sum() < 1e-3


def test_longer_shake_spreads_wider():
    rng = np.random.default_rng(2)
    spread = [np.count_nonzero(K.shake_kernel(rng, L) > 1e-4) for L in (4, 20, 50)]
    assert spread[0] < spread[1] < spread[2]


def _img(rng, n=96):
    return torch.from_numpy(dead_leaves(rng, n)).permute(2, 0, 1)[None].float() / 255


def test_identity_kernel_returns_input_and_blur_conserves_energy():
    rng = np.random.default_rng(3)
    x = _img(rng)
    same = blur_with_kernels(x, torch.from_numpy(K.identity_kernel())[None])
    assert torch.allclose(same, x, atol=1e-5)
    k = torch.from_numpy(K.random_kernel(rng, "shake", 0.8))[None]
    y = blur_with_kernels(x, k)
    assert abs(float(y.mean() - x.mean())) < 1e-5  # circular convolution keeps the sum
    assert float((y[..., 1:] - y[..., :-1]).abs().mean()) < \
        float((x[..., 1:] - x[..., :-1]).abs().mean())


def test_srgb_round_trip():
    x = torch.linspace(0, 1, 1001)
    assert torch.allclose(linear_to_srgb(srgb_to_linear(x)), x, atol=1e-5)


def test_camera_blur_identity_and_variation():
    rng = np.random.default_rng(4)
    x = _img(rng)
    eye = torch.eye(3).expand(1, 8, 3, 3).contiguous()
    assert torch.allclose(blur_with_camera_paths(x, eye), x, atol=1e-4)
    spec = random_spec(rng, 96, 96, kind="camera", severity=1.0)
    y = blur_with_camera_paths(x, torch.from_numpy(spec.camera)[None])
    assert not torch.allclose(y, x, atol=1e-2)


def test_degrade_pipeline_shapes_and_highlights():
    rng = np.random.default_rng(5)
    x = _img(rng, 160).repeat(len(BLUR_KINDS), 1, 1, 1)
    specs = [random_spec(rng, 160, 160, kind=k, severity=0.5) for k in BLUR_KINDS]
    blurred, sharp = degrade(x, specs, 32, generator=torch.Generator().manual_seed(0))
    assert blurred.shape == sharp.shape == (len(BLUR_KINDS), 3, 96, 96)
    assert blurred.min() >= 0 and blurred.max() <= 1
    # highlights: a bright dot smears wider when boosted (light sources exceed 1 before clipping)
    dot = torch.zeros(1, 3, 160, 160)
    dot[..., 80, 80] = 1.0
    base = random_spec(np.random.default_rng(6), 160, 160, kind="linear", severity=0.5)
    base.shot = base.read = base.highlight_gain = 0.0
    base.jpeg_quality = 0
    dim, _ = degrade(dot, [base], 32)
    base.highlight_gain = 4.0
    bright, _ = degrade(dot, [base], 32)
    # in linear light the smeared energy of the boosted light source is several times larger
    assert float(srgb_to_linear(bright).sum()) > 3 * float(srgb_to_linear(dim).sum())


def test_loss_is_the_papers():
    sharp = torch.rand(2, 3, 32, 32)
    outs = sharp_pyramid(sharp)
    zero, parts = mimo_loss(outs, sharp)
    assert float(zero) < 1e-6
    noisy = [o + 0.1 for o in outs]
    total, parts = mimo_loss(noisy, sharp)
    # content: 0.1 per scale; frequency: the DC term of each channel moves by 0.1 * H * W
    assert abs(parts["content"] - 0.3) < 1e-5
    expected_freq = sum(0.1 * s * s / (s * s * 2) for s in (8, 16, 32))
    assert abs(parts["freq"] - expected_freq) < 1e-4
    assert abs(float(total) - (parts["content"] + 0.1 * parts["freq"])) < 1e-5


def test_split_is_fixed_by_name_and_patches_have_detail():
    from deblur_app.training.sharp_bank import SharpBank, mean_gradient_batch
    assert is_validation("a.jpg") == is_validation("a.png")
    rng = np.random.default_rng(0)
    flat = np.full((400, 400, 3), 128, np.uint8)
    busy = dead_leaves(rng, 400)
    bank = SharpBank([flat, busy], "cpu", leaves_share=0.0)
    gen = torch.Generator().manual_seed(0)
    energies = mean_gradient_batch(bank.crops(gen, 64, 96, margin=16))
    # a flat first draw is replaced by a second one: flat patches are about 1/4, not 1/2
    assert float((energies < 1.0).float().mean()) < 0.4


def test_largest_embedded_jpeg_and_manifest():
    small = b"\xff\xd8\xff\xe0" + b"a" * 10 + b"\xff\xd9"
    big = b"\xff\xd8\xff\xe1" + b"b" * 100 + b"\xff\xd9"
    blob = b"EET header" + small + b"junk" + big + b"tail"
    assert largest_embedded_jpeg(blob) == big
    entries = read_manifest()
    assert len(entries) >= 100 and len({e.filename for e in entries}) == len(entries)


def _photos(tmp_path, n=4):
    folder = tmp_path / "photos"
    folder.mkdir()
    rng = np.random.default_rng(9)
    import cv2
    for i in range(n):
        cv2.imwrite(str(folder / f"p{i}.png"), dead_leaves(rng, 200))
    (folder / PREPARED_MARKER).write_text("")
    return folder


def _train(args):
    from deblur_app.training.train import main
    return main(args)


def test_resume_continues_exactly(tmp_path):
    photos = _photos(tmp_path)
    common = ["--model", "mimo-unet-lite", "--photos", str(photos), "--batch", "2",
              "--patch", "32", "--kernel", "33", "--leaves", "2", "--warmup", "2",
              "--log-every", "100", "--seed", "7"]
    _train(common + ["--run-dir", str(tmp_path / "a"), "--steps", "6"])
    full = torch.load(tmp_path / "a" / "last.pt", weights_only=False)
    # a first run that stops after 3 steps, then resumes to 6
    _train(common + ["--run-dir", str(tmp_path / "c"), "--steps", "3"])
    assert torch.load(tmp_path / "c" / "last.pt", weights_only=False)["step"] == 3
    _train(common + ["--run-dir", str(tmp_path / "c"), "--resume", "--steps", "6"])
    resumed = torch.load(tmp_path / "c" / "last.pt", weights_only=False)
    assert resumed["step"] == full["step"] == 6
    for part in ("model", "ema"):
        for k, v in full[part].items():
            assert torch.equal(v, resumed[part][k]), (part, k)
    assert (tmp_path / "c" / "latest.safetensors").is_file()
    assert json.loads((tmp_path / "a" / "split.json").read_text())["train"]


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_distributed_training_with_two_processes(tmp_path):
    photos = _photos(tmp_path)
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
           "--master_addr", "127.0.0.1", "--master_port", str(_free_port()),
           "-m", "deblur_app.training.train", "--model", "mimo-unet-lite", "--photos",
           str(photos), "--batch", "2", "--patch", "32", "--kernel", "33", "--leaves", "2",
           "--steps", "3", "--warmup", "1",
           "--run-dir", str(tmp_path / "ddp"), "--device", "cpu"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-2000:]
    ck = torch.load(tmp_path / "ddp" / "last.pt", weights_only=False)
    assert ck["step"] == 3 and ck["patches_seen"] == 3 * 2 * 2
    assert "world 2" in (tmp_path / "ddp" / "train.log").read_text()


def test_evaluation_report(tmp_path, lite_weights):
    from deblur_app.training.evaluate import evaluate, make_manifest
    photos = tmp_path / "val"
    photos.mkdir()
    rng = np.random.default_rng(11)
    import cv2
    # names chosen so that they are validation photos
    names = [n for n in (f"v{i}" for i in range(200)) if is_validation(n)][:2]
    for n in names:
        cv2.imwrite(str(photos / f"{n}.png"), dead_leaves(rng, 600))
    manifest = tmp_path / "manifest.json"
    make_manifest(photos, manifest)
    from deblur_app.training.evaluate import load_items
    items, missing = load_items(photos, manifest, limit=10)
    assert len(items) == 10 and not missing
    # the same manifest gives the same blurred pixels every time
    again, _ = load_items(photos, manifest, limit=10)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(items, again))
    report = evaluate([lite_weights], photos, tmp_path / "report", limit=10, examples=2,
                      manifest=manifest)
    r = report["results"]
    assert set(r) == {"blurred input", "unsharp mask", lite_weights.name}
    assert r[lite_weights.name]["all"]["n"] == 10
    md = (tmp_path / "report" / "report.md").read_text()
    assert "| blurred input |" in md and len(list((tmp_path / "report").glob("*.png"))) == 2


def test_fine_tuning_starts_from_an_original_checkpoint(tmp_path):
    from deblur_app.model import build
    photos = _photos(tmp_path)
    torch.manual_seed(123)
    start = build("mimo-unet-lite").state_dict()
    torch.save({"model": start}, tmp_path / "original.pkl")  # the authors' checkpoint layout
    _train(["--model", "mimo-unet-lite", "--photos", str(photos), "--init",
            str(tmp_path / "original.pkl"), "--steps", "0", "--leaves", "1", "--run-dir",
            str(tmp_path / "ft")])
    ck = torch.load(tmp_path / "ft" / "last.pt", weights_only=False)
    assert all(torch.equal(ck["model"][k], v) for k, v in start.items())
