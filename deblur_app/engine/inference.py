"""Turning a photo into its coarse, mid and fine restorations, tile by tile, on any device.

    engine = Deblurrer.from_weights("weights/mimo-unet-lite.safetensors", device="auto")
    result = engine.run(pixels, scales=("fine",), progress=cb, cancel=token)

``pixels`` is float32 H x W x 3 RGB in [0, 1] (as :mod:`deblur_app.imaging` reads it).  Any size
works: sizes not divisible by 4 are mirrored out and cropped back.  On a GPU out-of-memory error
the run is retried with smaller tiles, then on the CPU, and the result says so in ``notes``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..model import MIMOUNet, Variant, load_model
from .device import free_device_memory, is_out_of_memory, resolve_device
from .progress import CancelToken, Progress, no_progress
from .scales import FACTORS, SCALES
from .tiling import padded_crop, plan_tiles

MIN_TILE = 128
DEFAULT_TILE = {"cpu": 1024, "cuda": 1024, "mps": 768}
DEFAULT_OVERLAP = 64


@dataclass
class Restored:
    """The network's outputs for one photo (only the scales asked for are filled)."""
    fine: np.ndarray | None = None
    mid: np.ndarray | None = None
    coarse: np.ndarray | None = None
    device: str = "cpu"
    seconds: float = 0.0
    tiles: int = 0
    notes: list[str] = field(default_factory=list)

    def scale(self, name: str) -> np.ndarray:
        out = getattr(self, name)
        if out is None:
            raise KeyError(f"scale '{name}' was not computed")
        return out


class Deblurrer:
    """A loaded network on a device, ready to restore photos of any size."""

    def __init__(self, model: MIMOUNet, variant: Variant, device: str = "auto",
                 tile: int | None = None, overlap: int = DEFAULT_OVERLAP,
                 precision: str = "auto", channels_last: bool | None = None,
                 source: str | None = None):
        self.variant = variant
        self.source = source
        self.device = resolve_device(device)
        self.tile = DEFAULT_TILE.get(self.device.type, 512) if tile is None else int(tile)
        self.overlap = int(overlap)
        if precision not in ("auto", "fp32", "fp16"):
            raise ValueError("precision must be auto, fp32 or fp16")
        self.precision = precision
        # measured with bench/engine.py: ~25 % faster on this CPU too (not measured on MPS)
        self.channels_last = (self.device.type in ("cuda", "cpu")) if channels_last is None \
            else channels_last
        self._cpu_model = model.float().eval()
        self.model = self._place(self._cpu_model, self.device)

    @classmethod
    def from_weights(cls, path: str | Path, **kw) -> "Deblurrer":
        model, variant = load_model(path)
        return cls(model, variant, source=str(path), **kw)

    def _place(self, model: MIMOUNet, device: torch.device) -> MIMOUNet:
        fmt = torch.channels_last if self.channels_last else torch.contiguous_format
        return model.to(device, memory_format=fmt) if device.type != "cpu" \
            else model.to(memory_format=fmt)

    @property
    def half(self) -> bool:
        return self.device.type == "cuda" and self.precision in ("auto", "fp16")

    # -- public -------------------------------------------------------------------------------
    def run(self, image: np.ndarray, scales=SCALES, progress: Progress | None = None,
            cancel: CancelToken | None = None) -> Restored:
        image = _as_rgb_float(image)
        scales = tuple(s for s in SCALES if s in scales)
        if not scales:
            raise ValueError(f"ask for at least one of {SCALES}")
        progress = progress or no_progress
        cancel = cancel or CancelToken()
        notes: list[str] = []
        tile = self.tile
        t0 = time.perf_counter()
        while True:
            try:
                out, count = self._run(image, scales, tile, progress, cancel)
                break
            except Exception as exc:  # noqa: BLE001 - only memory errors are handled here
                if not is_out_of_memory(exc):
                    raise
                free_device_memory(self.device)
                h, w = image.shape[:2]
                current = tile if tile > 0 else max(h, w)
                if current // 2 >= MIN_TILE:
                    tile = max(MIN_TILE, current // 2 // 4 * 4)
                    notes.append(f"{self.device.type} ran out of memory: retrying with tiles of "
                                 f"{tile} px")
                elif self.device.type != "cpu":
                    notes.append(f"{self.device.type} ran out of memory even with small tiles: "
                                 "continuing on the CPU")
                    self.device = torch.device("cpu")
                    self.model = self._place(self._cpu_model, self.device)
                    tile = DEFAULT_TILE["cpu"]
                else:
                    raise MemoryError("not enough memory, even with the smallest tiles") from exc
                progress(0, 1, notes[-1])
        res = Restored(device=str(self.device), seconds=time.perf_counter() - t0, tiles=count,
                       notes=notes)
        for s in scales:
            setattr(res, s, out[s])
        return res

    # -- internals ----------------------------------------------------------------------------
    def _forward(self, crop: np.ndarray) -> list[torch.Tensor]:
        x = torch.from_numpy(np.ascontiguousarray(crop.transpose(2, 0, 1)))[None]
        x = x.to(self.device)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.inference_mode(), torch.autocast(
                self.device.type, dtype=torch.float16, enabled=self.half):
            outs = self.model(x)
        return [o.float() for o in outs]

    def _run(self, image, scales, tile, progress, cancel):
        h, w = image.shape[:2]
        plan = plan_tiles(h, w, tile, self.overlap)
        acc = {s: np.zeros((plan.height // FACTORS[s], plan.width // FACTORS[s], 3), np.float32)
               for s in scales}
        progress(0, plan.count, f"{plan.count} tile{'s' if plan.count > 1 else ''}")
        for i, (y, x) in enumerate(plan.boxes()):
            cancel.check()
            crop = padded_crop(image, y, x, plan.tile_h, plan.tile_w)
            outs = dict(zip(SCALES, self._forward(crop)))
            for s in scales:
                f = FACTORS[s]
                wy = plan.weights_1d(y, plan.tile_h, plan.height, f)
                wx = plan.weights_1d(x, plan.tile_w, plan.width, f)
                t = outs[s][0].permute(1, 2, 0).cpu().numpy()
                t *= wy[:, None, None]
                t *= wx[None, :, None]
                acc[s][y // f:y // f + t.shape[0], x // f:x // f + t.shape[1]] += t
            progress(i + 1, plan.count, f"tile {i + 1}/{plan.count}")
        result = {}
        for s in scales:
            f = FACTORS[s]
            if plan.count > 1:
                ny, nx = plan.normaliser(f)
                inv_x = (1.0 / nx)[None, :, None]
                for r0 in range(0, acc[s].shape[0], 256):  # in place, in bands: no big temporaries
                    band = acc[s][r0:r0 + 256]
                    band *= inv_x
                    band *= (1.0 / ny[r0:r0 + 256])[:, None, None]
            oh, ow = -(-h // f), -(-w // f)
            np.clip(acc[s], 0.0, 1.0, out=acc[s])
            # a view, not a copy: a 100-megapixel result must not exist twice in memory
            result[s] = acc[s] if acc[s].shape[:2] == (oh, ow) else acc[s][:oh, :ow]
        return result, plan.count


def _as_rgb_float(image: np.ndarray) -> np.ndarray:
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an H x W x 3 RGB image, got shape {image.shape}")
    if image.dtype != np.float32:
        image = image.astype(np.float32)
    return image
