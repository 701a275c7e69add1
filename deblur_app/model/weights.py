"""Loading and saving weights in every supported format, recognising the variant from the keys.

Formats: the original checkpoints (``torch.save({'model': state_dict})`` as ``.pkl``/``.pth``), a
plain state dict, training checkpoints of this project, and ``.safetensors`` (the shipped format).
Pickles are always read with ``weights_only=True``: no code inside a file is ever executed.
"""
from __future__ import annotations

import re
from pathlib import Path

import torch

from ..atomic import atomic_write_bytes
from .network import MIMOUNet
from .registry import Variant, variant_for_config

_PROBE = "Encoder.0.layers.0.main.0.main.0.weight"
_DEPTH = re.compile(r"^Encoder\.0\.layers\.(\d+)\.")


class WeightsError(ValueError):
    """A weights file that cannot be used, with a message fit for the user."""


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """The raw state dict of a weights file, whatever its format."""
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"{path}: no such weights file")
    if path.suffix.lower() == ".safetensors":
        from safetensors import SafetensorError
        from safetensors.torch import load_file
        try:
            sd = load_file(str(path))
        except (SafetensorError, OSError, ValueError) as exc:
            raise WeightsError(f"{path}: not a valid safetensors file ({exc})") from None
    else:
        try:
            obj = torch.load(str(path), map_location="cpu", weights_only=True)
        except Exception as exc:  # pickle, zip and unpickler errors all mean "not a checkpoint"
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise WeightsError(f"{path}: not a PyTorch checkpoint that can be read safely "
                               f"({first[:200]})") from None
        sd = _unwrap(obj, path)
    return {k.removeprefix("module."): v for k, v in sd.items()}


def _unwrap(obj, path: Path) -> dict[str, torch.Tensor]:
    if isinstance(obj, dict):
        for key in ("model", "state_dict", "params", "ema"):
            inner = obj.get(key)
            if isinstance(inner, dict) and inner and all(
                    isinstance(v, torch.Tensor) for v in inner.values()):
                return inner
        if obj and all(isinstance(v, torch.Tensor) for v in obj.values()):
            return obj
    raise WeightsError(f"{path}: holds no state dict (expected a dict of tensors, or one under "
                       "'model')")


def detect_variant(sd: dict[str, torch.Tensor], source: str = "weights") -> Variant:
    """Width and depth from the keys and shapes; the matching registered variant."""
    if _PROBE not in sd:
        raise WeightsError(f"{source}: not MIMO-UNet weights (no '{_PROBE}' among "
                           f"{len(sd)} keys)")
    width = int(sd[_PROBE].shape[0])
    depth = 1 + max(int(m.group(1)) for k in sd if (m := _DEPTH.match(k)))
    return variant_for_config(width, depth)


def load_model(path: str | Path) -> tuple[MIMOUNet, Variant]:
    """Build the right network for a weights file and load it strictly, in float32."""
    sd = read_state_dict(path)
    variant = detect_variant(sd, str(path))
    model = MIMOUNet(variant.config)
    load_into(model, sd, str(path))
    return model, variant


def load_into(model: MIMOUNet, sd: dict[str, torch.Tensor], source: str = "weights") -> None:
    expected = model.state_dict()
    missing = [k for k in expected if k not in sd]
    unexpected = [k for k in sd if k not in expected]
    wrong = [f"{k} {tuple(sd[k].shape)} != {tuple(v.shape)}" for k, v in expected.items()
             if k in sd and sd[k].shape != v.shape]
    if missing or unexpected or wrong:
        parts = []
        for label, items in (("missing", missing), ("unexpected", unexpected),
                             ("wrong shape", wrong)):
            if items:
                more = f" and {len(items) - 5} more" if len(items) > 5 else ""
                parts.append(f"{label}: {', '.join(items[:5])}{more}")
        raise WeightsError(f"{source}: does not fit {model.config}: " + "; ".join(parts))
    model.load_state_dict({k: v.float() for k, v in sd.items()})


def save_safetensors(model: MIMOUNet, path: str | Path, half: bool = False,
                     metadata: dict[str, str] | None = None) -> None:
    """Write the weights as safetensors (optionally float16), atomically."""
    path = Path(path)
    sd = {k: (v.half() if half else v.float()).contiguous().cpu()
          for k, v in model.state_dict().items()}
    meta = {"width": str(model.config.width), "depth": str(model.config.depth)}
    meta.update(metadata or {})
    from safetensors.torch import save
    atomic_write_bytes(path, save(sd, metadata=meta))
