"""The window for two methods (issue 17): every control in reach, results that fill in, nothing
lost, methods compared, one honest progress bar; offscreen, with engine doubles."""
from __future__ import annotations

import os
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtWidgets import QApplication  # noqa: E402

from conftest import IdentityEngine  # noqa: E402
from deblur_app.engine.methods import METHODS, method_info  # noqa: E402
from deblur_app.engine.progress import OneTotal  # noqa: E402
from test_gui import (RUN_TIMEOUT, FixedEngine, deblur, make_photo, make_window,  # noqa: E402,F401
                      open_photo, private_settings, settings_file, window)


class InvertEngine(IdentityEngine):
    """Every scale is the photo inverted (so a result differs from the original everywhere);
    with ``gate``, it waits after ``pause_after`` steps until the gate is set."""

    def __init__(self, tiles=4, gate: threading.Event | None = None, pause_after=2, steps=None):
        super().__init__(tiles=tiles)
        self.gate, self.pause_after, self.steps = gate, pause_after, steps
        self.progress_total = not steps
        self.seen_pixels = 0

    def run(self, image, scales=("coarse", "mid", "fine"), progress=None, cancel=None,
            on_tile=None):
        self.seen_pixels = image.shape[0] * image.shape[1]
        outer = progress
        if self.gate is not None and self.pause_after == 0:
            self.gate.wait(30)                  # before the first tile

        def gated(done, total, message=""):
            if outer is not None:
                outer(done, total, message)
            if self.gate is not None and done == self.pause_after:
                self.gate.wait(30)
        if self.steps:                          # counts that restart, as a method's steps do
            for total in self.steps:
                for d in range(1, total + 1):
                    outer(d, total, f"step {d}/{total}")
        return super().run(1.0 - image, scales, gated, cancel, on_tile)


def use(window, engine) -> None:
    window.engine_provider = FixedEngine(engine)


# --------------------------------------------------------------------------------------------
# 1. the Adjust panel: every control in reach, for every method
# --------------------------------------------------------------------------------------------

def test_adjust_panel_fits_its_dock_for_every_method(qtbot, make_window, qtlog):
    window = make_window(size=None)                  # the default size
    assert (window.width(), window.height()) == (1360, 860)
    panel = window.adjust_panel
    viewport = panel.viewport()
    for method in (m.name for m in METHODS):
        window.shake_panel.set_method(method)
        QApplication.processEvents()
        controls = panel.controls()
        assert len(controls) > 8
        outside = []
        for c in controls:
            top_left = c.mapTo(viewport, c.rect().topLeft())
            bottom_right = c.mapTo(viewport, c.rect().bottomRight())
            if top_left.x() < 0 or top_left.y() < 0 or bottom_right.x() >= viewport.width() \
                    or bottom_right.y() >= viewport.height():
                outside.append(c.text() if hasattr(c, "text") else type(c).__name__)
        assert not outside, f"{method}: outside the visible dock: {outside}"
        assert panel.horizontalScrollBar().maximum() == 0
        # method-specific rows only for their method
        shake_rows = window.shake_panel.method_rows["shake"]
        info = method_info(method)                  # Auto uses both methods' settings
        assert all(w.isVisibleTo(panel) == info.shake for w in shake_rows)
        assert window.adjust_panel.network_box.isVisibleTo(panel) == info.network
    # the slider is usable once Auto is unticked, and Auto's box is in reach
    sp = window.shake_panel
    sp.detail_auto.setChecked(False)
    assert sp.detail_slider.isEnabled()
    sp.detail_slider.setValue(55)
    assert sp.detail_value.text() == "0.55"
    # the region label wraps instead of pushing the panel wider
    width = panel.widget().width()
    sp.set_region((1000, 2000, 3000, 4000))
    QApplication.processEvents()
    assert panel.widget().width() == width
    assert not [r for r in qtlog.records if "setRowVisible" in r.message]


# --------------------------------------------------------------------------------------------
# 2. unsaved results: Save / Discard / Cancel, and Back
# --------------------------------------------------------------------------------------------

def test_unsaved_result_asks_before_opening_another_photo_and_on_close(qtbot, window, tmp_path,
                                                                        monkeypatch):
    use(window, InvertEngine(tiles=1))
    a, b = make_photo(tmp_path / "a.png"), make_photo(tmp_path / "b.png", seed=1)
    open_photo(qtbot, window, a)
    deblur(qtbot, window)
    asked = []

    def answer(choice):
        window.ask_unsaved = lambda results: asked.append([r.method for r in results]) or choice
    answer("cancel")
    window.open_photo(b)
    assert asked == [["network"]] and window.load_task is None
    assert window.document.path == a                 # stayed
    window.close()
    assert window.isVisible() and len(asked) == 2    # Cancel keeps the window open

    # Save: the result is saved first, then the other photo opens
    target = tmp_path / "a_saved.png"
    monkeypatch.setattr("deblur_app.gui.window_files.QFileDialog.getSaveFileName",
                        lambda *args, **kw: (str(target), ""))
    answer("save")
    with qtbot.waitSignal(window.photo_opened, timeout=RUN_TIMEOUT):
        window.open_photo(b)
    assert target.is_file() and window.document.path == b

    # Discard: goes on; the result stays in memory and Back returns to it
    deblur(qtbot, window)
    made = window.document.result
    answer("discard")
    open_photo(qtbot, window, a)
    assert window.document.path == a and not window.document.has_result
    window.act_back.trigger()
    assert window.document.path == b and window.document.result is made
    window.act_back.trigger()                        # and back again
    assert window.document.path == a


# --------------------------------------------------------------------------------------------
# 3. progressive results; Cancel keeps what is done
# --------------------------------------------------------------------------------------------

def test_whole_photo_fills_in_tile_by_tile(qtbot, window, tmp_path):
    gate = threading.Event()
    use(window, InvertEngine(tiles=4, gate=gate, pause_after=2))
    open_photo(qtbot, window, make_photo(tmp_path / "p.png", 192, 128))
    doc = window.document
    window.deblur_all()
    try:
        qtbot.waitUntil(lambda: doc.result is not None and doc.result.filled is not None
                        and len(doc.result.filled["fine"]) >= 2, timeout=RUN_TIMEOUT)
        fine, orig = doc.result.after["fine"].levels[0], doc.before.levels[0]
        top, bottom = slice(0, 64), slice(64, 128)     # two of four bands done
        assert np.abs(fine[top].astype(int) + orig[top] - 255).max() <= 1    # inverted
        assert np.array_equal(fine[bottom], orig[bottom])                      # not yet
        assert "hatched" in window.viewer.label_for("after")
        assert not doc.complete
    finally:
        gate.set()
    qtbot.waitUntil(lambda: window.run_task is None, timeout=RUN_TIMEOUT)
    assert doc.complete and doc.result.filled is None
    assert "hatched" not in window.viewer.label_for("after")


def test_cancel_keeps_the_finished_tiles(qtbot, window, tmp_path):
    gate = threading.Event()
    use(window, InvertEngine(tiles=4, gate=gate, pause_after=2))
    open_photo(qtbot, window, make_photo(tmp_path / "p.png", 192, 128))
    doc = window.document
    window.deblur_all()
    qtbot.waitUntil(lambda: doc.result is not None and doc.result.filled is not None
                    and len(doc.result.filled["fine"]) >= 2, timeout=RUN_TIMEOUT)
    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT):
        window.cancel()
        gate.set()
    res = doc.result
    assert res.cancelled and not doc.complete and len(res.filled["fine"]) == 2
    fine, orig = res.after["fine"].levels[0], doc.before.levels[0]
    assert np.abs(fine[:64].astype(int) + orig[:64] - 255).max() <= 1
    assert np.array_equal(fine[64:], orig[64:])
    assert "cancelled" in window.viewer.label_for("after")


# --------------------------------------------------------------------------------------------
# 4. one honest progress bar
# --------------------------------------------------------------------------------------------

def test_one_total_only_moves_forward():
    seen = []
    total = OneTotal(lambda d, n, m: seen.append((d, n)), exact=False)
    for steps in (3, 5, 2):                       # three steps, each counting from 1 again
        for d in range(1, steps + 1):
            total(d, steps, "")
    total(0, 0, "preparing")                      # a message does not move the bar
    fractions = [d / n for d, n in seen if n > 0]
    assert fractions == sorted(fractions)
    assert 0.8 < fractions[-1] < 1.0              # never full before the run ends
    assert seen[-1] == (-1, 0)
    same = []
    exact = OneTotal(lambda d, n, m: same.append(d / n))
    for d in range(1, 11):                        # one total over all steps: shown exactly
        exact(d, 10, "")
    assert same == pytest.approx([d / 10 for d in range(1, 11)])


def test_the_window_progress_bar_never_moves_back(qtbot, window, tmp_path):
    use(window, InvertEngine(tiles=3, steps=(4, 6, 2)))
    open_photo(qtbot, window, make_photo(tmp_path / "p.png"))
    values, texts = [], []
    window.progress.valueChanged.connect(values.append)
    window.progress.valueChanged.connect(lambda v: texts.append(window.eta_label.text()))
    deblur(qtbot, window)
    assert len(values) >= 6
    assert values == sorted(values)                    # never back, although the counts restart
    assert values[-1] < window.progress.maximum() == OneTotal.PARTS
    assert "time left unknown" in texts[-1]            # no made-up time estimate


# --------------------------------------------------------------------------------------------
# 5. Compare: Before / Network / Shake with one key; the after label names what made it
# --------------------------------------------------------------------------------------------

def test_compare_switch_steps_through_before_and_each_method(qtbot, window, tmp_path):
    use(window, InvertEngine(tiles=1))
    open_photo(qtbot, window, make_photo(tmp_path / "p.png"))
    deblur(qtbot, window)
    assert window.viewer.label_for("after").startswith("After · Network · ")
    window.shake_panel.set_method("shake")
    deblur(qtbot, window)        # the double leaves no kernel: "no clear shake found"
    doc = window.document
    assert set(doc.results) == {"network", "shake"}
    label = window.viewer.label_for("after")
    assert "Shake" in label and "no clear shake found" in label and "C: compare" in label
    assert window.compare_stops() == ["before", "network", "shake"]
    seen = []
    for _ in range(4):
        window.act_compare_next.trigger()
        seen.append("before" if window.viewer.flipped else doc.shown)
    assert seen == ["before", "network", "shake", "before"]
    window.act_compare_next.trigger()
    assert doc.shown == "network" and "Network" in window.viewer.label_for("after")
    assert window.act_compare_next.shortcut().toString() == "C"
    assert set(window.act_compare) == {"before", *(m.name for m in METHODS)}


def test_no_clear_shake_suggests_the_other_method(qtbot, window, tmp_path):
    flat = tmp_path / "flat.png"
    cv2.imwrite(str(flat), np.full((96, 128, 3), 128, np.uint8))
    open_photo(qtbot, window, flat)
    window.shake_panel.set_method("shake")
    deblur(qtbot, window)
    assert window.message_bar.isVisible()
    assert "Network method" in window.message_bar.text
    assert "unchanged" in window.viewer.label_for("after")


# --------------------------------------------------------------------------------------------
# 6. the preview covers the whole view, at screen resolution
# --------------------------------------------------------------------------------------------

def test_preview_at_fit_is_the_whole_photo_at_screen_resolution(qtbot, window, tmp_path):
    engine = InvertEngine(tiles=1)
    use(window, engine)
    open_photo(qtbot, window, make_photo(tmp_path / "big.png", 1600, 1200))
    zoom = window.viewer.state.zoom
    assert window.viewer.state.fit and zoom < 0.5
    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT):
        window.quick_preview()
    doc = window.document
    r = doc.result.region
    assert (r.x, r.y, r.width, r.height) == (0, 0, 1600, 1200)      # the whole photo
    assert doc.result.resolution == pytest.approx(zoom, rel=0.02)
    assert engine.seen_pixels <= window.preview_budget()
    assert engine.seen_pixels == pytest.approx(1600 * 1200 * zoom ** 2, rel=0.05)
    shown = doc.after["fine"]
    level = shown.levels[0]
    small = doc.before.levels[len(doc.before.levels) - len(shown.levels)]
    assert np.abs(level.astype(int) + small - 255).mean() < 8        # inverted everywhere
    assert "preview at" in window.viewer.label_for("after")
    assert not doc.complete


# --------------------------------------------------------------------------------------------
# 9, 10. the batch: Open output folder, reruns after a change of method
# --------------------------------------------------------------------------------------------

def test_open_output_folder_says_so_when_nothing_opens_it(qtbot, window, tmp_path, monkeypatch):
    monkeypatch.setattr("deblur_app.gui.batch_panel.QDesktopServices.openUrl",
                        lambda url: False)
    window.batch_panel.last_outdirs = [tmp_path]
    window.batch_panel.open_output_folder()
    assert window.message_bar.isVisible() and str(tmp_path) in window.message_bar.text
    assert QApplication.clipboard().text() == str(tmp_path)


def test_batch_rerun_after_changing_the_method_remakes_every_photo(qtbot, window, tmp_path):
    use(window, IdentityEngine())
    folder = tmp_path / "trip"
    make_photo(folder / "a.png")
    make_photo(folder / "b.png", seed=1)
    window.handle_paths([folder])
    panel = window.batch_panel
    with qtbot.waitSignal(panel.batch_finished, timeout=RUN_TIMEOUT):
        panel.start()
    assert [e.status for e in panel.model.entries] == ["done", "done"]
    panel.start()                           # same settings: nothing to do, nothing started
    assert panel.task is None and "done with these settings" in window.status_label.text()
    before = [e.made_with for e in panel.model.entries]
    window.shake_panel.set_method("shake")
    with qtbot.waitSignal(panel.batch_finished, timeout=RUN_TIMEOUT):
        panel.start()
    assert panel.model.entries and all("shake" in e.made_with for e in panel.model.entries)
    assert [e.made_with for e in panel.model.entries] != before   # both made again
    assert [e.status for e in panel.model.entries] == ["done", "done"]


# --------------------------------------------------------------------------------------------
# 11. Photo Info and the processing record
# --------------------------------------------------------------------------------------------

def test_shake_record_names_the_method_kernel_and_detail(tmp_path):
    from deblur_app.imaging.io import read_photo, write_photo
    from deblur_app.imaging.postprocess import PostSettings
    from deblur_app.imaging.record import read_record, record_for
    from deblur_app.shake import open_shake
    engine = open_shake(31, None, 0.4)
    kernel = np.zeros((21, 21), np.float32)
    kernel[10, 5:16] = 1 / 11
    record = record_for(engine, "fine", PostSettings(), 1.0, kernel=kernel)
    assert record.method == "Shake estimation" and record.model == "" and \
        record.weights_hash == ""
    assert record.kernel_size == "21 px" and record.detail == "0.4"
    assert "kernel 21 px" in record.summary() and "detail 0.4" in record.summary()
    out = tmp_path / "out.jpg"
    write_photo(out, np.random.default_rng(0).random((32, 48, 3), np.float32), fmt="JPEG",
                record=record)
    assert read_record(out) == record
    none = record_for(open_shake("auto", None, "auto"), "fine", PostSettings(), 1.0, kernel=None)
    assert none.kernel_size.startswith("none") and none.detail == "auto"
    from deblur_app.gui.info_panel import photo_info_markdown
    text = photo_info_markdown(read_photo(out))
    assert "21 px" in text and "Shake estimation" in text and "| |" not in text


def test_info_does_not_repeat_the_maker(tmp_path):
    import exiv2
    from deblur_app.imaging.io import read_photo
    from deblur_app.imaging.metadata import describe
    path = make_photo(tmp_path / "c.jpg")
    image = exiv2.ImageFactory.open(str(path))
    image.readMetadata()
    image.exifData()["Exif.Image.Make"] = "Canon"
    image.exifData()["Exif.Image.Model"] = "Canon PowerShot G7 X"
    image.writeMetadata()
    assert dict(describe(read_photo(path).metadata))["Camera"] == "Canon PowerShot G7 X"


def test_a_16_bit_png_carries_a_named_colour_profile(tmp_path):
    import struct

    from PIL import ImageCms

    from deblur_app.imaging.io import read_photo, write_photo
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = tmp_path / "deep.png"
    write_photo(out, np.random.default_rng(0).random((20, 30, 3), np.float32), fmt="PNG",
                bit_depth=16, icc_profile=profile)
    data, i, names = out.read_bytes(), 8, []
    while i < len(data):
        (n,) = struct.unpack(">I", data[i:i + 4])
        if data[i + 4:i + 8] == b"iCCP":
            names.append(data[i + 8:i + 8 + n].split(b"\0")[0])
        i += 12 + n
    assert names == [b"ICC Profile"]
    assert read_photo(out).icc_profile is not None


# --------------------------------------------------------------------------------------------
# the rest: recent files, theme, undo of adjustments, help, the window reaches models via engine
# --------------------------------------------------------------------------------------------

def test_recent_files_theme_undo_and_help(qtbot, window, tmp_path):
    use(window, InvertEngine(tiles=1))
    a, b = make_photo(tmp_path / "a.png"), make_photo(tmp_path / "b.png", seed=1)
    open_photo(qtbot, window, a)
    open_photo(qtbot, window, b)
    window._fill_recent_menu()
    entries = [act.data() for act in window.recent_menu.actions() if act.data()]
    assert entries == [str(b), str(a)]
    with qtbot.waitSignal(window.photo_opened, timeout=RUN_TIMEOUT):
        next(act for act in window.recent_menu.actions() if act.data() == str(a)).trigger()
    assert window.document.path == a

    app = QApplication.instance()
    style, palette, sheet = app.style().name(), app.palette(), app.styleSheet()
    window.act_themes["dark"].trigger()
    assert window.settings.theme == "dark"
    assert QApplication.palette().color(QApplication.palette().ColorRole.Window).lightness() < 128
    window.act_themes["light"].trigger()
    assert QApplication.palette().color(QApplication.palette().ColorRole.Window).lightness() > 128
    app.setStyle(style)                           # the tests after this one see the app as it was
    app.setPalette(palette)
    app.setStyleSheet(sheet)

    amount = window.post_panel.sliders["sharpen_amount"]
    assert not window.act_undo.isEnabled()
    amount.setValue(1.0)
    window.record_adjustment()                    # the slider settled
    amount.setValue(2.0)                          # not settled yet: Undo counts it first
    assert window.act_undo.shortcut().toString() == "Ctrl+Z"
    window.act_undo.trigger()
    assert amount.value() == pytest.approx(1.0)
    window.act_undo.trigger()
    assert amount.value() == pytest.approx(0.0)
    window.act_redo.trigger()
    assert amount.value() == pytest.approx(1.0)
    assert window.look().post.sharpen_amount == pytest.approx(1.0)

    assert window.act_help.shortcut().toString() == "F1"
    dlg = window.show_help()
    text = dlg.browser.toPlainText()
    for m in METHODS:
        assert m.title in text and m.purpose.split(".")[0] in text
    dlg.close()


def test_the_window_reaches_models_only_through_the_engine():
    import ast
    gui = Path(__file__).resolve().parents[1] / "deblur_app" / "gui"
    offenders = []
    for path in gui.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and \
                    (node.module == "model" or node.module.startswith("model.")) and \
                    node.level >= 2:
                offenders.append(path.name)
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [getattr(node, "module", None) or ""] + [a.name for a in node.names]
                if any(n.startswith("deblur_app.model") for n in names):
                    offenders.append(path.name)
    assert not offenders


def test_main_window_is_split_by_job():
    gui = Path(__file__).resolve().parents[1] / "deblur_app" / "gui"
    for name in ("main_window.py", "window_actions.py", "window_files.py", "window_runs.py",
                 "window_network.py", "adjust_panel.py"):
        assert len((gui / name).read_text().splitlines()) < 400, name


def test_a_run_cancelled_before_any_tile_leaves_the_earlier_result(qtbot, window, tmp_path):
    use(window, InvertEngine(tiles=1))
    open_photo(qtbot, window, make_photo(tmp_path / "p.png"))
    deblur(qtbot, window)
    earlier = window.document.result
    gate = threading.Event()
    use(window, InvertEngine(tiles=4, gate=gate, pause_after=0))
    window.deblur_all()
    qtbot.waitUntil(lambda: window.document.result is not earlier, timeout=RUN_TIMEOUT)
    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT):
        window.cancel()
        gate.set()
    assert window.document.result is earlier and window.document.complete


def test_the_unsaved_question_offers_save_discard_and_cancel(qtbot, window, tmp_path):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QMessageBox
    use(window, InvertEngine(tiles=1))
    open_photo(qtbot, window, make_photo(tmp_path / "p.png"))
    deblur(qtbot, window)
    del window.ask_unsaved                       # the real question (the fixture's answer off)
    offered = []

    def answer():
        box = QApplication.activeModalWidget()
        offered.extend(b.text().replace("&", "") for b in box.buttons())
        box.button(QMessageBox.StandardButton.Cancel).click()
    QTimer.singleShot(100, answer)
    assert window.ask_unsaved(window.document.unsaved()) == "cancel"
    assert {"Save", "Discard", "Cancel"} <= set(offered)
    window.ask_unsaved = lambda results: "discard"
