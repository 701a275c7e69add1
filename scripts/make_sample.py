"""Rebuild the bundled sample photo: a public-domain photograph from Debian's palapeli-data,
shaken with a seeded camera-shake trajectory in linear light, with sensor noise and JPEG.

    python scripts/make_sample.py          # writes resources/samples/bridge_shaken.jpg
"""
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from deblur_app.training.degrade import BlurSpec, degrade  # noqa: E402
from deblur_app.training.kernels import shake_kernel  # noqa: E402

SRC = "usr/share/palapeli/collection/cincinnati-bridge.jpg"


def main():
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["apt-get", "download", "palapeli-data"], cwd=tmp, check=True,
                       capture_output=True)
        deb = next(Path(tmp).glob("*.deb"))
        subprocess.run(["dpkg", "-x", str(deb), str(Path(tmp) / "root")], check=True)
        sharp = np.asarray(Image.open(Path(tmp) / "root" / SRC).convert("RGB"))
    rng = np.random.default_rng(7)
    kernel = shake_kernel(rng, 13.0)
    spec = BlurSpec("shake", 0.2, kernel, None, highlight_gain=1.0, shot=2e-4, read=1.5e-3,
                    jpeg_quality=0)
    m = 32
    x = torch.from_numpy(np.pad(sharp, ((m, m), (m, m), (0, 0)), mode="reflect").copy())
    x = x.permute(2, 0, 1)[None].float() / 255
    blurred, _ = degrade(x, [spec], m, generator=torch.Generator().manual_seed(7))
    out = (blurred[0].permute(1, 2, 0).numpy() * 255 + 0.5).clip(0, 255).astype(np.uint8)
    dest = ROOT / "resources" / "samples" / "bridge_shaken.jpg"
    Image.fromarray(out).save(dest, quality=92)
    print(f"{dest}: {out.shape[1]}x{out.shape[0]}")


if __name__ == "__main__":
    main()
