"""The networks a caller can choose (shipped variants, weights files) without reaching into
:mod:`deblur_app.model`: the window lists and checks weights only through here."""
from __future__ import annotations

from pathlib import Path

from ..model import VARIANTS, WeightsError, load_model
from ..model.shipped import available_shipped, model_card, shipped_weights

__all__ = ["VARIANTS", "WeightsError", "available_shipped", "model_card", "shipped_weights",
           "check_weights", "variant_title", "variant_summary"]


def check_weights(path: str | Path):
    """The variant a weights file holds (it loads); raises WeightsError with a message."""
    _, variant = load_model(path)
    return variant


def variant_title(name: str) -> str:
    v = VARIANTS.get(name)
    return v.title if v else name


def variant_summary(name: str) -> str:
    v = VARIANTS.get(name)
    return v.summary if v else ""
