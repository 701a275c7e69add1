"""Training pairs made on the training device, a whole batch per call, from one seeded generator.

    maker = BatchMaker(bank, SynthConfig(patch=256), seed=1, device="cuda")
    blurred, sharp = maker.next(16)        # (16, 3, 256, 256) each, sRGB floats in [0, 1]

Per sample (all as batched tensor operations, no DataLoader worker, no Python loop over samples):
sharp crop with margin (:class:`.sharp_bank.SharpBank`), sRGB -> linear light, highlight boost, one
of seven modes (six blurs, or none), shot + read noise, back to sRGB, 8-bit quantisation and, for
a share of samples, JPEG-like compression (8x8 DCT quantisation with the IJG tables, 4:2:0 chroma below quality 90).

Modes (:data:`TRAIN_MIX`):
- ``shake``, ``linear``, ``defocus``, ``gaussian``: one kernel per sample
  (:mod:`.batch_kernels`), applied through the FFT;
- ``camera``: a hand-held camera path over the exposure (rotation about a random point,
  translation, slight perspective), blur varying across the frame;
- ``none``: no blur at all (noise and compression only): the shipped nets made nearly sharp
  real photos worse, so a few samples teach the network to leave sharp detail alone;
- ``gopro``: GoPro-like dynamic scenes: a short sequence of frames is rendered along a camera
  path, with a foreground layer (another crop, cut out by a soft ellipse) moving on its own path,
  and the frames are averaged in linear light.  The sharp target is the middle frame, whose
  camera and object offsets are zero, so it needs no resampling.

Averaging space: a real exposure integrates light linearly, but frame-averaged datasets (GoPro,
DeblurGAN's street set) may have averaged sRGB values; blurring in linear light brightens edges
(about +0.01 in mean value for strong shake), and a network trained only on that learns to darken
every photo, which the shipped weights do on all 32 real validation pairs (-0.009 on average).  So a
share of samples (``gamma_share``) is blurred in sRGB values instead.

A share of samples (``long_share``) get severities from the long end, so long shake is well covered;
a larger ``kernel`` size allows longer motion (and needs a larger margin).  The sharp target is the
sharp crop after the highlight boost, clipped: what the sensor would record without motion.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from . import batch_kernels as BK
from .degrade import (add_noise, blur_with_camera_paths, blur_with_kernels, boost_highlights,
                      crop_margin, homography_grid, linear_to_srgb, quantize8, srgb_to_linear)
from .sharp_bank import SharpBank

MODES = ("shake", "linear", "defocus", "gaussian", "camera", "gopro", "none")
TRAIN_MIX = {"shake": 0.27, "linear": 0.08, "defocus": 0.05, "gaussian": 0.02,
             "camera": 0.20, "gopro": 0.33, "none": 0.05}


@dataclass
class SynthConfig:
    patch: int = 256               # training patch (without margin)
    kernel: int = 65               # kernel size; the margin is kernel // 2
    mix: dict = field(default_factory=lambda: dict(TRAIN_MIX))
    long_share: float = 0.3        # samples whose severity is drawn from [0.6, 1]
    highlight_share: float = 0.5
    jpeg_share: float = 0.35
    jpeg_quality: tuple = (55, 95)
    gamma_share: float = 0.5       # samples blurred in sRGB values instead of linear light
    camera_frames: int = 16
    gopro_frames: int = 11

    @property
    def margin(self) -> int:
        return self.kernel // 2

    @property
    def full(self) -> int:
        return self.patch + 2 * self.margin


def _u(gen: torch.Generator, lo, hi, *shape) -> torch.Tensor:
    return lo + (hi - lo) * torch.rand(shape, generator=gen, device=gen.device)


def severities(gen: torch.Generator, n: int, long_share: float) -> torch.Tensor:
    """Blur severities in [0, 1]: a Kumaraswamy(1.3, 1.8) draw (close to the Beta(1.3, 1.8) of
    the validation set, and invertible in closed form), or U(0.6, 1) for ``long_share``."""
    u = _u(gen, 1e-6, 1 - 1e-6, n)
    base = (1 - (1 - u) ** (1 / 1.8)) ** (1 / 1.3)
    long = _u(gen, 0.6, 1.0, n)
    return torch.where(_u(gen, 0, 1, n) < long_share, long, base)


def camera_paths(gen: torch.Generator, severity: torch.Tensor, h: int, w: int,
                 frames: int) -> torch.Tensor:
    """Homographies (B, frames, 3, 3) of a hand-held camera over one exposure, as
    :func:`.degrade.random_camera_path` draws them, batched; zero motion at the middle time."""
    b, dev = severity.shape[0], severity.device
    s = severity.clamp(0, 1).view(b, 1)
    t = torch.linspace(-0.5, 0.5, frames, device=dev).view(1, -1)
    freq = _u(gen, 1, 3, b, 1)

    def path(amount):
        c = torch.randn((b, 3), generator=gen, device=dev) * amount
        p = c[:, 0:1] * t + c[:, 1:2] * t ** 2 + c[:, 2:3] * torch.sin(math.pi * t * freq)
        return p  # zero at t = 0

    size = max(h, w)
    rot = path(torch.deg2rad(0.2 + 2.5 * s) * 64 / max(size, 64) * 4)
    tx, ty = path(1 + 12 * s), path(1 + 12 * s)
    px, py = path(2e-5 * s * 256 / size), path(2e-5 * s * 256 / size)
    cx, cy = _u(gen, 0, w, b, 1), _u(gen, 0, h, b, 1)
    c, sn = torch.cos(rot), torch.sin(rot)
    one, zero = torch.ones_like(c), torch.zeros_like(c)
    # back(cx + tx, cy + ty) @ [[c, -s, 0], [s, c, 0], [px, py, 1]] @ to(-cx, -cy), multiplied out
    r = torch.stack([torch.stack([c, -sn, zero], -1), torch.stack([sn, c, zero], -1),
                     torch.stack([px, py, one], -1)], -2)
    to = _translation(-cx.expand_as(c), -cy.expand_as(c))
    back = _translation(cx + tx, cy + ty)
    return back @ r @ to


def _translation(dx: torch.Tensor, dy: torch.Tensor) -> torch.Tensor:
    one, zero = torch.ones_like(dx), torch.zeros_like(dx)
    return torch.stack([torch.stack([one, zero, dx], -1), torch.stack([zero, one, dy], -1),
                        torch.stack([zero, zero, one], -1)], -2)


def ellipse_masks(gen: torch.Generator, n: int, size: int) -> torch.Tensor:
    """Soft-edged ellipses (n, 1, size, size): the moving objects of the GoPro-like mode."""
    dev = gen.device
    cy, cx = _u(gen, 0.25, 0.75, 2, n, 1, 1) * size
    ay, ax = _u(gen, 0.12, 0.4, 2, n, 1, 1) * size
    ang = _u(gen, 0, math.pi, n, 1, 1)
    yy = torch.arange(size, device=dev, dtype=torch.float32).view(1, -1, 1) - cy
    xx = torch.arange(size, device=dev, dtype=torch.float32).view(1, 1, -1) - cx
    u = xx * torch.cos(ang) + yy * torch.sin(ang)
    v = -xx * torch.sin(ang) + yy * torch.cos(ang)
    rho = ((u / ax) ** 2 + (v / ay) ** 2).sqrt()
    dist = (rho - 1) * torch.minimum(ax, ay)  # about the distance to the rim in pixels
    return (0.5 - dist).clamp(0, 1).unsqueeze(1)


def render_dynamic(bg: torch.Tensor, fg: torch.Tensor, mask: torch.Tensor, cams: torch.Tensor,
                   obj: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Average of frames (linear light): the background seen through ``cams`` (B, T, 3, 3), the
    foreground layer ``fg`` with ``mask`` moved by ``obj`` (B, T, 2) px on top.  Returns
    (blurred, middle frame); the middle frame has zero motion and is exact."""
    b, c, h, w = bg.shape
    t = cams.shape[1]
    shift = _translation(-obj[..., 0], -obj[..., 1])  # source = cam(p) - obj
    grid_bg = homography_grid(h, w, cams.reshape(-1, 3, 3))
    grid_fg = homography_grid(h, w, (shift @ cams).reshape(-1, 3, 3))
    layer = torch.cat([fg * mask, mask], dim=1).repeat_interleave(t, dim=0)
    back = F.grid_sample(bg.repeat_interleave(t, dim=0), grid_bg, mode="bilinear",
                         padding_mode="reflection", align_corners=True)
    front = F.grid_sample(layer, grid_fg, mode="bilinear", padding_mode="reflection",
                          align_corners=True)
    frames = back * (1 - front[:, c:]) + front[:, :c]  # premultiplied foreground
    blurred = frames.view(b, t, c, h, w).mean(dim=1)
    return blurred, bg * (1 - mask) + fg * mask


def object_paths(gen: torch.Generator, severity: torch.Tensor, frames: int) -> torch.Tensor:
    """Object offsets (B, frames, 2) in px, zero at the middle frame: a velocity of up to
    ~60 px per exposure with some curvature."""
    b = severity.shape[0]
    t = torch.linspace(-0.5, 0.5, frames, device=severity.device).view(1, -1, 1)
    speed = (4 + 56 * severity.clamp(0, 1) * _u(gen, 0.3, 1, b)).view(b, 1, 1)
    ang = _u(gen, 0, 2 * math.pi, b, 1, 1)
    vel = torch.cat([torch.cos(ang), torch.sin(ang)], dim=-1) * speed
    curve = torch.randn((b, 1, 2), generator=gen, device=gen.device) * speed * 0.3
    return vel * t + curve * t ** 2


# --- JPEG-like compression -----------------------------------------------------------------------

_LUMA_Q = [16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40,
           57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35,
           55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112,
           100, 103, 99]
_CHROMA_Q = [17, 18, 24, 47] + [99] * 4 + [18, 21, 26, 66] + [99] * 4 + [24, 26, 56] + [99] * 5 \
    + [47, 66] + [99] * 38


def quant_tables(quality: torch.Tensor) -> torch.Tensor:
    """(B, 2, 8, 8) luma and chroma quantisation tables for IJG qualities 1-100."""
    q = quality.float().clamp(1, 100).view(-1, 1, 1, 1)
    scale = torch.where(q < 50, 5000 / q, 200 - 2 * q)
    base = torch.tensor([_LUMA_Q, _CHROMA_Q], dtype=torch.float32,
                        device=quality.device).view(1, 2, 8, 8)
    return torch.floor((base * scale + 50) / 100).clamp(1, 255)


def _dct_matrix(device) -> torch.Tensor:
    k = torch.arange(8, dtype=torch.float32, device=device)
    m = torch.cos((2 * k.view(1, -1) + 1) * k.view(-1, 1) * math.pi / 16) * math.sqrt(2 / 8)
    m[0] /= math.sqrt(2)
    return m  # orthonormal: m @ m.T == I


def _blocks_quantise(plane: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
    """8x8 DCT, quantise with ``table`` (B, 8, 8), dequantise, inverse DCT; plane (B, H, W)."""
    b, h, w = plane.shape
    d = _dct_matrix(plane.device)
    blk = plane.view(b, h // 8, 8, w // 8, 8).permute(0, 1, 3, 2, 4)
    coef = d @ blk @ d.T
    t = table.view(b, 1, 1, 8, 8)
    coef = torch.round(coef / t) * t
    return (d.T @ coef @ d).permute(0, 1, 3, 2, 4).reshape(b, h, w)


def jpeg_like(x: torch.Tensor, quality: torch.Tensor) -> torch.Tensor:
    """JPEG-style loss for a batch (B, 3, H, W) of sRGB in [0, 1] at per-sample ``quality``:
    YCbCr, 4:2:0 chroma below quality 90, 8x8 DCT quantised with the IJG tables."""
    b, _, h, w = x.shape
    ph, pw = -h % 16, -w % 16
    v = F.pad(x, (0, pw, 0, ph), mode="replicate") * 255
    r, g, bl = v[:, 0], v[:, 1], v[:, 2]
    y = 0.299 * r + 0.587 * g + 0.114 * bl - 128
    cb = -0.168736 * r - 0.331264 * g + 0.5 * bl
    cr = 0.5 * r - 0.418688 * g - 0.081312 * bl
    tables = quant_tables(quality)
    y = _blocks_quantise(y, tables[:, 0])
    chroma = torch.stack([cb, cr], dim=1)
    sub = quality.view(-1) < 90
    small = F.avg_pool2d(chroma, 2)
    small = torch.stack([_blocks_quantise(F.pad(small[:, i], (0, -small.shape[-1] % 8, 0,
                                                              -small.shape[-2] % 8)),
                                          tables[:, 1])[:, :small.shape[-2], :small.shape[-1]]
                         for i in range(2)], dim=1)
    up = F.interpolate(small, scale_factor=2, mode="bilinear", align_corners=False)
    full = torch.stack([_blocks_quantise(chroma[:, i], tables[:, 1]) for i in range(2)], dim=1)
    chroma = torch.where(sub.view(-1, 1, 1, 1), up, full)
    cb, cr = chroma[:, 0], chroma[:, 1]
    y = y + 128
    out = torch.stack([y + 1.402 * cr, y - 0.344136 * cb - 0.714136 * cr, y + 1.772 * cb], dim=1)
    return (out[..., :h, :w] / 255).clamp(0, 1)


# --- the whole degradation -----------------------------------------------------------------------

def draw_modes(host: torch.Generator, n: int, mix: dict) -> list[int]:
    """How many of ``n`` samples get each mode of :data:`MODES`, drawn on the CPU.  The batch is
    ordered by mode (samples are independent, so the order means nothing): each mode is then a
    slice of the batch, and the device never has to report back which samples are which."""
    probs = torch.tensor([float(mix.get(m, 0.0)) for m in MODES], device="cpu")
    drawn = torch.multinomial(probs, n, replacement=True, generator=host)
    return torch.bincount(drawn, minlength=len(MODES)).tolist()


def synthesize(sharp: torch.Tensor, gen: torch.Generator, cfg: SynthConfig,
               counts: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """(blurred, sharp target) without the margin for sharp sRGB crops with margin (B, 3, F, F):
    the first ``counts[0]`` samples get the first of :data:`MODES`, the next ``counts[1]``
    the second, and so on (see :func:`draw_modes`)."""
    b, dev = sharp.shape[0], sharp.device
    if sum(counts) != b:
        raise ValueError(f"mode counts {counts} do not add up to the batch of {b}")
    s = severities(gen, b, cfg.long_share)
    gain = torch.where(_u(gen, 0, 1, b) < cfg.highlight_share, _u(gen, 0, 4, b),
                       torch.zeros(b, device=dev))
    gamma = (_u(gen, 0, 1, b) < cfg.gamma_share).view(b, 1, 1, 1)
    lin = boost_highlights(torch.where(gamma, sharp, srgb_to_linear(sharp)), gain)
    target = lin.clone()
    out = torch.empty_like(lin)
    h, w = lin.shape[-2:]
    start = 0
    for name, n in zip(MODES, counts):  # a loop over the seven modes, not over samples
        sl = slice(start, start + n)
        start += n
        if n == 0:
            continue
        if name == "none":
            out[sl] = lin[sl]
        elif name in BK.KINDS:
            out[sl] = blur_with_kernels(lin[sl], BK.kernels_for(gen, name, s[sl], cfg.kernel))
        elif name == "camera":
            out[sl] = blur_with_camera_paths(lin[sl], camera_paths(gen, s[sl], h, w,
                                                                   cfg.camera_frames))
        else:  # gopro: the foreground layer is another sample's crop, in this one's space
            fg = torch.roll(sharp, 1, dims=0)[sl]
            fg = boost_highlights(torch.where(gamma[sl], fg, srgb_to_linear(fg)), gain[sl])
            cams = camera_paths(gen, s[sl] * 0.6, h, w, cfg.gopro_frames)
            obj = object_paths(gen, s[sl], cfg.gopro_frames)
            mask = ellipse_masks(gen, n, h)
            out[sl], target[sl] = render_dynamic(lin[sl], fg, mask, cams, obj)
    out = crop_margin(out, cfg.margin)
    shot = 10 ** _u(gen, -5, -2.5, b)
    read = 10 ** _u(gen, -4, -2, b)
    out = add_noise(out, shot, read, gen)
    to_srgb = lambda x: torch.where(gamma, x.clamp(0, 1), linear_to_srgb(x))  # noqa: E731
    blurred = quantize8(to_srgb(out))
    quality = torch.randint(cfg.jpeg_quality[0], cfg.jpeg_quality[1] + 1, (b,), generator=gen,
                            device=dev)
    jpeg = _u(gen, 0, 1, b) < cfg.jpeg_share
    blurred = torch.where(jpeg.view(b, 1, 1, 1), quantize8(jpeg_like(blurred, quality)), blurred)
    return blurred, to_srgb(crop_margin(target, cfg.margin))


class BatchMaker:
    """Endless training pairs from a :class:`SharpBank`, deterministic for a seed (on one kind
    of device); its generator state goes into checkpoints so a resumed run continues the very
    same stream."""

    def __init__(self, bank: SharpBank, cfg: SynthConfig, seed: int):
        self.bank, self.cfg = bank, cfg
        self.gen = torch.Generator(device=bank.device)
        self.gen.manual_seed(seed)
        self.host = torch.Generator()
        self.host.manual_seed(seed)

    def next(self, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        with torch.no_grad():
            sharp = self.bank.crops(self.gen, n, self.cfg.full, self.cfg.margin)
            return synthesize(sharp, self.gen, self.cfg, draw_modes(self.host, n, self.cfg.mix))

    def state(self) -> dict:
        return {"device": self.gen.get_state(), "host": self.host.get_state()}

    def load_state(self, state: dict) -> None:
        self.gen.set_state(state["device"].cpu())
        self.host.set_state(state["host"].cpu())
