"""``deblur-studio``: start the window (or run the headless self-test, or take a screenshot).

    deblur-studio [PHOTO | FOLDER ...]      open a photo; folders and several photos are queued
    deblur-studio --self-test               headless check of this installation (exit 0/1)
    deblur-studio --screenshot FILE [PHOTO] the window after processing, as a PNG (offscreen)
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from .. import __version__


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="deblur-studio",
        description="Remove camera shake and motion blur from photos (MIMO-UNet). "
                    "Originals are never modified.")
    ap.add_argument("paths", nargs="*", metavar="PHOTO_OR_FOLDER",
                    help="a photo to open, or folders/photos for the batch queue")
    ap.add_argument("--self-test", action="store_true",
                    help="deblur the bundled sample without a window, check the result, "
                         "exit 0 (pass) or 1 (fail)")
    ap.add_argument("--screenshot", type=Path, metavar="FILE",
                    help="render the window offscreen to this PNG after processing the photo "
                         "(or folder) given, or the bundled sample")
    ap.add_argument("--size", default="1440x900", metavar="WxH",
                    help="window size for --screenshot (default 1440x900)")
    ap.add_argument("--view", choices=("side", "split", "after"), default=None,
                    help="comparison for --screenshot (default: as last used)")
    ap.add_argument("--zoom", type=float, default=None, metavar="PERCENT",
                    help="zoom for --screenshot, e.g. 100 (default: fit)")
    ap.add_argument("--method", default=None, metavar="NAME",
                    help="restoration method for --screenshot: network or shake (default: as "
                         "last used)")
    ap.add_argument("--stop-after", type=int, default=None, metavar="TILES",
                    help="--screenshot: cancel the run after this many tiles, to show a result "
                         "filling in")
    ap.add_argument("--tile", type=int, default=None, metavar="PX",
                    help="network tile size (default: the device's)")
    ap.add_argument("--device", default=None, help="auto, cpu, cuda, cuda:N, mps or intel-gpu")
    ap.add_argument("--theme", choices=("system", "light", "dark"), default=None,
                    help="colour scheme (default: follow the system)")
    ap.add_argument("--settings", type=Path, metavar="FILE.ini",
                    help="keep preferences in this file instead of the user's settings")
    ap.add_argument("--version", action="version", version=f"deblur-studio {__version__}")
    return ap


def _leave_a_core_for_the_window() -> None:
    """The network gets all cores but one, so the window stays quick on small machines."""
    try:
        import torch
        torch.set_num_threads(max(1, (os.cpu_count() or 2) - 1))
    except Exception:  # noqa: BLE001 - a tuning, never a reason not to start
        pass


def _quiet_offscreen_warnings() -> None:
    """The offscreen platform warns about window hints it cannot honour; nothing to fix."""
    from PySide6.QtCore import qInstallMessageHandler

    def handler(mode, context, message):
        if "propagateSizeHints" not in message:
            sys.stderr.write(message + "\n")
    qInstallMessageHandler(handler)


def _report_unexpected_errors_in(window) -> None:
    """A bug in a slot prints its traceback to the console and a one-line message in the window
    (instead of going unnoticed or stopping the app)."""
    import traceback

    def hook(kind, value, tb):
        traceback.print_exception(kind, value, tb)
        try:
            window.report(f"Unexpected error: {kind.__name__}: {value} (details in the console)",
                          "error")
        except RuntimeError:
            pass
    sys.excepthook = hook


def main(argv: list[str] | None = None) -> int:
    args, qt_args = build_parser().parse_known_args(argv)
    if args.self_test:
        from ..selftest import run
        return run(args.device or "auto")
    if args.screenshot:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    _leave_a_core_for_the_window()

    from PySide6.QtCore import QCoreApplication, Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from .main_window import MainWindow
    from .settings import APPLICATION, ORGANIZATION, Settings
    from .theme import app_icon, apply_theme

    if os.environ.get("QT_QPA_PLATFORM") == "offscreen":
        _quiet_offscreen_warnings()
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APPLICATION)
    QCoreApplication.setApplicationVersion(__version__)
    app = QApplication.instance() or QApplication([sys.argv[0], *qt_args])
    app.setWindowIcon(app_icon())
    QGuiApplication.setDesktopFileName("deblur-studio")

    temp_settings = None
    if args.settings:
        settings = Settings.at(args.settings)
    elif args.screenshot:
        temp_settings = tempfile.TemporaryDirectory(prefix="deblur-studio-")
        settings = Settings.at(Path(temp_settings.name) / "settings.ini")
        settings.first_run_done = True
    else:
        settings = Settings()
    apply_theme(app, args.theme or settings.theme)
    if args.device:
        settings.device = args.device

    window = MainWindow(settings, tile=args.tile)
    _report_unexpected_errors_in(window)
    if args.screenshot:
        from .screenshot import take
        try:
            w, h = (int(v) for v in args.size.lower().split("x"))
        except ValueError:
            print(f"--size: expected WIDTHxHEIGHT, not {args.size!r}", file=sys.stderr)
            return 2
        code = take(window, args.screenshot, Path(args.paths[0]) if args.paths else None,
                    size=(w, h), view=args.view,
                    zoom=args.zoom / 100.0 if args.zoom else None, method=args.method,
                    stop_after=args.stop_after)
        window.close()
        return code
    window.show()
    window.start(args.paths)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
