"""The window's Method choice: shake estimation runs through the same worker path as the
network, and its kernel (the blur trace) is drawn in the side panel."""
from __future__ import annotations

import os

import cv2
import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from deblur_app.gui.shake_panel import ShakePanel  # noqa: E402
from deblur_app.gui.workers import EngineProvider, EngineSpec  # noqa: E402
from deblur_app.shake import ShakeDeblurrer  # noqa: E402
from deblur_app.shake.synthetic import shaken  # noqa: E402

from test_gui import (RUN_TIMEOUT, deblur, make_window, open_photo,  # noqa: E402,F401
                      private_settings, settings_file, window)



@pytest.fixture(autouse=True)
def fresh_estimates():
    """Each test estimates for itself (the method remembers its last few estimates)."""
    from deblur_app.shake import engine as shake_engine
    shake_engine._ESTIMATES.clear()
    yield
    shake_engine._ESTIMATES.clear()

def test_panel_values_and_blur_trace(qtbot):
    panel = ShakePanel()
    qtbot.addWidget(panel)
    assert panel.method() == "auto" and panel.size_spin.isVisibleTo(panel)  # Auto may use shake
    panel.set_method("network")
    assert not panel.size_spin.isVisibleTo(panel)
    with qtbot.waitSignal(panel.changed):
        panel.set_method("shake")
    assert panel.size_spin.isVisibleTo(panel) and panel.kernel_size() is None
    assert panel.detail() is None
    panel.size_spin.setValue(31)
    panel.detail_auto.setChecked(False)
    panel.detail_slider.setValue(40)
    assert panel.kernel_size() == 31 and panel.detail() == pytest.approx(0.4)
    k = np.zeros((15, 15), np.float32)
    k[7, 3:12] = 1 / 9
    panel.show_kernel(k)
    img = panel.trace.pixmap().toImage()
    assert img.width() >= 100
    bright = [img.pixelColor(x, img.height() // 2).value() for x in range(img.width())]
    assert max(bright) == 255 and min(bright) == 0      # a white line on black
    panel.show_kernel(None, "no clear shake found")
    assert panel.trace.text() == "no clear shake found"


def test_provider_opens_the_shake_engine():
    spec = EngineSpec("", "cpu", method="shake", kernel_size=25, detail=0.5)
    engine = EngineProvider().get(spec, lambda *a: None)
    assert isinstance(engine, ShakeDeblurrer)
    assert engine.kernel_size == 25 and engine.detail == 0.5


def test_window_deblurs_with_shake_estimation_and_draws_the_kernel(qtbot, window, tmp_path):
    from test_shake import _camera_shaken, _real
    blurred, _ = _camera_shaken(_real("bridge_1024x768.jpg"), 15, seed=11)   # a real photo
    photo = tmp_path / "shaky.png"
    cv2.imwrite(str(photo), (blurred[..., ::-1] * 65535 + 0.5).astype(np.uint16))
    open_photo(qtbot, window, photo)
    window.shake_panel.set_method("shake")
    deblur(qtbot, window)
    assert "Shake estimation" in window.status_label.text(), window.status_label.text()
    assert window.shake_panel.trace.pixmap() is not None
    assert not window.shake_panel.trace.pixmap().isNull(), window.status_label.text()


def test_method_and_shake_settings_persist(qtbot, make_window, settings_file):
    first = make_window(settings_file)
    first.shake_panel.set_values("shake", 31, 0.6)
    first.save_settings()
    second = make_window(settings_file)
    assert second.shake_panel.values() == ("shake", 31, pytest.approx(0.6))
    spec = second.engine_spec()
    assert spec.method == "shake" and spec.kernel_size == 31 and spec.detail == pytest.approx(0.6)


def test_region_tool_estimates_on_the_part_in_view(qtbot, window, tmp_path):
    """Estimate in view: the visible part becomes the shake region, outlined on the before
    view, passed to the engine (moved into a previewed part's own pixels), cleared by Auto
    and by opening another photo."""
    from test_gui import grab_pixels, make_photo
    photo = make_photo(tmp_path / "p.png", 384, 256)
    open_photo(qtbot, window, photo)
    window.shake_panel.set_method("shake")
    assert window.shake_panel.region() is None and window.engine_spec().region is None
    plain = grab_pixels(window.viewer.before_canvas)
    window.viewer.set_zoom(2.0)
    window.shake_panel.region_button.click()
    x, y, w, h = window.shake_panel.region()
    assert 32 <= w < 384 and 32 <= h <= 256 and x > 0
    assert window.engine_spec().region == (x, y, w, h)
    assert "at" in window.shake_panel.region_label.text()
    window.viewer.fit()
    outlined = grab_pixels(window.viewer.before_canvas)
    orange = (outlined[..., 0] > 200) & (outlined[..., 1] > 120) & (outlined[..., 1] < 200) & \
        (outlined[..., 2] < 80)
    was_orange = (plain[..., 0] > 200) & (plain[..., 1] > 120) & (plain[..., 1] < 200) & \
        (plain[..., 2] < 80)
    assert orange.sum() > was_orange.sum() + 50         # the outline is drawn
    # a quick preview of a part: the region in that part's own coordinates
    from deblur_app.gui.document import Region
    from deblur_app.gui.workers import DeblurTask
    task = DeblurTask(window.engine_provider, window.engine_spec(), window.document.photo,
                      window.document.before, Region(x - 8, y - 4, w + 100, h + 100))
    assert task._spec_for_pixels().region == (8, 4, w, h)
    assert x > 8                      # zoomed in around the centre
    far = DeblurTask(window.engine_provider, window.engine_spec(), window.document.photo,
                     window.document.before, Region(0, 0, 40, 40))
    assert far._spec_for_pixels().region is None        # no overlap: the method chooses
    window.shake_panel.region_auto.click()
    assert window.shake_panel.region() is None and window.viewer.shake_region is None
    window.shake_panel.region_button.click()
    open_photo(qtbot, window, photo)
    assert window.shake_panel.region() is None


def test_detail_slider_is_live_and_reuses_the_kernel(qtbot, window, tmp_path, monkeypatch):
    """After a shake run, moving the detail slider previews the part in view again at screen
    resolution by itself (not the whole photo: seconds on any photo), estimating the kernel of
    that view once and reusing it on every further move; the whole-photo result stays one Back
    away."""
    _, blurred, _ = shaken(1, length=15)
    photo = tmp_path / "shaky.png"
    cv2.imwrite(str(photo), (blurred[..., ::-1] * 255 + 0.5).astype(np.uint8))
    estimates = []
    real_estimate = ShakeDeblurrer.estimate
    monkeypatch.setattr(ShakeDeblurrer, "estimate",
                        lambda self, *a, **k: estimates.append(1) or real_estimate(self, *a, **k))
    open_photo(qtbot, window, photo)
    window.shake_panel.set_method("shake")
    window.shake_panel.size_spin.setValue(21)
    deblur(qtbot, window)
    assert window.document.restored.kernel is not None, window.status_label.text()
    whole = window.document.result
    assert len(estimates) == 1
    window.viewer.set_zoom(1.0)                       # a part of the photo in view
    tasks = []
    window.engine_provider.get = (lambda get: lambda spec, progress: (
        tasks.append(window.run_task), get(spec, progress))[1])(window.engine_provider.get)
    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT):
        window.shake_panel.detail_auto.setChecked(False)
        window.shake_panel.detail_slider.setValue(95)
    doc = window.document
    assert not doc.complete and doc.result.region is not None      # the view, previewed
    w, h = doc.size
    assert tasks[-1].pixels_run < w * h                              # not the whole photo
    seen = len(estimates)
    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT):
        window.shake_panel.detail_slider.setValue(40)
    assert tasks[-1].spec.detail == pytest.approx(0.4) and tasks[-1].region is not None
    assert len(estimates) == seen                # the same view: its estimate is reused
    window.act_back.trigger()                                      # the whole photo is kept
    assert doc.result is whole and doc.complete
    # another setting (the kernel size) does not re-run by itself
    runs = window.engine_provider.runs
    window.shake_panel.size_spin.setValue(31)
    qtbot.wait(700)
    assert window.engine_provider.runs == runs and window.run_task is None
