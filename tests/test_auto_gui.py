"""The window's Auto: the Method choice, the engine it opens, and the batch list's blur column
(judge, sort, select only the shaken photos, the blur trace thumbnail)."""
from __future__ import annotations

import os

import cv2
import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402

from deblur_app.engine.auto import AutoDeblurrer  # noqa: E402
from deblur_app.gui.batch_panel import BLUR_COLUMN  # noqa: E402
from deblur_app.gui.shake_panel import ShakePanel  # noqa: E402
from deblur_app.gui.workers import EngineProvider, EngineSpec  # noqa: E402
from deblur_app.shake.synthetic import scene, shaken  # noqa: E402

from test_gui import (make_window, private_settings, settings_file,  # noqa: E402,F401
                      window)


def test_auto_is_the_first_and_default_method(qtbot):
    panel = ShakePanel()
    qtbot.addWidget(panel)
    assert panel.method_combo.itemData(0) == "auto" and panel.method() == "auto"
    assert [panel.method_combo.itemData(i) for i in range(3)] == ["auto", "network", "shake"]


def test_provider_opens_auto_over_both_methods(lite_weights):
    spec = EngineSpec(str(lite_weights), "cpu", method="auto", kernel_size=25)
    engine = EngineProvider().get(spec, lambda *a: None)
    assert isinstance(engine, AutoDeblurrer)
    assert engine.network.variant.name == "mimo-unet-lite" and engine.shake.kernel_size == 25


def test_window_spec_is_auto_by_default(make_window, tmp_path):
    from deblur_app.gui.settings import Settings
    path = tmp_path / "auto.ini"
    s = Settings.at(path)
    s.first_run_done, s.model, s.device = True, "mimo-unet-lite", "cpu"
    s.sync()
    w = make_window(path)
    spec = w.engine_spec()
    assert spec.method == "auto" and spec.weights.endswith("mimo-unet-lite.safetensors")


def test_batch_list_judges_sorts_and_selects_the_shaken(qtbot, window, tmp_path):
    from deblur_app.imaging.io import write_photo
    sharp = scene(np.random.default_rng(7), 256, 256)
    write_photo(tmp_path / "a_sharp.png", sharp, fmt="PNG", bit_depth=8)
    write_photo(tmp_path / "b_soft.png", cv2.GaussianBlur(sharp, (0, 0), 2.5), fmt="PNG",
                bit_depth=8)
    _, shaky, _ = shaken(0, length=15)
    write_photo(tmp_path / "c_shaken.png", shaky, fmt="PNG", bit_depth=8)
    panel = window.batch_panel
    panel.add_paths([tmp_path])
    model = panel.model
    assert model.headerData(BLUR_COLUMN, Qt.Orientation.Horizontal) == "Blur"
    assert not panel.select_shaken_button.isEnabled()
    panel.judge_blur()
    qtbot.waitUntil(lambda: panel.judge_task is None, timeout=120_000)
    kinds = {e.job.source.name: e.blur.kind for e in model.entries}
    assert kinds == {"a_sharp.png": "sharp", "b_soft.png": "blur", "c_shaken.png": "shake"}
    labels = [model.data(model.index(r, BLUR_COLUMN)) for r in range(3)]
    assert labels[0].startswith("sharp") and labels[2].startswith("camera shake")
    assert model.data(model.index(2, BLUR_COLUMN), Qt.ItemDataRole.DecorationRole) is not None
    assert model.data(model.index(0, BLUR_COLUMN), Qt.ItemDataRole.DecorationRole) is None
    # sort by the blur column, blurriest first (the header click's call)
    model.sort(BLUR_COLUMN, Qt.SortOrder.DescendingOrder)
    order = [e.job.source.name for e in model.entries]
    assert order[-1] == "a_sharp.png"
    # select only the shaken ones, and deblur only the selected
    panel.select_shaken()
    rows = [i.row() for i in panel.table.selectionModel().selectedRows()]
    assert [model.entries[r].job.source.name for r in rows] == ["c_shaken.png"]
    assert len(panel.pending_rows()) == 3
    panel.only_selected.setChecked(True)
    assert panel.pending_rows() == rows


def test_window_auto_leaves_a_sharp_photo_and_says_so(qtbot, window, tmp_path):
    from test_gui import deblur, open_photo
    from deblur_app.imaging.io import write_photo
    sharp = scene(np.random.default_rng(7), 256, 256)
    photo = tmp_path / "sharp.png"
    write_photo(photo, sharp, fmt="PNG", bit_depth=16)
    open_photo(qtbot, window, photo)
    window.shake_panel.set_method("auto")
    deblur(qtbot, window)
    assert "Auto: left unchanged: the photo is already sharp" in window.status_label.text()
    assert window.shake_panel.trace.text() == "Auto did not use shake estimation"
    restored = window.document.restored
    assert restored.choice == "unchanged" and window.document.model_title == "Auto"
    assert np.array_equal(restored.fine, window.document.photo.pixels)
