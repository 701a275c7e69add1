"""The window's photo Info panel: what the photo file says about itself, and the processing
record when the photo is one of our outputs (read back from its XMP)."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from ..imaging.io import Photo
from ..imaging.metadata import describe
from ..imaging.record import record_from_metadata
from .dialogs import TextDialog


def _table(rows: list[tuple[str, str]]) -> str:
    """Label / value rows as an HTML table: no header row (a Markdown table needs one, and
    showed it empty)."""
    cells = "".join(f"<tr><td><b>{html.escape(label)}</b></td><td>&nbsp;{html.escape(text)}"
                    "</td></tr>" for label, text in rows)
    return f"<table>{cells}</table>"


def photo_info_markdown(photo: Photo) -> str:
    """The Info panel's text (Markdown) for an open photo."""
    name = photo.source.name or "(unsaved)"
    # Markdown with HTML tables (Qt's Markdown reader passes HTML blocks through)
    file_rows = [("Size", f"{photo.width} × {photo.height} ({photo.megapixels:.1f} MP)"),
                 ("Format", f"{photo.format}, {photo.bit_depth}-bit"
                            + (", with alpha" if photo.alpha is not None else "")),
                 ("Colour profile", "embedded ICC profile" if photo.icc_profile else "sRGB")]
    parts = [f"# {html.escape(name)}", _table(file_rows)]
    about = describe(photo.metadata)
    parts += ["## The photo", _table(about) if about else "No camera or catalogue metadata."]
    record = record_from_metadata(photo.metadata)
    if record is not None:
        parts += ["## Made by Deblur Studio", _table([
            ("Software", record.software), ("Method", record.method),
            *([("Model", record.model), ("Weights", record.weights_hash or "–")]
              if record.model else []),
            *([("Kernel", record.kernel_size)] if record.kernel_size else []),
            *([("Detail", record.detail)] if record.detail else []),
            ("Scale", record.scale),
            ("Sharpening", f"{record.sharpen_amount:g} (radius {record.sharpen_radius:g})"
             if record.sharpen_amount else "none"),
            ("Contrast", f"{record.contrast:g}" if record.contrast else "none"),
            ("Strength", f"{record.strength * 100:g} %")])]
    if photo.notes:
        parts += ["## Notes", "\n".join(f"- {html.escape(n)}" for n in photo.notes)]
    return "\n\n".join(parts)


def show_photo_info(parent: QWidget, photo: Photo) -> TextDialog:
    dlg = TextDialog(parent, f"Info: {photo.source.name}", markdown=photo_info_markdown(photo))
    dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dlg.resize(520, 560)
    dlg.show()
    return dlg
