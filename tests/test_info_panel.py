"""The window's photo Info panel, and the processing record the window's save writes."""
from __future__ import annotations

import exiv2
import numpy as np
from PySide6.QtWidgets import QApplication

from deblur_app.gui.info_panel import photo_info_markdown
from deblur_app.gui.dialogs import TextDialog
from deblur_app.imaging.io import read_photo
from deblur_app.imaging.metadata import describe
from deblur_app.imaging.record import read_record
from test_gui import (RUN_TIMEOUT, deblur, make_photo, make_window, open_photo,  # noqa: F401
                      private_settings, settings_file, window)


def catalogued(path):
    """``path`` with a camera, GPS, a rating, keywords and a caption added by exiv2."""
    image = exiv2.ImageFactory.open(str(path))
    image.readMetadata()
    image.exifData()["Exif.Image.Make"] = "Canon"
    image.exifData()["Exif.Image.Model"] = "EOS R6"
    image.exifData()["Exif.GPSInfo.GPSLatitude"] = "48/1 30/1 0/1"
    image.exifData()["Exif.GPSInfo.GPSLatitudeRef"] = "N"
    image.xmpData()["Xmp.xmp.Rating"] = "3"
    image.xmpData()["Xmp.dc.description"] = 'lang="x-default" Rings'
    image.iptcData()["Iptc.Application2.Keywords"] = "ceremony"
    image.writeMetadata()
    return path


def test_describe_gives_the_photographers_fields(tmp_path):
    photo = read_photo(catalogued(make_photo(tmp_path / "a.jpg")))
    rows = dict(describe(photo.metadata))
    assert rows["Camera"] == "Canon EOS R6" and rows["Rating"] == "3"
    assert rows["Caption"] == "Rings" and rows["Keywords"] == "ceremony"
    assert rows["GPS"] == "48.5000° N"
    text = photo_info_markdown(photo)
    assert "Canon EOS R6" in text and "Made by Deblur Studio" not in text


def test_window_saves_the_record_and_the_info_panel_reads_it_back(qtbot, window, tmp_path):
    src = catalogued(make_photo(tmp_path / "ring.jpg"))
    open_photo(qtbot, window, src)
    deblur(qtbot, window)
    target = tmp_path / "ring_deblurred.jpg"
    with qtbot.waitSignal(window.saved, timeout=RUN_TIMEOUT):
        window._save_to(target)
    record = read_record(target)
    assert record is not None and record.model == "mimo-unet-lite" and record.scale == "fine"
    assert len(record.weights_hash) == 12

    open_photo(qtbot, window, target)
    assert window.act_info.isEnabled()
    window.act_info.trigger()
    dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, TextDialog)
               and w.isVisible() and "ring_deblurred" in w.windowTitle()]
    assert dialogs
    text = dialogs[-1].browser.toPlainText()
    assert "Made by Deblur Studio" in text and "mimo-unet-lite" in text
    assert record.weights_hash in text and "Canon EOS R6" in text and "Rings" in text
    for d in dialogs:
        d.close()
    assert np.isfinite(read_photo(target).pixels).all()
