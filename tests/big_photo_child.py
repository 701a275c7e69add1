"""Run by test_engine in a fresh process: a 12000 x 8000 photo through the engine's tiling and
assembly (the network replaced by its own input pyramid, which costs nothing), printing the peak
resident memory.  The network's own memory per tile does not depend on the photo's size."""
import json
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout, for bench/

from bench.memory import peak_rss_mb  # noqa: E402
from deblur_app.engine import Deblurrer  # noqa: E402
from deblur_app.model import MIMOUNet, NetConfig, get_variant  # noqa: E402


class Pyramid(torch.nn.Module):
    def forward(self, x):
        x2 = F.interpolate(x, scale_factor=0.5)
        return [F.interpolate(x2, scale_factor=0.5), x2, x]


h, w = int(sys.argv[1]), int(sys.argv[2])
img = np.empty((h, w, 3), np.float32)
for r in range(0, h, 1000):
    img[r:r + 1000] = np.random.default_rng(r).random((min(1000, h - r), w, 3), dtype=np.float32)
eng = Deblurrer(MIMOUNet(NetConfig(width=4, depth=1)), get_variant("mimo-unet-lite"),
                device="cpu", tile=1024, backend="torch", precision="fp32")
eng.backend.model = Pyramid()
out = eng.run(img)
ok = out.fine.shape == (h, w, 3) and out.mid.shape == (h // 2, w // 2, 3) \
    and float(np.abs(out.fine[::997, ::991] - img[::997, ::991]).max()) < 1e-5
print(json.dumps({"ok": bool(ok), "tiles": out.tiles,
                  "peak_gb": peak_rss_mb() / 1024}))
