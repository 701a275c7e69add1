"""The About box (versions and licences) and the model card viewer."""
from __future__ import annotations

import platform
import sys
from importlib import metadata
from pathlib import Path

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QTextBrowser,
                               QVBoxLayout, QWidget)

from .. import __version__

LICENCES = [
    ("Deblur Studio", "MIT"),
    ("MIMO-UNet architecture", "Cho et al., “Rethinking Coarse-to-Fine Approach in Single Image "
                               "Deblurring”, ICCV 2021; original code MIT"),
    ("Qt / PySide6", "LGPL-3.0"),
    ("PyTorch", "BSD-3-Clause"),
    ("NumPy", "BSD-3-Clause"),
    ("OpenCV", "Apache-2.0"),
    ("Pillow", "MIT-CMU (HPND)"),
    ("tifffile", "BSD-3-Clause"),
    ("safetensors", "Apache-2.0"),
    ("platformdirs", "MIT"),
    ("Sample photo", "“Roebling Suspension Bridge” by Derek Jensen, public domain"),
]


def versions() -> list[tuple[str, str]]:
    out = [("Deblur Studio", __version__),
           ("Python", f"{platform.python_version()} ({sys.platform})"),
           ("Qt", qVersion()), ("PySide6", pyside_version)]
    for name, dist in (("PyTorch", "torch"), ("NumPy", "numpy"),
                       ("OpenCV", "opencv-python-headless"), ("Pillow", "pillow"),
                       ("tifffile", "tifffile"), ("safetensors", "safetensors")):
        try:
            out.append((name, metadata.version(dist)))
        except metadata.PackageNotFoundError:
            if dist == "opencv-python-headless":
                try:
                    import cv2
                    out.append((name, cv2.__version__))
                except ImportError:
                    pass
    return out


def about_html(device: str = "") -> str:
    rows = "".join(f"<tr><td>{n}</td><td>&nbsp;{v}</td></tr>" for n, v in versions())
    lic = "".join(f"<tr><td>{n}</td><td>&nbsp;{v}</td></tr>" for n, v in LICENCES)
    dev = f"<p>Running the network on: {device}</p>" if device else ""
    return (f"<h2>Deblur Studio {__version__}</h2>"
            "<p>Removes camera shake and motion blur from photos with the MIMO-UNet network, "
            "on a GPU where there is one and on the CPU where there is not. Originals are "
            "never modified.</p>"
            f"{dev}<h3>Versions</h3><table>{rows}</table>"
            f"<h3>Licences</h3><table>{lic}</table>")


class TextDialog(QDialog):
    """A resizable dialog showing rich text or Markdown."""

    def __init__(self, parent: QWidget | None, title: str, *, html: str = "",
                 markdown: str = "", icon: QIcon | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(True)
        if markdown:
            self.browser.setMarkdown(markdown)
        else:
            self.browser.setHtml(html)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        lay = QVBoxLayout(self)
        if icon is not None and not icon.isNull():
            top = QHBoxLayout()
            logo = QLabel()
            logo.setPixmap(icon.pixmap(64, 64))
            top.addWidget(logo, 0, Qt.AlignmentFlag.AlignTop)
            top.addWidget(self.browser, 1)
            lay.addLayout(top)
        else:
            lay.addWidget(self.browser)
        lay.addWidget(buttons)
        self.resize(560, 520)


def about_dialog(parent: QWidget | None, icon: QIcon | None = None,
                 device: str = "") -> TextDialog:
    return TextDialog(parent, "About Deblur Studio", html=about_html(device), icon=icon)


def model_card_markdown(title: str, summary: str, weights: Path | None,
                        card: Path | None) -> str:
    if card is not None:
        try:
            return card.read_text(encoding="utf-8")
        except OSError as exc:
            return f"# {title}\n\nThe model card {card} cannot be read ({exc})."
    lines = [f"# {title}", "", summary or ""]
    if weights is not None:
        try:
            size = f"{weights.stat().st_size / 1e6:.1f} MB"
        except OSError:
            size = "missing"
        lines += ["", f"**Weights:** `{weights}` ({size})"]
    lines += ["", "No model card (training data, metrics) ships with these weights."]
    return "\n".join(lines)
