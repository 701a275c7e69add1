"""The registry of network variants: one table naming every configuration the app knows."""
from __future__ import annotations

from dataclasses import dataclass

from .network import MIMOUNet, NetConfig


@dataclass(frozen=True)
class Variant:
    name: str
    title: str
    config: NetConfig
    summary: str


VARIANTS: dict[str, Variant] = {v.name: v for v in [
    Variant("mimo-unet", "MIMO-UNet", NetConfig(width=32, depth=8),
            "The published network: width 32, 8 residual blocks per stage (6.8 M parameters)."),
    Variant("mimo-unet-plus", "MIMO-UNet+", NetConfig(width=32, depth=20, dropout=0.1),
            "The published larger network: 20 residual blocks per stage (16.1 M parameters)."),
    Variant("mimo-unet-lite", "MIMO-UNet lite", NetConfig(width=16, depth=4),
            "Width 16, 4 residual blocks per stage: about 8x cheaper, for CPUs."),
]}


def get_variant(name: str) -> Variant:
    try:
        return VARIANTS[name]
    except KeyError:
        raise KeyError(f"unknown model '{name}'; known: {', '.join(VARIANTS)}") from None


def build(name_or_config: str | NetConfig) -> MIMOUNet:
    cfg = name_or_config if isinstance(name_or_config, NetConfig) \
        else get_variant(name_or_config).config
    return MIMOUNet(cfg)


def variant_for_config(width: int, depth: int) -> Variant:
    """The registered variant with this shape, or an unnamed custom one."""
    for v in VARIANTS.values():
        if v.config.width == width and v.config.depth == depth:
            return v
    return Variant(f"mimo-unet-w{width}-d{depth}", f"MIMO-UNet (width {width}, depth {depth})",
                   NetConfig(width=width, depth=depth), "A custom configuration.")
