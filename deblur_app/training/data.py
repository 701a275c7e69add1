"""Sharp training material: photos (downscaled, split by photo) and procedural dead-leaves images.
Patches are cut on the training device by :mod:`.sharp_bank`."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import cv2
import numpy as np

PHOTO_EXTS = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp"}
VAL_EVERY = 8  # one photo in eight (by a hash of its name) is kept for validation
PREPARED_MARKER = "PREPARED"  # in a folder whose photos are already downscaled (a pack)


def is_validation(name: str) -> bool:
    """The fixed split: decided by the photo's file name (without extension) alone, so it is the
    same everywhere, also for a re-encoded copy in a training pack."""
    return int(hashlib.sha256(Path(name).stem.encode()).hexdigest()[:8], 16) % VAL_EVERY == 0


def list_photos(folder: Path) -> list[Path]:
    return sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in PHOTO_EXTS)


def split_photos(folder: Path) -> tuple[list[Path], list[Path]]:
    photos = list_photos(folder)
    val = [p for p in photos if is_validation(p.name)]
    train = [p for p in photos if not is_validation(p.name)]
    return train, val


def load_photo(path: Path, max_pixels: float = 1.5e6, min_downscale: float = 2.0) -> np.ndarray:
    """An RGB uint8 photo, area-downscaled at least ``min_downscale`` x (hides camera noise and
    JPEG artefacts, sharpens the targets) and to at most ``max_pixels``."""
    if (Path(path).parent / PREPARED_MARKER).exists():
        min_downscale = 1.0
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise ValueError(f"{path}: cannot be read as an image")
    h, w = img.shape[:2]
    f = max(min_downscale, (h * w / max_pixels) ** 0.5)
    if f > 1:
        img = cv2.resize(img, (max(1, round(w / f)), max(1, round(h / f))),
                         interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(img[..., ::-1])


def dead_leaves(rng: np.random.Generator, size: int, n: int = 600) -> np.ndarray:
    """A dead-leaves image: occluding discs and rectangles with power-law sizes, textured fills.

    Natural images share its scale invariance and its edges at every orientation and contrast
    (Achddou et al., 2021), and it never runs out.
    """
    img = np.empty((size, size, 3), np.float32)
    img[:] = rng.uniform(0, 1, 3)
    rmin, rmax, alpha = 2.0, size / 3, 3.0
    u = rng.uniform(size=n)
    radii = (rmin ** (1 - alpha) + u * (rmax ** (1 - alpha) - rmin ** (1 - alpha))) ** (1 / (1 - alpha))
    for r in radii[np.argsort(-radii)]:  # large ones first: small leaves fall on top
        cx, cy = rng.uniform(-r, size + r, 2)
        colour = rng.uniform(0, 1, 3).astype(np.float32)
        x0, y0 = max(int(cx - 2 * r) - 1, 0), max(int(cy - 2 * r) - 1, 0)
        x1, y1 = min(int(cx + 2 * r) + 2, size), min(int(cy + 2 * r) + 2, size)
        if x1 <= x0 or y1 <= y0:
            continue
        mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
        lx, ly = cx - x0, cy - y0
        if rng.random() < 0.7:
            cv2.circle(mask, (int(lx * 16), int(ly * 16)), int(r * 16), 255, -1, cv2.LINE_AA, 4)
        else:
            box = ((float(lx), float(ly)), (float(r * 2), float(r * rng.uniform(0.3, 2))),
                   float(rng.uniform(0, 180)))
            cv2.fillPoly(mask, [np.round(cv2.boxPoints(box) * 16).astype(np.int32)], 255,
                         cv2.LINE_AA, 4)
        a = (mask.astype(np.float32) / 255)[..., None]
        fill = np.broadcast_to(colour, a.shape[:2] + (3,))
        if rng.random() < 0.4:  # a texture: stripes inside the leaf
            f, ang = rng.uniform(0.05, 0.6), rng.uniform(0, np.pi)
            yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
            wave = 0.5 + 0.5 * np.sin((xx * np.cos(ang) + yy * np.sin(ang)) * f)
            fill = colour * (0.6 + 0.4 * wave[..., None])
        view = img[y0:y1, x0:x1]
        view[:] = view * (1 - a) + fill * a
    return (np.clip(img, 0, 1) * 255).astype(np.uint8)


def write_split(path: Path, train: list[Path], val: list[Path]) -> None:
    path.write_text(json.dumps({"rule": f"sha256(file stem) % {VAL_EVERY} == 0 -> validation",
                                "train": [p.name for p in train],
                                "validation": [p.name for p in val]}, indent=1))
