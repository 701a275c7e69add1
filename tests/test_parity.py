"""Our network computes the original MIMO-UNet / MIMO-UNet+ function with the original keys."""
import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from deblur_app.model import build, detect_variant, load_model

FIX = Path(__file__).parent / "fixtures"
CASES = [("mimo-unet", "mimo-unet"), ("mimo-unetplus", "mimo-unet-plus")]


def reference_weights(manifest):
    g = torch.Generator().manual_seed(0)
    out = {}
    for key, shape in sorted(manifest, key=lambda kv: kv[0]):
        std = 0.5 / math.sqrt(math.prod(shape[1:])) if len(shape) > 1 else 0.01
        out[key] = torch.randn(shape, generator=g) * std
    return out


@pytest.mark.parametrize("fixture,variant", CASES)
def test_keys_shapes_and_outputs_match_original(fixture, variant, tmp_path):
    info = json.loads((FIX / f"{fixture}.keys.json").read_text())
    model = build(variant).eval()
    ours = [[k, list(v.shape)] for k, v in model.state_dict().items()]
    assert ours == info["state_dict"]  # same keys, same order, same shapes
    assert sum(p.numel() for p in model.parameters()) == info["num_params"]

    sd = reference_weights(info["state_dict"])
    # saved exactly like the original checkpoints, then loaded by file with variant detection
    path = tmp_path / "orig.pkl"
    torch.save({"model": sd}, path)
    loaded, found = load_model(path)
    assert found.name == variant
    loaded.eval()
    ref = np.load(FIX / f"{fixture}.expected.npz")
    with torch.no_grad():
        outs = loaded(torch.from_numpy(ref["input"]))
    for name, out in zip(("coarse", "mid", "fine"), outs):
        diff = np.abs(out.numpy() - ref[name]).max()
        assert diff < 1e-4, f"{name}: max abs diff {diff}"


def test_lite_variant_detected_from_keys():
    model = build("mimo-unet-lite")
    assert detect_variant(model.state_dict()).name == "mimo-unet-lite"
