"""Blur kernels: camera-shake trajectories, linear motion, defocus discs and Gaussians.

Every function returns a float32 ``size x size`` array that sums to 1, drawn sub-pixel (bilinear
splatting of densely sampled points) so that short and long blurs alike are smooth.
"""
from __future__ import annotations

import numpy as np

KERNEL_SIZE = 65  # odd; holds a trajectory of up to ~60 px
KINDS = ("shake", "linear", "defocus", "gaussian")


def _splat(points: np.ndarray, size: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Rasterise sub-pixel points (x, y relative to the centre) with bilinear weights."""
    k = np.zeros((size + 1, size + 1), np.float64)
    c = size // 2
    x = np.clip(points[:, 0] + c, 0, size - 1.001)
    y = np.clip(points[:, 1] + c, 0, size - 1.001)
    x0, y0 = np.floor(x).astype(int), np.floor(y).astype(int)
    fx, fy = x - x0, y - y0
    w = np.ones(len(points)) if weights is None else weights
    np.add.at(k, (y0, x0), w * (1 - fx) * (1 - fy))
    np.add.at(k, (y0, x0 + 1), w * fx * (1 - fy))
    np.add.at(k, (y0 + 1, x0), w * (1 - fx) * fy)
    np.add.at(k, (y0 + 1, x0 + 1), w * fx * fy)
    k = k[:size, :size]
    return (k / k.sum()).astype(np.float32)


def identity_kernel(size: int = KERNEL_SIZE) -> np.ndarray:
    k = np.zeros((size, size), np.float32)
    k[size // 2, size // 2] = 1.0
    return k


def shake_trajectory(rng: np.random.Generator, length: float, steps: int = 512) -> np.ndarray:
    """A hand-held camera path: smooth turns with inertia, jitter and occasional jerks.

    Heading and speed each follow a smoothed random walk (a hand cannot change direction
    instantly), speed may drop to near zero at turns (where the exposure lingers and the kernel
    gets bright dots), and a rare jerk adds a sudden change.  Returns ``steps`` (x, y) points,
    about ``length`` pixels across, centred on their mean.
    """
    inertia = rng.uniform(0.93, 0.995)
    turn = rng.uniform(0.002, 0.03)
    jerk_p = rng.uniform(0.0, 0.004)
    turn_noise = (rng.normal(size=steps) * turn).tolist()
    speed_noise = (rng.normal(size=steps) * 0.02).tolist()
    jerks = np.where(rng.random(steps) < jerk_p, rng.normal(size=steps) * 0.5, 0.0).tolist()
    heading = float(rng.uniform(0, 2 * np.pi))
    omega, speed, dspeed = 0.0, 1.0, 0.0
    headings, speeds = [0.0] * steps, [0.0] * steps
    for i in range(steps):  # plain floats: this loop runs for every training sample
        omega = inertia * omega + turn_noise[i] + jerks[i]
        dspeed = inertia * dspeed + speed_noise[i]
        speed = min(2.0, max(0.05, speed + dspeed))
        heading += omega
        headings[i], speeds[i] = heading, speed
    hd, sp = np.array(headings), np.array(speeds)
    pts = np.cumsum(np.stack([sp * np.cos(hd), sp * np.sin(hd)], axis=1), axis=0)
    pts += rng.normal(size=pts.shape) * rng.uniform(0, 0.3)  # hand tremor
    pts -= pts.mean(axis=0)
    extent = np.linalg.norm(pts.max(axis=0) - pts.min(axis=0))
    if extent > 1e-6:
        pts *= length / extent
    return pts


def shake_kernel(rng: np.random.Generator, length: float, size: int = KERNEL_SIZE) -> np.ndarray:
    pts = shake_trajectory(rng, length)
    # a real exposure lingers where the camera moves slowly: uniform time sampling does that
    return _splat(pts, size)


def linear_kernel(length: float, angle: float, size: int = KERNEL_SIZE) -> np.ndarray:
    n = max(int(length * 8), 2)
    t = np.linspace(-0.5, 0.5, n) * length
    pts = np.stack([t * np.cos(angle), t * np.sin(angle)], axis=1)
    return _splat(pts, size)


def defocus_kernel(radius: float, size: int = KERNEL_SIZE, supersample: int = 8) -> np.ndarray:
    """A uniform disc (out-of-focus lens) with an anti-aliased rim."""
    c = size // 2
    s = supersample
    ax = (np.arange(size * s) + 0.5) / s - c - 0.5
    yy, xx = np.meshgrid(ax, ax, indexing="ij")
    disc = (xx ** 2 + yy ** 2 <= max(radius, 0.5) ** 2).astype(np.float64)
    k = disc.reshape(size, s, size, s).mean(axis=(1, 3))
    return (k / k.sum()).astype(np.float32)


def gaussian_kernel(sigma: float, size: int = KERNEL_SIZE) -> np.ndarray:
    ax = np.arange(size) - size // 2
    g = np.exp(-(ax ** 2) / (2 * max(sigma, 1e-3) ** 2))
    k = np.outer(g, g)
    return (k / k.sum()).astype(np.float32)


def random_kernel(rng: np.random.Generator, kind: str, severity: float,
                  size: int = KERNEL_SIZE) -> np.ndarray:
    """A kernel of ``kind`` with ``severity`` in [0, 1] (0 = barely blurred, 1 = the longest)."""
    s = float(np.clip(severity, 0.0, 1.0))
    if kind == "shake":
        return shake_kernel(rng, 3 + s * (size - 8), size)
    if kind == "linear":
        return linear_kernel(3 + s * (size - 10), rng.uniform(0, np.pi), size)
    if kind == "defocus":
        return defocus_kernel(1 + s * 11, size)
    if kind == "gaussian":
        return gaussian_kernel(0.6 + s * 2.4, size)
    raise ValueError(f"unknown blur kind {kind!r}; known: {KINDS}")
