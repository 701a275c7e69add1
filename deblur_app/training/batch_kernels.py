"""Blur kernels for a whole batch at once, as tensor operations on the training device.

The same four families as :mod:`.kernels` (which draws one kernel at a time with NumPy, for the
fixed validation set): camera-shake trajectories, linear motion, defocus discs and Gaussians.  Every
function takes a ``torch.Generator`` on the device, returns ``(B, K, K)`` float32 kernels that each
sum to 1, and runs without a Python loop over the batch:

- a shake trajectory's heading and speed follow smoothed random walks; the smoothing (a first-order
  recursion ``w_t = a * w_{t-1} + u_t`` with a per-sample inertia ``a``) is computed as a causal
  convolution with ``a ** t`` through the FFT, so all time steps of all samples run at once;
- trajectories are rasterised by a batched matrix product of bilinear "tent" weights along y and x
  (``sum_t tent(y - y_t) * tent(x - x_t)``), which, unlike a scatter-add, is deterministic on GPUs.
"""
from __future__ import annotations

import math

import torch

KINDS = ("shake", "linear", "defocus", "gaussian")


def _rand(gen: torch.Generator, *shape: int) -> torch.Tensor:
    return torch.rand(shape, generator=gen, device=gen.device)


def _randn(gen: torch.Generator, *shape: int) -> torch.Tensor:
    return torch.randn(shape, generator=gen, device=gen.device)


def uniform(gen: torch.Generator, lo: float, hi: float, n: int) -> torch.Tensor:
    return lo + (hi - lo) * _rand(gen, n)


def smooth_walk(u: torch.Tensor, inertia: torch.Tensor) -> torch.Tensor:
    """``w_t = inertia * w_{t-1} + u_t`` (w_{-1} = 0) for every row of ``u`` (B, T) at once."""
    b, t = u.shape
    n = 2 * t  # linear, not circular, convolution
    decay = inertia.view(b, 1) ** torch.arange(t, device=u.device, dtype=u.dtype)
    w = torch.fft.irfft(torch.fft.rfft(u, n) * torch.fft.rfft(decay, n), n)
    return w[:, :t]


def shake_paths(gen: torch.Generator, lengths: torch.Tensor, steps: int = 384) -> torch.Tensor:
    """Hand-held camera paths (B, steps, 2), centred, each about ``lengths[i]`` px across.

    Smooth turns with inertia, speed that may drop near zero at turns (bright dots in the
    kernel where the exposure lingers), rare jerks and hand tremor."""
    b = lengths.shape[0]
    inertia = uniform(gen, 0.93, 0.995, b)
    turn = uniform(gen, 0.002, 0.03, b).view(b, 1)
    jerk_p = uniform(gen, 0.0, 0.004, b).view(b, 1)
    jerks = torch.where(_rand(gen, b, steps) < jerk_p, _randn(gen, b, steps) * 0.5, 0.0)
    omega = smooth_walk(_randn(gen, b, steps) * turn + jerks, inertia)
    dspeed = smooth_walk(_randn(gen, b, steps) * 0.02, inertia)
    speed = (1 + torch.cumsum(dspeed, dim=1)).clamp(0.05, 2.0)
    heading = uniform(gen, 0, 2 * math.pi, b).view(b, 1) + torch.cumsum(omega, dim=1)
    step = torch.stack([speed * torch.cos(heading), speed * torch.sin(heading)], dim=-1)
    pts = torch.cumsum(step, dim=1)
    pts = pts + _randn(gen, b, steps, 2) * uniform(gen, 0, 0.3, b).view(b, 1, 1)
    pts = pts - pts.mean(dim=1, keepdim=True)
    extent = (pts.amax(dim=1) - pts.amin(dim=1)).norm(dim=-1).clamp_min(1e-6)
    return pts * (lengths / extent).view(b, 1, 1)


def line_paths(lengths: torch.Tensor, angles: torch.Tensor, steps: int = 384) -> torch.Tensor:
    """Straight paths (B, steps, 2) of ``lengths`` px at ``angles`` (radians), centred."""
    t = torch.linspace(-0.5, 0.5, steps, device=lengths.device)
    r = t.view(1, -1) * lengths.view(-1, 1)
    return torch.stack([r * torch.cos(angles).view(-1, 1), r * torch.sin(angles).view(-1, 1)],
                       dim=-1)


def rasterise(paths: torch.Tensor, size: int) -> torch.Tensor:
    """Kernels (B, size, size) from sub-pixel paths (B, T, 2) of (x, y) about the centre, each
    point spread over its four neighbouring pixels with bilinear weights; normalised to sum 1.
    A path centred on its mean can reach further on one side than the other: it is moved the
    least needed to keep clear of the kernel's border (a shift of the image, not a change of
    the blur)."""
    c = size // 2
    lim = c - 1.0
    lo, hi = paths.amin(dim=1, keepdim=True), paths.amax(dim=1, keepdim=True)
    shift = torch.maximum(torch.minimum(torch.zeros_like(hi), lim - hi), -lim - lo)
    grid = torch.arange(size, device=paths.device, dtype=paths.dtype)
    pos = (paths + shift + c).clamp(0, size - 1)
    tent_x = (1 - (pos[..., 0:1] - grid).abs()).clamp_min(0)  # (B, T, size)
    tent_y = (1 - (pos[..., 1:2] - grid).abs()).clamp_min(0)
    k = torch.bmm(tent_y.transpose(1, 2), tent_x)  # (B, size, size): k[y, x]
    return k / k.sum(dim=(1, 2), keepdim=True)


def _radius_grid(size: int, device) -> torch.Tensor:
    ax = torch.arange(size, device=device, dtype=torch.float32) - size // 2
    return (ax.view(-1, 1) ** 2 + ax.view(1, -1) ** 2).sqrt()


def defocus_kernels(radii: torch.Tensor, size: int) -> torch.Tensor:
    """Uniform discs with an anti-aliased rim (coverage falls linearly over one pixel)."""
    r = _radius_grid(size, radii.device)
    k = (radii.view(-1, 1, 1).clamp_min(0.5) + 0.5 - r).clamp(0, 1)
    return k / k.sum(dim=(1, 2), keepdim=True)


def gaussian_kernels(sigmas: torch.Tensor, size: int) -> torch.Tensor:
    r = _radius_grid(size, sigmas.device)
    k = torch.exp(-r ** 2 / (2 * sigmas.view(-1, 1, 1).clamp_min(1e-3) ** 2))
    return k / k.sum(dim=(1, 2), keepdim=True)


def max_length(size: int) -> float:
    """The longest motion path that fits a kernel of ``size`` (a few pixels of room)."""
    return size - 8.0


def kernels_for(gen: torch.Generator, kind: str, severity: torch.Tensor,
                size: int) -> torch.Tensor:
    """(B, size, size) kernels of one ``kind`` for severities in [0, 1] (1 = the longest that
    fits).  Scales as in :func:`.kernels.random_kernel` for the validation set's 65-px kernels;
    larger ``size`` means longer motion, with defocus and Gaussians unchanged."""
    s = severity.clamp(0, 1)
    if kind == "shake":
        return rasterise(shake_paths(gen, 3 + s * (max_length(size) - 3)), size)
    if kind == "linear":
        angles = uniform(gen, 0, math.pi, s.shape[0])
        return rasterise(line_paths(3 + s * (max_length(size) - 5), angles), size)
    if kind == "defocus":
        return defocus_kernels(1 + s * 11, size)
    if kind == "gaussian":
        return gaussian_kernels(0.6 + s * 2.4, size)
    raise ValueError(f"unknown blur kind {kind!r}; known: {KINDS}")
