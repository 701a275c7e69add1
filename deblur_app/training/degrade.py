"""Synthetic blur that looks like real photos, as small composable steps on image batches.

All steps work on float tensors ``(B, 3, H, W)`` on any device.  :func:`degrade` with per-sample
:class:`BlurSpec` (NumPy kernels) makes the fixed validation set, unchanged so that scores stay
comparable; training batches are made by :mod:`.batch_synth`, which reuses the steps here
(linear light, highlights, FFT and camera-path blur, noise) with kernels drawn on the device.
Order of a full
degradation (see :func:`degrade`): sRGB -> linear light, highlight boost (light sources may exceed
1 before clipping, so they smear like real ones), blur (uniform kernel or spatially varying camera
rotation/perspective over the exposure), shot + read noise, clip, back to sRGB, 8-bit quantisation,
optionally JPEG.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from .kernels import KERNEL_SIZE, random_kernel


def srgb_to_linear(x: torch.Tensor) -> torch.Tensor:
    x = x.clamp(0, 1)
    return torch.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(x: torch.Tensor) -> torch.Tensor:
    x = x.clamp(0, 1)
    return torch.where(x <= 0.0031308, x * 12.92, 1.055 * x.clamp_min(1e-8) ** (1 / 2.4) - 0.055)


def boost_highlights(lin: torch.Tensor, gain: torch.Tensor) -> torch.Tensor:
    """Scale near-white pixels by up to ``1 + gain`` (per sample): clipped light sources."""
    lum = lin.mean(dim=1, keepdim=True)
    mask = ((lum - 0.85) / 0.15).clamp(0, 1) ** 2
    return lin * (1 + gain.view(-1, 1, 1, 1) * mask)


def blur_with_kernels(x: torch.Tensor, kernels: torch.Tensor) -> torch.Tensor:
    """Convolve each image with its own kernel ``(B, K, K)`` through the FFT.

    Circular at the borders: callers give images with a margin of at least K//2 and crop it off
    (see :func:`crop_margin`), so no wrapped pixel reaches the result.
    """
    b, c, h, w = x.shape
    k = kernels.shape[-1]
    pad = torch.zeros(b, h, w, device=x.device, dtype=torch.float32)
    pad[:, :k, :k] = kernels.to(x.device, torch.float32)
    pad = torch.roll(pad, shifts=(-(k // 2), -(k // 2)), dims=(1, 2))
    fk = torch.fft.rfft2(pad).unsqueeze(1)
    return torch.fft.irfft2(torch.fft.rfft2(x.float()) * fk, s=(h, w))


def homography_grid(h: int, w: int, mats: torch.Tensor) -> torch.Tensor:
    """Sampling grid (N, H, W, 2) in [-1, 1] for 3x3 homographies acting on pixel coordinates."""
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float32, device=mats.device),
                            torch.arange(w, dtype=torch.float32, device=mats.device),
                            indexing="ij")
    pts = torch.stack([xs, ys, torch.ones_like(xs)], dim=-1).reshape(-1, 3)
    q = pts @ mats.transpose(1, 2)  # (N, HW, 3)
    q = q[..., :2] / q[..., 2:].clamp_min(1e-6)
    gx = q[..., 0] / (w - 1) * 2 - 1
    gy = q[..., 1] / (h - 1) * 2 - 1
    return torch.stack([gx, gy], dim=-1).reshape(-1, h, w, 2)


def random_camera_path(rng: np.random.Generator, h: int, w: int, severity: float,
                       frames: int = 24) -> np.ndarray:
    """Homographies (frames, 3, 3) of a hand-held camera over one exposure.

    Small in-plane rotation about a random centre plus a translation drift and a slight
    perspective tilt, each following a smooth random path: blur differs across the frame, as in
    real hand-held shots and in frame-averaged data such as GoPro.
    """
    s = float(np.clip(severity, 0, 1))
    t = np.linspace(-0.5, 0.5, frames)
    def path(amount):
        c = rng.normal(size=3) * amount
        return c[0] * t + c[1] * (t ** 2 - 1 / 12) + c[2] * np.sin(np.pi * t * rng.uniform(1, 3))
    size = max(h, w)
    rot = path(np.deg2rad(0.2 + 2.5 * s) * 64 / max(size, 64) * 4)
    tx, ty = path(1 + 12 * s), path(1 + 12 * s)
    px, py = path(2e-5 * s * 256 / size), path(2e-5 * s * 256 / size)
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    mats = []
    for i in range(frames):
        c, sn = math.cos(rot[i]), math.sin(rot[i])
        to = np.array([[1, 0, -cx], [0, 1, -cy], [0, 0, 1.0]])
        back = np.array([[1, 0, cx + tx[i]], [0, 1, cy + ty[i]], [0, 0, 1.0]])
        r = np.array([[c, -sn, 0], [sn, c, 0], [px[i], py[i], 1.0]])
        mats.append(back @ r @ to)
    return np.stack(mats).astype(np.float32)


def blur_with_camera_paths(x: torch.Tensor, mats: torch.Tensor) -> torch.Tensor:
    """Average of each image warped by its frames' homographies ``(B, F, 3, 3)``."""
    b, c, h, w = x.shape
    f = mats.shape[1]
    grid = homography_grid(h, w, mats.reshape(-1, 3, 3).to(x.device))
    src = x.float().repeat_interleave(f, dim=0)
    warped = F.grid_sample(src, grid, mode="bilinear", padding_mode="reflection",
                           align_corners=True)
    return warped.view(b, f, c, h, w).mean(dim=1)


def add_noise(lin: torch.Tensor, shot: torch.Tensor, read: torch.Tensor,
              generator: torch.Generator | None = None) -> torch.Tensor:
    """Heteroscedastic sensor noise in linear light: variance = shot * x + read**2 (per sample)."""
    var = shot.view(-1, 1, 1, 1) * lin.clamp_min(0) + read.view(-1, 1, 1, 1) ** 2
    dev = generator.device if generator is not None else lin.device
    noise = torch.randn(lin.shape, generator=generator, device=dev)
    return lin + noise.to(lin.device) * var.sqrt()


def quantize8(x: torch.Tensor) -> torch.Tensor:
    return torch.round(x.clamp(0, 1) * 255) / 255


def jpeg_roundtrip(img: np.ndarray, quality: int) -> np.ndarray:
    """JPEG-compress an HxWx3 float RGB image in [0,1] and decode it again."""
    import cv2
    u8 = np.clip(img * 255 + 0.5, 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", u8[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    assert ok
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1].astype(np.float32) / 255


def crop_margin(x: torch.Tensor, margin: int) -> torch.Tensor:
    return x[..., margin:x.shape[-2] - margin, margin:x.shape[-1] - margin] if margin else x


@dataclass
class BlurSpec:
    """One sample's degradation, fully determined (so validation is identical everywhere)."""
    kind: str                       # shake | linear | defocus | gaussian | camera
    severity: float
    kernel: np.ndarray | None       # (K, K) for uniform blurs
    camera: np.ndarray | None       # (F, 3, 3) for spatially varying blur
    highlight_gain: float
    shot: float
    read: float
    jpeg_quality: int               # 0 = none


BLUR_KINDS = ("shake", "linear", "defocus", "gaussian", "camera")
TRAIN_MIX = {"shake": 0.45, "linear": 0.15, "defocus": 0.1, "gaussian": 0.05, "camera": 0.25}


def random_spec(rng: np.random.Generator, h: int, w: int, kind: str | None = None,
                severity: float | None = None, jpeg_prob: float = 0.3) -> BlurSpec:
    if kind is None:
        kind = rng.choice(list(TRAIN_MIX), p=list(TRAIN_MIX.values()))
    if severity is None:
        severity = float(rng.beta(1.3, 1.8))
    kernel = camera = None
    if kind == "camera":
        camera = random_camera_path(rng, h, w, severity)
    else:
        kernel = random_kernel(rng, kind, severity)
    gain = float(rng.uniform(0, 4)) if rng.random() < 0.5 else 0.0
    shot = float(10 ** rng.uniform(-5, -2.5))
    read = float(10 ** rng.uniform(-4, -2))
    q = int(rng.integers(60, 96)) if rng.random() < jpeg_prob else 0
    return BlurSpec(kind, severity, kernel, camera, gain, shot, read, q)


def degrade(sharp: torch.Tensor, specs: list[BlurSpec], margin: int,
            generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Blur a batch of sRGB images with a margin; returns (blurred, sharp) without the margin."""
    assert margin >= KERNEL_SIZE // 2 or all(s.kernel is None for s in specs)
    dev = sharp.device
    lin = srgb_to_linear(sharp.float())
    gain = torch.tensor([s.highlight_gain for s in specs], device=dev)
    lin = boost_highlights(lin, gain)
    out = torch.empty_like(lin)
    uni = [i for i, s in enumerate(specs) if s.kernel is not None]
    cam = [i for i, s in enumerate(specs) if s.camera is not None]
    if uni:
        ks = torch.from_numpy(np.stack([specs[i].kernel for i in uni]))
        out[uni] = blur_with_kernels(lin[uni], ks)
    if cam:
        mats = torch.from_numpy(np.stack([specs[i].camera for i in cam]))
        out[cam] = blur_with_camera_paths(lin[cam], mats)
    out = crop_margin(out, margin)
    shot = torch.tensor([s.shot for s in specs], device=dev)
    read = torch.tensor([s.read for s in specs], device=dev)
    out = add_noise(out, shot, read, generator)
    blurred = quantize8(linear_to_srgb(out))
    jpeg = [i for i, s in enumerate(specs) if s.jpeg_quality]
    if jpeg:
        host = blurred[jpeg].permute(0, 2, 3, 1).cpu().numpy()
        redone = np.stack([jpeg_roundtrip(img, specs[i].jpeg_quality)
                           for img, i in zip(host, jpeg)])
        blurred[jpeg] = torch.from_numpy(redone).permute(0, 3, 1, 2).to(dev)
    return blurred, crop_margin(sharp.float(), margin)
