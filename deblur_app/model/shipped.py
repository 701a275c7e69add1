"""The weights shipped in ``weights/`` and which of them suits a device."""
from __future__ import annotations

from pathlib import Path

from ..resources import weights_dir
from .weights import WeightsError

SHIPPED = {"mimo-unet": "mimo-unet.safetensors", "mimo-unet-lite": "mimo-unet-lite.safetensors"}


def shipped_weights(name: str) -> Path:
    path = weights_dir() / SHIPPED.get(name, f"{name}.safetensors")
    if not path.is_file():
        raise WeightsError(f"no shipped weights for '{name}' (looked for {path}); train them "
                           "with deblur-train or pass --weights FILE")
    return path


def available_shipped() -> list[str]:
    return [n for n, f in SHIPPED.items() if (weights_dir() / f).is_file()]


def model_card(name: str) -> Path | None:
    card = weights_dir() / (Path(SHIPPED.get(name, name)).stem + ".md")
    return card if card.is_file() else None


def default_model_for(full_net_fast: bool) -> str:
    """The full net where the device runs it fast (GPUs, OpenVINO or bfloat16 on the CPU: see
    ``engine.opening.full_net_is_fast``), the lite net (the "fast" choice) otherwise; whichever
    is present when only one is."""
    order = ["mimo-unet", "mimo-unet-lite"] if full_net_fast else ["mimo-unet-lite", "mimo-unet"]
    have = available_shipped()
    for name in order:
        if name in have:
            return name
    raise WeightsError(f"no shipped weights found in {weights_dir()}; train them with "
                       "deblur-train or pass --weights FILE")
