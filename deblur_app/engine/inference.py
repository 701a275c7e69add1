"""Turning a photo into its coarse, mid and fine restorations, tile by tile, on any device.

    engine = open_engine(None, "mimo-unet", "auto", "auto", None, 64, "auto")   # see opening.py
    result = engine.run(pixels, scales=("fine",), progress=cb, cancel=token)

``pixels`` is float32 H x W x 3 RGB in [0, 1] (as :mod:`deblur_app.imaging` reads it).  Any size
works: sizes not divisible by 4 are mirrored out and cropped back.  On a GPU out-of-memory error
the run is retried with smaller tiles, then on the CPU (for that photo only: the engine keeps the
device the user chose), and the result says so in ``notes``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..model import MIMOUNet, Variant
from .backend import make_backend
from .device import is_out_of_memory
from .progress import CancelToken, Progress, TileHook, no_progress
from .scales import FACTORS, SCALES
from .tiling import padded_crop, plan_tiles

MIN_TILE = 128
DEFAULT_TILE = {"cpu": 1024, "cuda": 1024, "mps": 768, "gpu": 768}
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
    kernel: np.ndarray | None = None   # the estimated blur kernel (shake estimation only)

    def scale(self, name: str) -> np.ndarray:
        out = getattr(self, name)
        if out is None:
            raise KeyError(f"scale '{name}' was not computed")
        return out


class Deblurrer:
    """A loaded network on a device, ready to restore photos of any size.

    ``backend`` (auto, torch, openvino) and ``precision`` (auto, fp32, fp16, bf16) are chosen
    by :mod:`.backend`; callers never need to know which one runs."""

    progress_total = True      # its progress is one (done, total) over the whole run

    def __init__(self, model: MIMOUNet, variant: Variant, device: str = "auto",
                 tile: int | None = None, overlap: int = DEFAULT_OVERLAP,
                 precision: str = "auto", backend: str = "auto",
                 channels_last: bool | None = None, source: str | None = None):
        self.variant = variant
        self.source = source
        self.model = model.float().eval()        # float32 on the CPU: what every backend starts from
        self.precision = precision
        self.backend_choice = backend
        self.channels_last = channels_last
        self.backend = make_backend(self.model, device, backend, precision, channels_last)
        self.tile = DEFAULT_TILE.get(self.backend.kind, 512) if tile is None else int(tile)
        self.overlap = int(overlap)
        self.seconds_per_mp: float | None = None  # measured on the last run (for ETAs)
        self._cpu_fallback = None

    @property
    def device(self) -> str:
        """Where the network runs (cpu, cuda:0, mps, intel-gpu:0): what the user chose."""
        return self.backend.device

    def describe(self) -> str:
        """e.g. ``cpu (OpenVINO, bf16)``: device, runtime and precision, for messages."""
        runtime = "OpenVINO" if self.backend.name == "openvino" else "PyTorch"
        return f"{self.device} ({runtime}, {self.backend.precision})"

    def estimate_seconds(self, height: int, width: int) -> float | None:
        """Expected time for a photo of this size, from the speed measured on earlier runs."""
        if self.seconds_per_mp is None:
            return None
        return self.seconds_per_mp * height * width / 1e6

    # -- public -------------------------------------------------------------------------------
    def run(self, image: np.ndarray, scales=SCALES, progress: Progress | None = None,
            cancel: CancelToken | None = None, on_tile: TileHook | None = None) -> Restored:
        """``on_tile`` (optional) receives each finished tile of each scale as it is done
        (see :data:`~deblur_app.engine.progress.TileHook`), for showing the result fill in."""
        image, scales, progress, cancel = run_arguments(image, scales, progress, cancel)
        notes: list[str] = []
        tile = self.tile
        backend = self.backend      # a memory fallback to the CPU holds for this run only
        backend.prepare(progress)
        t0 = time.perf_counter()
        while True:
            try:
                t_run = time.perf_counter()
                out, count = self._run(backend, image, scales, tile, progress, cancel,
                                        on_tile)
                break
            except Exception as exc:  # noqa: BLE001 - only memory errors are handled here
                if not is_out_of_memory(exc):
                    raise
                backend.free_memory()
                h, w = image.shape[:2]
                current = tile if tile > 0 else max(h, w)
                if current // 2 >= MIN_TILE:
                    tile = max(MIN_TILE, current // 2 // 4 * 4)
                    notes.append(f"{backend.kind} ran out of memory: retrying with tiles of "
                                 f"{tile} px")
                elif backend.kind != "cpu":
                    notes.append(f"{backend.device} ran out of memory even with small tiles: "
                                 "continuing on the CPU for this photo")
                    backend = self._cpu_backend()
                    backend.prepare(progress)
                    tile = DEFAULT_TILE["cpu"]
                else:
                    raise MemoryError("not enough memory, even with the smallest tiles") from exc
                progress(0, 1, notes[-1])
        if backend is self.backend:
            self.seconds_per_mp = (time.perf_counter() - t_run) / max(image.shape[0] *
                                                                       image.shape[1] / 1e6, 1e-3)
        res = Restored(device=backend.device, seconds=time.perf_counter() - t0, tiles=count,
                       notes=notes)
        for s in scales:
            setattr(res, s, out[s])
        return res

    # -- internals ----------------------------------------------------------------------------
    def _cpu_backend(self):
        """The CPU, with the runtime the user chose (auto, torch or openvino all run there)."""
        if self._cpu_fallback is None:
            self._cpu_fallback = make_backend(
                self.model, "cpu", self.backend_choice,
                "fp32" if self.precision == "fp32" else "auto", self.channels_last)
        return self._cpu_fallback

    def _run(self, backend, image, scales, tile, progress, cancel, on_tile=None):
        h, w = image.shape[:2]
        plan = plan_tiles(h, w, tile, self.overlap)
        cuts_y, cuts_x = tile_cores(plan.ys, plan.tile_h, h), tile_cores(plan.xs, plan.tile_w, w)
        acc = {s: np.zeros((plan.height // FACTORS[s], plan.width // FACTORS[s], 3), np.float32)
               for s in scales}
        progress(0, plan.count, f"{plan.count} tile{'s' if plan.count > 1 else ''}")
        for i, (y, x) in enumerate(plan.boxes()):
            cancel.check()
            crop = padded_crop(image, y, x, plan.tile_h, plan.tile_w)
            outs = dict(zip(SCALES, backend.forward(crop)))
            if on_tile is not None:
                iy, ix = plan.ys.index(y), plan.xs.index(x)
                for s in scales:
                    f = FACTORS[s]
                    y0, y1 = cuts_y[iy] // f, -(-cuts_y[iy + 1] // f)
                    x0, x1 = cuts_x[ix] // f, -(-cuts_x[ix + 1] // f)
                    core = outs[s][y0 - y // f:y1 - y // f, x0 - x // f:x1 - x // f]
                    if core.size:
                        on_tile(s, y0, y1, x0, x1, np.clip(core, 0.0, 1.0))
            for s in scales:
                f = FACTORS[s]
                wy = plan.weights_1d(y, plan.tile_h, plan.height, f)
                wx = plan.weights_1d(x, plan.tile_w, plan.width, f)
                t = outs[s]
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


def tile_cores(starts, size: int, length: int) -> list[int]:
    """Where one tile's own part ends and the next one's begins along an axis (the middle of
    their overlap, on multiples of 4), from 0 to ``length``: tile i owns cuts[i]:cuts[i+1]."""
    cuts = [0]
    for a, b in zip(starts, starts[1:]):
        cuts.append(min(length, (a + size + b) // 2 // 4 * 4))
    cuts.append(length)
    return cuts


def run_arguments(image: np.ndarray, scales, progress: Progress | None,
                  cancel: CancelToken | None):
    """The run contract's arguments as every method uses them: float32 H x W x 3 pixels, the
    asked scales in table order (at least one), a progress callback and a cancel token."""
    image = _as_rgb_float(image)
    scales = tuple(s for s in SCALES if s in scales)
    if not scales:
        raise ValueError(f"ask for at least one of {SCALES}")
    return image, scales, progress or no_progress, cancel or CancelToken()


def _as_rgb_float(image: np.ndarray) -> np.ndarray:
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an H x W x 3 RGB image, got shape {image.shape}")
    if image.dtype != np.float32:
        image = image.astype(np.float32)
    return image
