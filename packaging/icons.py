"""App icons for the installers, made at build time from ``resources/icons/deblur-studio.svg``.

No binary icon is committed for Windows or macOS: the ``.ico`` and ``.icns`` are made here with
Pillow, from the SVG rendered at 1024 px with QtSvg (crisp at every size), or else from
``resources/icons/deblur-studio.png``. Where both are missing, a plain placeholder is drawn into
the build folder, never into ``resources/``.

    python packaging/icons.py OUTDIR      # prints the paths, one "kind path" per line
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAME = "deblur-studio"
ICO_SIZES = [(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)]

PLACEHOLDER_SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256">
  <rect x="8" y="8" width="240" height="240" rx="48" fill="#1f2a36"/>
  <circle cx="128" cy="128" r="78" fill="none" stroke="#5fb3f9" stroke-width="20"/>
  <circle cx="128" cy="128" r="34" fill="#e8eef4"/>
</svg>
"""


def _draw_placeholder(png: Path, size: int = 512) -> None:
    """A raster twin of PLACEHOLDER_SVG: a dark rounded square with a lens."""
    from PIL import Image, ImageDraw

    k = size / 256
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle([8 * k, 8 * k, 248 * k, 248 * k], radius=48 * k, fill="#1f2a36")
    d.ellipse([50 * k, 50 * k, 206 * k, 206 * k], outline="#5fb3f9", width=round(20 * k))
    d.ellipse([94 * k, 94 * k, 162 * k, 162 * k], fill="#e8eef4")
    img.save(png)


def _size(png: Path) -> tuple[int, int]:
    from PIL import Image

    with Image.open(png) as im:
        return im.size


def _render_svg(svg: Path, png: Path, size: int = 1024) -> bool:
    """Rasterise an SVG with QtSvg (no QGuiApplication needed); False where that is not possible."""
    try:
        from PySide6.QtCore import Qt
        from PySide6.QtGui import QImage, QPainter
        from PySide6.QtSvg import QSvgRenderer
    except ImportError:
        return False
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        return False
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    return image.save(str(png))


def make_icons(out_dir: Path | str) -> dict[str, Path]:
    """Write ``png`` (256 px), ``svg``, ``ico`` and ``icns`` into out_dir; return their paths."""
    from PIL import Image

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    src_png = committed_png = ROOT / "resources" / "icons" / f"{NAME}.png"
    src_svg = ROOT / "resources" / "icons" / f"{NAME}.svg"
    if src_svg.is_file() and _render_svg(src_svg, out / f"{NAME}-1024.png"):
        src_png = out / f"{NAME}-1024.png"
    elif not src_png.is_file():
        src_png = out / f"{NAME}-placeholder.png"
        _draw_placeholder(src_png)
    paths = {"svg": out / f"{NAME}.svg", "png": out / f"{NAME}.png",
             "ico": out / f"{NAME}.ico", "icns": out / f"{NAME}.icns"}
    if src_svg.is_file():
        shutil.copyfile(src_svg, paths["svg"])
    else:
        paths["svg"].write_text(PLACEHOLDER_SVG)
    with Image.open(src_png) as im:
        im = im.convert("RGBA")
        if im.width != im.height:  # centre on a transparent square
            side = max(im.size)
            sq = Image.new("RGBA", (side, side), (0, 0, 0, 0))
            sq.paste(im, ((side - im.width) // 2, (side - im.height) // 2))
            im = sq
        big = im.resize((1024, 1024), Image.LANCZOS) if im.width != 1024 else im
        if committed_png.is_file() and _size(committed_png) == (256, 256):
            shutil.copyfile(committed_png, paths["png"])  # the hand-made 256 px raster
        else:
            big.resize((256, 256), Image.LANCZOS).save(paths["png"])
        big.save(paths["ico"], sizes=ICO_SIZES)
        try:
            big.save(paths["icns"])
        except Exception:  # noqa: BLE001 - only macOS needs it; the spec falls back to the PNG
            paths.pop("icns")
    return paths


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    for kind, path in make_icons(sys.argv[1]).items():
        print(kind, path)
