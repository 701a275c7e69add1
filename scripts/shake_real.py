"""How often shake estimation says yes on real hand-held shake (``../shared/data/real_shake``,
no references): one line per photo with the decision, the confidence and the kernel, and
optionally a contact sheet (blurred | result | kernel) kept out of the repository.

    python scripts/shake_real.py [--sheet DIR] [--limit N]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from deblur_app.shake import ShakeDeblurrer  # noqa: E402
from deblur_app.shake import kernel as K  # noqa: E402

REAL_SHAKE = ROOT.parent / "shared" / "data" / "real_shake"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sheet", type=Path, help="folder for the contact sheets (not the repo)")
    ap.add_argument("--limit", type=int)
    a = ap.parse_args()
    photos = sorted(REAL_SHAKE.glob("*.png"))[:a.limit]
    accepted = 0
    for p in photos:
        img = cv2.imread(str(p), cv2.IMREAD_COLOR)[..., ::-1].astype(np.float32) / 255
        t = time.perf_counter()
        res = ShakeDeblurrer().run(img, scales=("fine",))
        accepted += res.kernel is not None
        print(f"{p.stem:34} {'yes' if res.kernel is not None else 'no ':3} "
              f"{time.perf_counter() - t:5.1f}s  {res.notes[0]}", flush=True)
        if a.sheet and res.kernel is not None:
            a.sheet.mkdir(parents=True, exist_ok=True)
            pic = cv2.resize(K.picture(res.kernel), (img.shape[0] // 2, img.shape[0] // 2),
                             interpolation=cv2.INTER_NEAREST)
            pad = np.zeros((img.shape[0], pic.shape[1], 3), np.float32)
            pad[:pic.shape[0]] = pic
            sheet = np.hstack([img, res.fine, pad])
            cv2.imwrite(str(a.sheet / f"{p.stem}.jpg"),
                        np.round(np.clip(sheet, 0, 1) * 255).astype(np.uint8)[..., ::-1])
    print(f"accepted {accepted} of {len(photos)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
