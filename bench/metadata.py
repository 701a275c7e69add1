"""What carrying metadata through exiv2 costs when reading and writing a photo.

    python bench/metadata.py [--mp 24] [--repeat 3]

Makes a photographer's JPEG of ``--mp`` megapixels (EXIF with a thumbnail, IPTC, XMP, ICC),
then times, in one run, reading it with and without the metadata step and writing each output
format with and without metadata (``like=`` the photo against bare pixels), and prints the
ratios.  The fastest of ``--repeat`` runs counts; compare ratios, not seconds, on a busy machine.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from deblur_app.imaging import io as imio  # noqa: E402
from deblur_app.imaging.io import read_photo, write_photo  # noqa: E402
from deblur_app.imaging.metadata import Metadata  # noqa: E402
from deblur_app.imaging.record import ProcessingRecord  # noqa: E402


def paired(without, with_, repeat: int) -> tuple[float, float]:
    """Fastest time of each, the two run alternately (so that load hits both alike)."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for fn, out in ((without, times[0]), (with_, times[1])):
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
    return min(times[0]), min(times[1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mp", type=float, default=24.0)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from test_metadata import photographers_jpeg  # the tests' catalogued camera JPEG

    w = int((args.mp * 1e6 * 1.5) ** 0.5)
    h = int(w / 1.5)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        small = read_photo(photographers_jpeg(folder / "small.jpg"))
        y, x = np.mgrid[0:h, 0:w].astype(np.float32)
        pixels = np.stack([x / w, y / h, 0.5 + 0.2 * np.sin(x / 9)], -1)
        src = write_photo(folder / "big.jpg", pixels, like=small)
        record = ProcessingRecord(method="MIMO-UNet", model="mimo-unet-lite")

        real = imio.read_metadata
        photo = read_photo(src)

        def read_bare():
            imio.read_metadata = lambda path: Metadata()
            try:
                read_photo(src)
            finally:
                imio.read_metadata = real

        rows = [("read JPEG", *paired(read_bare, lambda: read_photo(src), args.repeat))]
        for ext, depth in ((".jpg", 8), (".tif", 16), (".png", 8), (".webp", 8)):
            bare, full = paired(
                lambda: write_photo(folder / f"bare{ext}", photo.pixels, bit_depth=depth,
                                    icc_profile=b""),
                lambda: write_photo(folder / f"meta{ext}", photo.pixels, like=photo,
                                    bit_depth=depth, record=record), args.repeat)
            rows.append((f"write {ext[1:].upper()} {depth}-bit", bare, full))
    print(f"{w} x {h} ({w * h / 1e6:.1f} MP), best of {args.repeat}")
    print("| step | without metadata (s) | with metadata (s) | ratio |")
    print("|---|---|---|---|")
    for name, a, b in rows:
        print(f"| {name} | {a:.2f} | {b:.2f} | {b / a:.2f}x |")


if __name__ == "__main__":
    main()
