"""``deblur-studio --screenshot FILE [PHOTO|FOLDER]``: the window, after processing, as a PNG.

A photo (the bundled sample by default) is opened and deblurred whole; a folder is queued and
run as a batch (its outputs go to the folder's ``_deblurred`` sibling).  Used for the README
and for reviewing the look without a display.
"""
from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from ..resources import sample_photo
from .main_window import MainWindow


def wait_for(signal, timeout_s: float) -> bool:
    """Run the event loop until ``signal`` fires (True) or the time is up (False)."""
    loop = QEventLoop()
    fired = []
    signal.connect(lambda *a: (fired.append(1), loop.quit()))
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    loop.exec()
    return bool(fired)


def settle(ms: int = 300) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def take(window: MainWindow, out: Path, target: Path | None = None,
         size: tuple[int, int] = (1440, 900), timeout_s: float = 900,
         view: str | None = None, zoom: float | None = None, method: str | None = None,
         stop_after: int | None = None) -> int:
    """``view``: side, split or after; ``zoom``: 1.0 = 100% (default: fit); ``method``: a
    method's name (the Method choice); ``stop_after``: cancel the whole-photo run after this
    many tiles (a result filling in, cancelled: what is done is kept)."""
    if method is not None:
        from ..engine.methods import method_info
        try:
            method_info(method)
        except KeyError as exc:
            print(f"screenshot: {exc}", file=sys.stderr)
            return 2
        window.shake_panel.set_method(method)
    window.ask_unsaved = lambda results: "discard"     # nothing to keep from a screenshot
    window.resize(*size)
    window.show()
    settle(200)
    target = Path(target) if target else sample_photo()
    if target.is_dir():
        window.tabs.setCurrentIndex(1)
        added, problems = window.batch_panel.add_paths([target])
        if not added:
            print(f"screenshot: no photos in {target}", file=sys.stderr)
            return 1
        window.batch_panel.start()
        if not wait_for(window.batch_panel.batch_finished, timeout_s):
            print("screenshot: the batch did not finish in time", file=sys.stderr)
            return 1
    else:
        auto = window.auto_preview.isChecked()
        window.auto_preview.setChecked(False)
        window.open_photo(target)
        if not wait_for(window.photo_opened, 120):
            print(f"screenshot: cannot open {target}: {window.status_label.text()}",
                  file=sys.stderr)
            return 1
        window.auto_preview.setChecked(auto)
        if view:
            window.viewer.set_mode(view)
        settle(100)
        if zoom:
            window.viewer.set_zoom(zoom)
        window.deblur_all()
        if stop_after:
            tiles = []

            def count(task, scale, *_):
                if scale == "fine":
                    tiles.append(1)
                    if len(tiles) == stop_after:
                        window.cancel()
            window.run_task.signals.tile.connect(count)
            if not wait_for(window.run_finished, timeout_s) or not window.document.has_result:
                print(f"screenshot: no tiles: {window.status_label.text()}", file=sys.stderr)
                return 1
        elif not wait_for(window.run_finished, timeout_s) or not window.document.complete:
            print(f"screenshot: deblurring failed: {window.status_label.text()}",
                  file=sys.stderr)
            return 1
        if window.viewer.preview_pending:
            wait_for(window.viewer.preview_updated, 30)
    settle(400)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    ok = window.grab().save(str(out), "PNG")
    print(f"screenshot {'saved to' if ok else 'FAILED:'} {out}")
    QApplication.processEvents()
    return 0 if ok else 1
