"""A compact training pack: the photos already downscaled as training loads them, re-encoded as
JPEG, small enough to send to a remote GPU machine (about 30 MB for the 120 listed photos).

    python -m deblur_app.training.pack --dest .pack [--photos DIR]

A file named ``PREPARED`` in the folder tells the loaders not to downscale again.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2

from .data import PREPARED_MARKER, list_photos, load_photo


def make_pack(src: Path, dest: Path, quality: int = 93) -> int:
    dest.mkdir(parents=True, exist_ok=True)
    n = 0
    for p in list_photos(src):
        img = load_photo(p)
        cv2.imwrite(str(dest / (p.stem + ".jpg")), img[..., ::-1],
                    [cv2.IMWRITE_JPEG_QUALITY, quality])
        n += 1
    (dest / PREPARED_MARKER).write_text("photos already downscaled by deblur_app.training.pack\n")
    return n


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dest", type=Path, required=True)
    ap.add_argument("--photos", type=Path, default=None)
    args = ap.parse_args(argv)
    src = args.photos
    if src is None:
        from .photos import default_cache_dir
        src = default_cache_dir()
    n = make_pack(src, args.dest)
    size = sum(f.stat().st_size for f in args.dest.iterdir()) / 2 ** 20
    print(f"{n} photos, {size:.1f} MiB in {args.dest}")
    return 0 if n else 1


if __name__ == "__main__":
    sys.exit(main())
