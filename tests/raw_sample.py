"""A small camera RAW for the tests and the bundle's smoke test: a CFA DNG that LibRaw reads.

    python tests/raw_sample.py OUT.dng      # writes one (used by scripts/smoke_bundle.sh)
"""

from __future__ import annotations

import sys
from pathlib import Path

import exiv2
import numpy as np
import tifffile

RAW_H, RAW_W = 64, 96
_BLACK, _WHITE = 256, 16383


def write_dng(path: Path, orientation: int = 6) -> Path:
    """A 96 x 64 CFA DNG: left half a grey card, right half a red, seen by a
    sensor whose red and blue are less sensitive (AsShotNeutral tells LibRaw by how much)."""
    scene = np.zeros((RAW_H, RAW_W, 3))
    scene[:, :RAW_W // 2] = 0.4
    scene[:, RAW_W // 2:] = (0.6, 0.2, 0.1)
    cam = scene * np.array([0.5, 1.0, 0.7])
    cfa = np.empty((RAW_H, RAW_W))
    cfa[0::2, 0::2] = cam[0::2, 0::2, 0]
    cfa[0::2, 1::2] = cam[0::2, 1::2, 1]
    cfa[1::2, 0::2] = cam[1::2, 0::2, 1]
    cfa[1::2, 1::2] = cam[1::2, 1::2, 2]
    data = (_BLACK + cfa * (_WHITE - _BLACK)).astype(np.uint16)
    identity = [1, 1, 0, 1, 0, 1, 0, 1, 1, 1, 0, 1, 0, 1, 0, 1, 1, 1]
    tags = [
        (33421, "H", 2, (2, 2), True),             # CFARepeatPatternDim
        (33422, "B", 4, (0, 1, 1, 2), True),       # CFAPattern: RGGB
        (50706, "B", 4, (1, 4, 0, 0), True),       # DNGVersion
        (50707, "B", 4, (1, 1, 0, 0), True),       # DNGBackwardVersion
        (50708, "s", 0, "Deblur TestCam", True),   # UniqueCameraModel
        (50714, "H", 1, _BLACK, True),             # BlackLevel
        (50717, "H", 1, _WHITE, True),             # WhiteLevel
        (50721, "2i", 9, identity, True),          # ColorMatrix1
        (50778, "H", 1, 21, True),                 # CalibrationIlluminant1: D65
        (50728, "2I", 3, (1, 2, 1, 1, 7, 10), True),  # AsShotNeutral
        (271, "s", 0, "DeblurCam", True), (272, "s", 0, "Model X", True),
        (274, "H", 1, orientation, True),
    ]
    tifffile.imwrite(path, data, photometric=32803, extratags=tags, metadata=None,
                     software=False, subfiletype=0)
    image = exiv2.ImageFactory.open(str(path))
    image.readMetadata()
    image.exifData()["Exif.Photo.DateTimeOriginal"] = "2023:09:02 10:11:12"
    image.exifData()["Exif.Photo.LensModel"] = "Test 35mm"
    image.writeMetadata()
    return path


if __name__ == "__main__":
    write_dng(Path(sys.argv[1]))
