"""The desktop window, offscreen (pytest-qt): opening, running, comparing, finishing, batches.

Small generated photos, the lite network on the CPU with small tiles, one torch thread: every
test runs in seconds on a slow machine.  Preferences go to a temporary file.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

import torch  # noqa: E402
from PySide6.QtCore import (QCoreApplication, QMimeData, QPointF, QSettings, Qt,  # noqa: E402
                            QTimer, QUrl)
from PySide6.QtGui import QDragEnterEvent, QDropEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from deblur_app.gui.main_window import MainWindow  # noqa: E402
from deblur_app.gui.settings import Settings  # noqa: E402
from deblur_app.gui.workers import EngineProvider  # noqa: E402
from deblur_app.model.shipped import available_shipped  # noqa: E402

torch.set_num_threads(1)   # two shared cores: one for the network, one for the event loop

pytestmark = pytest.mark.skipif("mimo-unet-lite" not in available_shipped(),
                                reason="the lite weights are not in weights/")

RUN_TIMEOUT = 60_000  # ms


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------

def make_photo(path: Path, width: int = 192, height: int = 128, seed: int = 0) -> Path:
    """A small blurred scene: shapes and text, smeared by a horizontal shake."""
    rng = np.random.default_rng(seed)
    img = np.full((height, width, 3), 60, np.uint8)
    img[:] = np.linspace(40, 200, width, dtype=np.uint8)[None, :, None]
    for _ in range(8):
        c = tuple(int(v) for v in rng.integers(0, 255, 3))
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        cv2.rectangle(img, (x, y), (x + int(rng.integers(8, 40)), y + int(rng.integers(8, 40))),
                      c, -1)
    cv2.putText(img, "DEBLUR", (10, height // 2), cv2.FONT_HERSHEY_SIMPLEX, 0.9,
                (250, 250, 250), 2)
    kernel = np.zeros((1, 9), np.float32)
    kernel[:] = 1 / 9
    img = cv2.filter2D(img, -1, kernel)
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), img)
    return path


def drop(window: MainWindow, paths: list[Path]) -> QDropEvent:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    pos = QPointF(window.width() / 2, window.height() / 2)
    enter = QDragEnterEvent(pos, Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    event = QDropEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, event)
    return event


def grab_pixels(widget) -> np.ndarray:
    img = widget.grab().toImage().convertToFormat(widget.grab().toImage().Format.Format_RGB888)
    h, w = img.height(), img.width()
    arr = np.frombuffer(img.constBits(), np.uint8, count=img.bytesPerLine() * h)
    return arr.reshape(h, img.bytesPerLine())[:, :w * 3].reshape(h, w, 3).copy()


# --------------------------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def private_settings(tmp_path_factory, qapp):
    """Nothing a test does may touch the user's own preferences."""
    folder = tmp_path_factory.mktemp("qsettings")
    QCoreApplication.setOrganizationName("DeblurStudioTests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    yield


@pytest.fixture
def settings_file(tmp_path) -> Path:
    path = tmp_path / "settings.ini"
    s = Settings.at(path)
    s.first_run_done = True
    s.auto_preview = False
    s.model = "mimo-unet-lite"
    s.device = "cpu"
    s.method = "network"        # these tests are about the network (Auto: tests/test_auto_gui.py)
    s.sync()
    return path


@pytest.fixture
def make_window(qtbot, settings_file):
    made = []

    def make(path: Path | None = None, size=(1000, 680)) -> MainWindow:
        w = MainWindow(Settings.at(path or settings_file), tile=64, overlap=16)
        w.ask_unsaved = lambda results: "discard"     # no modal question in tests
        qtbot.addWidget(w)
        if size:
            w.resize(*size)
        w.show()
        qtbot.waitExposed(w)
        made.append(w)
        return w
    yield make
    for w in made:
        for t in list(w.workers.active):
            t.cancel()
        w.close()
    for w in made:
        for pool in (w.workers.compute, w.workers.files, w.workers.preview):
            pool.shutdown(wait=True)


@pytest.fixture
def window(make_window) -> MainWindow:
    return make_window()


def open_photo(qtbot, window: MainWindow, path: Path) -> None:
    with qtbot.waitSignal(window.photo_opened, timeout=RUN_TIMEOUT):
        window.open_photo(path)


def deblur(qtbot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT):
        window.deblur_all()
    assert window.document.complete, window.status_label.text()


# --------------------------------------------------------------------------------------------
# tests
# --------------------------------------------------------------------------------------------

def test_drop_a_photo_opens_it(qtbot, window, tmp_path):
    photo = make_photo(tmp_path / "shaky.png")
    with qtbot.waitSignal(window.photo_opened, timeout=RUN_TIMEOUT):
        event = drop(window, [photo])
    assert event.isAccepted()
    assert window.document.path == photo
    assert window.document.size == (192, 128)
    assert window.tabs.currentIndex() == 0
    assert "shaky.png" in window.windowTitle()
    assert window.viewer.shown_after() is None          # not deblurred yet


def test_drop_a_folder_queues_its_photos(qtbot, window, tmp_path):
    folder = tmp_path / "trip"
    make_photo(folder / "a.png")
    make_photo(folder / "b.jpg", seed=1)
    make_photo(folder / "sub" / "c.png", seed=2)
    (folder / "notes.txt").write_text("not a photo")
    window.batch_panel.recursive.setChecked(False)
    drop(window, [folder])
    assert window.tabs.currentIndex() == 1
    names = [e.job.source.name for e in window.batch_panel.model.entries]
    assert names == ["a.png", "b.jpg"]
    assert all(e.status == "waiting" for e in window.batch_panel.model.entries)
    window.batch_panel.recursive.setChecked(True)
    drop(window, [folder])                                   # adds only what is new
    names = [e.job.source.name for e in window.batch_panel.model.entries]
    assert names == ["a.png", "b.jpg", "c.png"]


def test_run_shows_result_switches_scales_without_rerun_and_saves(qtbot, window, tmp_path):
    photo = make_photo(tmp_path / "shaky.png")
    cv2.imwrite(str(photo), cv2.imread(str(photo)).astype(np.uint16) * 257)   # a 16-bit PNG
    open_photo(qtbot, window, photo)
    before_pixels = grab_pixels(window.viewer.after_canvas)
    deblur(qtbot, window)
    doc = window.document
    viewer = window.viewer
    assert set(doc.after) == {"coarse", "mid", "fine"}
    assert viewer.shown_after() is doc.after["fine"]
    assert doc.after["fine"].size == (192, 128)
    assert "fine" in viewer.label_for("after")
    assert not np.array_equal(grab_pixels(viewer.after_canvas), before_pixels)

    runs = window.engine_provider.runs
    window.act_scales["mid"].trigger()
    assert viewer.shown_after() is doc.after["mid"]
    assert doc.after["mid"].size == (96, 64)
    assert "96 × 64" in viewer.label_for("after")
    window.act_scales["coarse"].trigger()
    assert viewer.shown_after() is doc.after["coarse"]
    assert "48 × 32" in viewer.label_for("after")
    assert window.run_task is None and window.engine_provider.runs == runs

    # Space flips the after view to the original and back
    window.act_scales["fine"].trigger()
    fine = grab_pixels(viewer.after_canvas)
    window.act_flip.trigger()
    assert viewer.flipped and "Space" in viewer.label_for("before")
    flipped = grab_pixels(viewer.after_canvas)
    original = grab_pixels(viewer.before_canvas)
    h, w = min(flipped.shape[0], original.shape[0]), min(flipped.shape[1], original.shape[1])
    assert np.abs(flipped[40:h, 2:w - 2].astype(int) - original[40:h, 2:w - 2]).mean() < 2
    assert np.abs(flipped[40:].astype(int) - fine[40:]).mean() > 0.5
    window.act_flip.trigger()
    assert not viewer.flipped
    window.act_scales["coarse"].trigger()

    # split view with a draggable divider, zoom shared by both views
    window.act_modes["split"].trigger()
    assert viewer.after_canvas.role == "split" and not viewer.before_canvas.isVisible()
    c = viewer.after_canvas
    qtbot.mousePress(c, Qt.MouseButton.LeftButton, pos=QPointF(c.width() / 2, 50).toPoint())
    qtbot.mouseMove(c, pos=QPointF(c.width() * 0.25, 50).toPoint())
    qtbot.mouseRelease(c, Qt.MouseButton.LeftButton, pos=QPointF(c.width() * 0.25, 50).toPoint())
    assert viewer.split == pytest.approx(0.25, abs=0.02)
    window.act_modes["side"].trigger()
    window.act_100.trigger()
    assert viewer.state.zoom == pytest.approx(1.0)
    assert viewer.before_canvas.visible_photo_rect() == viewer.after_canvas.visible_photo_rect()

    # save: same format as the original, same size
    window.act_scales["fine"].trigger()
    target = tmp_path / "out" / "shaky_deblurred.png"
    target.parent.mkdir()
    with qtbot.waitSignal(window.saved, timeout=RUN_TIMEOUT):
        window._save_to(target)
    saved = cv2.imread(str(target), cv2.IMREAD_UNCHANGED)
    assert saved.shape == (128, 192, 3) and saved.dtype == np.uint16   # as the original
    assert window.document.saved_to == target


def test_post_processing_preview_changes_pixels(qtbot, window, tmp_path):
    open_photo(qtbot, window, make_photo(tmp_path / "shaky.png"))
    deblur(qtbot, window)
    viewer = window.viewer
    plain = grab_pixels(viewer.after_canvas)
    original = grab_pixels(viewer.before_canvas)
    t0 = time.perf_counter()
    with qtbot.waitSignal(viewer.preview_updated, timeout=5000):
        window.post_panel.sliders["sharpen_amount"].setValue(2.0)
    assert time.perf_counter() - t0 < 2.0
    sharpened = grab_pixels(viewer.after_canvas)
    assert np.abs(sharpened.astype(int) - plain).mean() > 0.5
    assert np.array_equal(grab_pixels(viewer.before_canvas), original)   # before untouched
    with qtbot.waitSignal(viewer.preview_updated, timeout=5000):
        window.post_panel.sliders["contrast"].setValue(80)
    contrasted = grab_pixels(viewer.after_canvas)
    assert not np.array_equal(contrasted, sharpened)
    with qtbot.waitSignal(viewer.preview_updated, timeout=5000):
        window.post_panel.sliders["strength"].setValue(0)
    window.post_panel.reset()
    qtbot.waitUntil(lambda: viewer.patch is None, timeout=2000)
    assert np.array_equal(grab_pixels(viewer.after_canvas), plain)


def test_quick_preview_deblurs_only_the_visible_area(qtbot, window, tmp_path):
    open_photo(qtbot, window, make_photo(tmp_path / "wide.png", 384, 256))
    window.viewer.set_zoom(3.0)                      # only part of the photo is in view
    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT):
        window.quick_preview()
    doc = window.document
    r = doc.region
    assert r is not None and not doc.complete
    assert r.area < 384 * 256 and r.x % 4 == 0 and r.y % 4 == 0
    vis = window.viewer.visible_photo_rect()
    assert r.x <= vis.left() + 4 and r.y <= vis.top() + 4
    fine, orig = doc.after["fine"].levels[0], doc.before.levels[0]
    outside = np.ones(orig.shape[:2], bool)
    outside[r.y:r.y + r.height, r.x:r.x + r.width] = False
    assert np.array_equal(fine[outside], orig[outside])
    assert not np.array_equal(fine[~outside], orig[~outside])
    assert "preview" in window.viewer.label_for("after")


def test_cancel_stops_a_run_within_a_tile(qtbot, window, tmp_path):
    open_photo(qtbot, window, make_photo(tmp_path / "big.png", 384, 256))
    seen = []
    window.deblur_all()
    task = window.run_task
    task.signals.progress.connect(lambda t, d, n, m: seen.append((d, n, time.perf_counter())))
    qtbot.waitUntil(lambda: any(d >= 1 for d, n, _ in seen), timeout=RUN_TIMEOUT)
    total = seen[-1][1]
    assert total > 10
    ticks = [t for d, n, t in seen if d >= 1]
    per_tile = (ticks[-1] - ticks[0]) / max(1, len(ticks) - 1) if len(ticks) > 1 else 1.0
    t0 = time.perf_counter()
    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT):
        window.act_cancel.trigger()
    elapsed = time.perf_counter() - t0
    assert task.done.wait(5)
    assert max(d for d, n, _ in seen) < total               # it really stopped early
    assert elapsed < max(3.0, 3 * per_tile)
    assert window.run_task is None and not window.document.complete
    # what was done is kept: finished tiles show the result, the rest the original (marked)
    doc = window.document
    res = doc.result
    assert res.cancelled and res.filled["fine"] and "cancelled" in window.viewer.label_for("after")
    fine, orig = res.after["fine"].levels[0], doc.before.levels[0]
    done = np.zeros(orig.shape[:2], bool)
    for x0, y0, x1, y1 in res.filled["fine"]:
        done[y0:y1, x0:x1] = True
    assert 0 < done.mean() < 1
    assert np.array_equal(fine[~done], orig[~done])
    assert not np.array_equal(fine[done], orig[done])
    assert window.status_label.text().startswith("Cancelled")
    assert not window.progress.isVisible()


class FixedEngine(EngineProvider):
    """Hands out one given engine, whatever the window asks for."""

    def __init__(self, engine):
        super().__init__()
        self.engine = engine

    def get(self, spec, progress):
        return self.engine


def test_window_stays_responsive_during_a_run(qtbot, window, tmp_path):
    from conftest import IdentityEngine
    open_photo(qtbot, window, make_photo(tmp_path / "big.png", 384, 256))
    # a run of 25 tiles of 40 ms of real filtering each: long by construction, on any machine
    window.engine_provider = FixedEngine(IdentityEngine(delay=0.04, tiles=25, busy=True))
    gaps = []
    last = [time.perf_counter()]

    def tick():
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    # The suite's own leftovers (every earlier test's objects live in this one process) would
    # make a full garbage collection in the middle of the measurement slow; the app starts with
    # a small heap.  Collect and freeze them first, so only the app's own work is measured.
    import gc
    gc.collect()
    gc.freeze()
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)
    timer.start()
    t0 = time.perf_counter()
    try:
        with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT):
            window.deblur_all()
            last[0] = time.perf_counter()
    finally:
        timer.stop()
        gc.unfreeze()
    run_time = time.perf_counter() - t0
    assert window.document.complete
    assert run_time >= 1.0 and len(gaps) > 20               # the run was long enough to judge
    worst = max(gaps)
    assert worst < 0.100, f"the event loop stalled for {worst * 1000:.0f} ms"


def test_batch_with_a_corrupt_photo_completes_the_rest(qtbot, window, tmp_path):
    folder = tmp_path / "wedding"
    good = [make_photo(folder / "a.png"), make_photo(folder / "b.jpg", seed=3)]
    bad = folder / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 this is not really a JPEG" * 10)
    originals = {p: p.read_bytes() for p in [*good, bad]}
    drop(window, [folder])
    panel = window.batch_panel
    panel.suffix.setText("_sharp")
    assert len(panel.model.entries) == 3
    with qtbot.waitSignal(panel.batch_finished, timeout=RUN_TIMEOUT):
        window.act_batch.trigger()
    status = {e.job.source.name: e for e in panel.model.entries}
    assert status["a.png"].status == "done"
    assert status["b.jpg"].status == "done"
    assert status["broken.jpg"].status == "failed"
    assert "broken.jpg" in status["broken.jpg"].detail
    outdir = tmp_path / "wedding_deblurred"
    assert sorted(p.name for p in outdir.iterdir()) == ["a_sharp.png", "b_sharp.jpg"]
    assert cv2.imread(str(outdir / "a_sharp.png")).shape == (128, 192, 3)
    assert all(p.read_bytes() == data for p, data in originals.items())   # untouched
    assert panel.open_button.isEnabled()
    assert panel.output_folder() == outdir
    assert "1 failed" in window.status_label.text()


def test_cancelled_batch_leaves_no_partial_files(qtbot, window, tmp_path):
    folder = tmp_path / "many"
    for i in range(4):
        make_photo(folder / f"p{i}.png", 384, 256, seed=i)
    drop(window, [folder])
    panel = window.batch_panel
    started = []
    panel.start()
    panel.task.signals.tile_progress.connect(lambda *a: started.append(a))
    qtbot.waitUntil(lambda: len(started) > 2, timeout=RUN_TIMEOUT)
    with qtbot.waitSignal(panel.batch_finished, timeout=RUN_TIMEOUT):
        panel.cancel()
    statuses = [e.status for e in panel.model.entries]
    assert "cancelled" in statuses and "running" not in statuses
    outdir = tmp_path / "many_deblurred"
    leftovers = [p.name for p in outdir.rglob("*")] if outdir.exists() else []
    assert not [n for n in leftovers if n.endswith(".part") or n.startswith(".")]
    done = [e for e in panel.model.entries if e.status == "done"]
    assert len(leftovers) == len(done)


def test_settings_survive_a_restart(qtbot, make_window, settings_file):
    w1 = make_window(settings_file)
    w1.post_panel.sliders["sharpen_amount"].setValue(0.8)
    w1.post_panel.sliders["contrast"].setValue(30)
    w1.post_panel.sliders["strength"].setValue(70)
    w1.act_scales["mid"].trigger()
    w1.act_modes["split"].trigger()
    w1.batch_panel.suffix.setText("_crisp")
    w1.batch_panel.recursive.setChecked(True)
    w1.batch_panel.fmt.setCurrentIndex(w1.batch_panel.fmt.findData("tif"))
    w1.resize(900, 640)
    w1.settings.open_dir = "/some/folder"
    w1.close()

    w2 = make_window(settings_file, size=None)
    post = w2.post_panel.post_settings()
    assert post.sharpen_amount == pytest.approx(0.8)
    assert post.contrast == pytest.approx(0.30)
    assert w2.post_panel.strength() == pytest.approx(0.70)
    assert w2.current_scale() == "mid" and w2.viewer.look.scale == "mid"
    assert w2.viewer.mode == "split"
    assert w2.batch_panel.suffix.text() == "_crisp"
    assert w2.batch_panel.recursive.isChecked()
    assert w2.batch_panel.fmt.currentData() == "tif"
    assert w2.model_combo.currentData() == ("shipped", "mimo-unet-lite")
    assert w2.device_combo.currentData() == "cpu"
    assert w2.settings.open_dir == "/some/folder"
    assert (w2.width(), w2.height()) == (900, 640)


def test_unreadable_photo_is_reported_in_the_window(qtbot, window, tmp_path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"garbage" * 20)
    window.open_photo(bad)
    qtbot.waitUntil(lambda: window.message_bar.isVisible(), timeout=RUN_TIMEOUT)
    assert "broken.jpg" in window.message_bar.text
    assert window.document is None
    window.handle_paths([tmp_path / "missing.png"])
    assert "missing.png" in window.message_bar.text


def test_bad_weights_file_is_reported(qtbot, window, tmp_path):
    bad = tmp_path / "weights.pth"
    bad.write_bytes(b"not a checkpoint")
    window.load_weights(bad)
    qtbot.waitUntil(lambda: window.message_bar.isVisible(), timeout=RUN_TIMEOUT)
    assert "weights.pth" in window.message_bar.text
    assert window.model_combo.currentData() == ("shipped", "mimo-unet-lite")


def test_shortcuts_are_shown_in_menus_and_dialogs_open(qtbot, window):
    for act in (window.act_open, window.act_save, window.act_deblur, window.act_cancel,
                window.act_flip, window.act_fit, window.act_100, *window.act_scales.values(),
                *window.act_modes.values(), window.act_batch):
        assert not act.shortcut().isEmpty(), act.text()
    assert window.act_open.shortcut().toString() == "Ctrl+O"
    assert window.act_save.shortcut().toString() == "Ctrl+S"
    assert window.act_flip.shortcut().toString() == "Space"
    window.show_about()
    window.show_model_card()
    from deblur_app.gui.dialogs import TextDialog
    dialogs = [w for w in QApplication.topLevelWidgets()
               if isinstance(w, TextDialog) and w.isVisible()]
    assert len(dialogs) == 2
    about = next(d for d in dialogs if d.windowTitle().startswith("About"))
    card = next(d for d in dialogs if d is not about)
    assert "PySide6" in about.browser.toPlainText() and "LGPL" in about.browser.toPlainText()
    assert "MIMO-UNet lite" in card.windowTitle()
    from deblur_app.model.shipped import model_card
    card_file = model_card("mimo-unet-lite")
    if card_file is not None:                     # the shipped card is what is shown
        heading = card_file.read_text().splitlines()[0].lstrip("# ").replace("`", "")
        assert heading in card.browser.toPlainText()
    for d in dialogs:
        d.close()


def test_window_batches_and_save_follow_the_batch_naming_rule(qtbot, window, tmp_path):
    """Two dropped folders with photos of the same name into one chosen output folder: two
    results, numbered; the window's Save proposes the batch's name for the scale shown."""
    from conftest import IdentityEngine
    from deblur_app.batch import Job, plan_outputs
    window.engine_provider = FixedEngine(IdentityEngine())
    d1 = make_photo(tmp_path / "d1" / "x.png", seed=1)
    d2 = make_photo(tmp_path / "d2" / "x.png", seed=2)
    panel = window.batch_panel
    out = tmp_path / "out"
    panel.outdir.setText(str(out))
    drop(window, [d1.parent, d2.parent])
    panel._select(panel.scale, "mid")
    with qtbot.waitSignal(panel.batch_finished, timeout=RUN_TIMEOUT):
        panel.start()
    assert sorted(p.name for p in out.iterdir()) == ["x_deblurred_mid (2).png",
                                                     "x_deblurred_mid.png"]
    details = [e.detail for e in panel.model.entries]
    assert "x_deblurred_mid.png is taken by the result of" in details[1]
    first = cv2.imread(str(out / "x_deblurred_mid.png")).astype(float)
    assert np.abs(first - cv2.resize(cv2.imread(str(d1)), (96, 64),
                                     interpolation=cv2.INTER_AREA)).mean() < 1.5

    open_photo(qtbot, window, d1)
    window.act_scales["mid"].trigger()
    window.settings.save_dir = str(tmp_path / "elsewhere")   # not a folder: the photo's own
    proposed = window.default_save_path()
    (plan,) = plan_outputs([Job(d1, Path("x.png"), d1.parent)], None, ("mid",), "_deblurred",
                           "same")
    assert proposed == plan.targets["mid"] == d1.parent / "x_deblurred_mid.png"


def test_a_camera_raw_shows_a_quick_preview_first(qtbot, window, tmp_path):
    from raw_sample import RAW_H, RAW_W, write_dng
    dng = write_dng(tmp_path / "camera.dng", orientation=1)
    order = []
    window.preview_shown.connect(lambda: order.append(
        ("preview", window.document, window.act_deblur.isEnabled(),
         window.viewer.document is not None)))
    window.photo_opened.connect(lambda: order.append(("opened", window.document)))
    open_photo(qtbot, window, dng)
    assert [o[0] for o in order] == ["preview", "opened"]
    _, doc_during, deblur_enabled, shown = order[0]
    assert doc_during is None and not deblur_enabled and shown   # shown, but nothing runs on it
    doc = order[1][1]
    assert doc is window.document and doc.photo.bit_depth == 16
    assert (doc.photo.width, doc.photo.height) == (RAW_W, RAW_H)


def test_precision_choice_reaches_the_engine_and_is_kept(qtbot, make_window, settings_file,
                                                        monkeypatch):
    from deblur_app.gui import workers
    w1 = make_window(settings_file)
    assert w1.engine_spec().precision == "auto"
    i = w1.precision_combo.findData("int8")
    assert w1.precision_combo.itemText(i) == "Fast (int8)"
    w1.precision_combo.setCurrentIndex(i)
    w1.precision_combo.activated.emit(i)
    spec = w1.engine_spec()
    assert spec.precision == "int8"
    seen = []
    monkeypatch.setattr(workers, "open_method", lambda *a, **k: seen.append(k) or "engine")
    assert EngineProvider().get(spec, lambda *a: None) == "engine"
    assert seen[0]["precision"] == "int8"
    w1.close()
    w2 = make_window(settings_file, size=None)
    assert w2.precision_combo.currentData() == "int8"
