"""Fetch the sharp training photographs listed in ``data/training_photos.tsv`` from Debian's archive.

Each package is fetched with ``apt-get download`` (no installation, no root needed once the package
lists exist), unpacked with ``dpkg -x`` into a temporary folder, and exactly the listed files are
copied into the cache after their sha256 has been checked.  Photos stored inside Enlightenment
``.edj`` containers are recovered as the largest embedded JPEG stream.

    python -m deblur_app.training.photos [--dest DIR] [--with-enlightenment]
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

MANIFEST = Path(__file__).with_name("data") / "training_photos.tsv"
LARGE_PACKAGES = {"enlightenment-data"}  # ~400 MB download: opt-in


@dataclass(frozen=True)
class PhotoEntry:
    package: str
    version: str
    path: str
    width: int
    height: int
    sha256: str
    tier: str
    extract: str

    @property
    def filename(self) -> str:
        """Unique and readable: package plus the path below /usr/share (several packages keep
        many photos under the same base name, e.g. .../NAME/contents/images/2560x1600.jpg)."""
        rel = self.path.removeprefix("/usr/share/").replace("/", "_")
        if self.extract == "largest-embedded-jpeg":
            rel = rel.rsplit(".", 1)[0] + ".jpg"
        return f"{self.package}__{rel}"


def default_cache_dir() -> Path:
    from platformdirs import user_cache_dir
    return Path(user_cache_dir("deblur-studio")) / "training_photos"


def read_manifest(path: Path = MANIFEST) -> list[PhotoEntry]:
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return [PhotoEntry(r["package"], r["debian_version"], r["path"], int(r["width"]),
                       int(r["height"]), r["sha256"], r["tier"], r["extract"]) for r in rows]


def largest_embedded_jpeg(data: bytes) -> bytes:
    """The longest SOI..EOI JPEG stream inside a container file."""
    best = b""
    start = data.find(b"\xff\xd8\xff")
    while start >= 0:
        end = data.find(b"\xff\xd9", start)
        # a JPEG may contain nested thumbnails: extend to the last EOI before the next SOI
        nxt = data.find(b"\xff\xd8\xff", start + 3)
        limit = nxt if nxt >= 0 else len(data)
        last = data.rfind(b"\xff\xd9", start, limit)
        if last > end:
            end = last
        if end < 0:
            break
        if end + 2 - start > len(best):
            best = data[start:end + 2]
        start = nxt
    return best


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch(dest: Path, with_large: bool = False, log=print) -> list[Path]:
    """Download and verify every listed photo into ``dest``; returns the photos present."""
    dest.mkdir(parents=True, exist_ok=True)
    entries = read_manifest()
    by_pkg: dict[str, list[PhotoEntry]] = {}
    for e in entries:
        by_pkg.setdefault(e.package, []).append(e)
    present: list[Path] = []
    for pkg, items in by_pkg.items():
        missing = [e for e in items if not (dest / e.filename).exists()]
        present += [dest / e.filename for e in items if (dest / e.filename).exists()]
        if not missing:
            log(f"{pkg}: {len(items)}/{len(items)} photos (cached)")
            continue
        if pkg in LARGE_PACKAGES and not with_large:
            log(f"skip {pkg} ({len(missing)} photos; large download, use --with-enlightenment)")
            continue
        with tempfile.TemporaryDirectory() as tmp:
            tmpd = Path(tmp)
            r = subprocess.run(["apt-get", "download", pkg], cwd=tmpd, capture_output=True,
                               text=True)
            debs = list(tmpd.glob("*.deb"))
            if r.returncode != 0 or not debs:
                log(f"warning: could not download {pkg}: {r.stderr.strip()[-300:]}"
                    " (run 'apt-get update' first?)")
                continue
            root = tmpd / "root"
            subprocess.run(["dpkg", "-x", str(debs[0]), str(root)], check=True)
            for e in missing:
                src = root / e.path.lstrip("/")
                if not src.exists():
                    log(f"warning: {e.path} not in {debs[0].name}; skipped")
                    continue
                data = src.read_bytes()
                if e.extract == "largest-embedded-jpeg":
                    data = largest_embedded_jpeg(data)
                if sha256_bytes(data) != e.sha256:
                    log(f"warning: {e.path} from {debs[0].name} has another hash; skipped")
                    continue
                part = dest / (e.filename + ".part")
                part.write_bytes(data)
                part.replace(dest / e.filename)
                present.append(dest / e.filename)
        log(f"{pkg}: {sum(1 for e in items if (dest / e.filename).exists())}/{len(items)} photos")
    return present


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dest", type=Path, default=None, help="cache folder (default: user cache)")
    ap.add_argument("--with-enlightenment", action="store_true",
                    help="also fetch enlightenment-data (about 400 MB download, 14 large photos)")
    args = ap.parse_args(argv)
    dest = args.dest or default_cache_dir()
    if shutil.which("apt-get") is None:
        print("apt-get is not available: use --photos DIR with your own sharp photos instead")
        return 1
    got = fetch(dest, args.with_enlightenment)
    print(f"{len(got)} photos in {dest}")
    return 0 if got else 1


if __name__ == "__main__":
    sys.exit(main())
