"""Where bundled files live, from a source checkout, an installed package or a PyInstaller bundle.

One helper for every path to shipped data (weights, icons, style sheet, sample photos); the
environment variable ``DEBLUR_STUDIO_HOME`` overrides the root (tests, unusual installs).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path


def app_root() -> Path:
    """The folder holding ``weights/`` and ``resources/``."""
    env = os.environ.get("DEBLUR_STUDIO_HOME")
    if env:
        return Path(env)
    frozen = getattr(sys, "_MEIPASS", None)  # PyInstaller one-folder or one-file bundle
    if frozen:
        return Path(frozen)
    return Path(__file__).resolve().parent.parent


def resource_path(*parts: str) -> Path:
    return app_root().joinpath("resources", *parts)


def weights_dir() -> Path:
    return app_root() / "weights"


def sample_photo() -> Path:
    """The bundled blurred sample opened on first run."""
    folder = resource_path("samples")
    for p in sorted(folder.glob("*")):
        if p.suffix.lower() in (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp"):
            return p
    raise FileNotFoundError(f"no sample photo in {folder}")
