"""The look of the application: icon, light or dark palette following the system, style sheet.

On macOS the native style already follows the system's appearance and is kept.  Elsewhere the
Fusion style is used with a palette chosen from the system's colour scheme (Qt 6.5+), updated
when the scheme changes; ``theme`` can force ``light`` or ``dark``.
"""
from __future__ import annotations

import sys

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

from ..resources import resource_path

ICON_NAME = "deblur-studio"


def app_icon() -> QIcon:
    icon = QIcon()
    folder = resource_path("icons")
    svg, png = folder / f"{ICON_NAME}.svg", folder / f"{ICON_NAME}.png"
    if svg.is_file():
        icon.addFile(str(svg))
    if png.is_file():
        icon.addFile(str(png))
    return icon


def system_is_dark() -> bool:
    hints = QGuiApplication.styleHints()
    scheme = getattr(hints, "colorScheme", None)
    if scheme is not None:
        value = scheme()
        if value == Qt.ColorScheme.Dark:
            return True
        if value == Qt.ColorScheme.Light:
            return False
    # unknown: judge by the platform's own palette
    return QGuiApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128


def dark_palette() -> QPalette:
    p = QPalette()
    window, base, text = QColor(45, 45, 48), QColor(30, 30, 32), QColor(230, 230, 230)
    accent = QColor(64, 140, 230)
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        p.setColor(group, QPalette.ColorRole.Window, window)
        p.setColor(group, QPalette.ColorRole.WindowText, text)
        p.setColor(group, QPalette.ColorRole.Base, base)
        p.setColor(group, QPalette.ColorRole.AlternateBase, QColor(40, 40, 43))
        p.setColor(group, QPalette.ColorRole.ToolTipBase, QColor(60, 60, 64))
        p.setColor(group, QPalette.ColorRole.ToolTipText, text)
        p.setColor(group, QPalette.ColorRole.PlaceholderText, QColor(150, 150, 150))
        p.setColor(group, QPalette.ColorRole.Text, text)
        p.setColor(group, QPalette.ColorRole.Button, QColor(58, 58, 62))
        p.setColor(group, QPalette.ColorRole.ButtonText, text)
        p.setColor(group, QPalette.ColorRole.BrightText, QColor(255, 80, 80))
        p.setColor(group, QPalette.ColorRole.Highlight, accent)
        p.setColor(group, QPalette.ColorRole.HighlightedText, QColor(255, 255, 255))
        p.setColor(group, QPalette.ColorRole.Link, QColor(110, 170, 255))
        p.setColor(group, QPalette.ColorRole.Light, QColor(75, 75, 80))
        p.setColor(group, QPalette.ColorRole.Midlight, QColor(65, 65, 70))
        p.setColor(group, QPalette.ColorRole.Mid, QColor(40, 40, 43))
        p.setColor(group, QPalette.ColorRole.Dark, QColor(25, 25, 27))
        p.setColor(group, QPalette.ColorRole.Shadow, QColor(0, 0, 0))
    disabled = QColor(120, 120, 120)
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text,
                 QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Window, window)
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Base, base)
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Button, QColor(50, 50, 54))
    return p


def style_sheet() -> str:
    qss = resource_path("style.qss")
    try:
        return qss.read_text(encoding="utf-8")
    except OSError:
        return ""


def apply_theme(app: QApplication, theme: str = "system") -> None:
    """Style, palette and style sheet; with ``system``, follow later scheme changes too."""
    native_mac = sys.platform == "darwin" and theme == "system"
    if not native_mac and "Fusion" in QStyleFactory.keys():
        app.setStyle("Fusion")
    _set_palette(app, theme)
    app.setStyleSheet(style_sheet())
    if theme == "system" and not native_mac:
        hints = QGuiApplication.styleHints()
        if hasattr(hints, "colorSchemeChanged"):
            hints.colorSchemeChanged.connect(lambda *_: _set_palette(app, "system"))


def _set_palette(app: QApplication, theme: str) -> None:
    if sys.platform == "darwin" and theme == "system":
        return
    dark = system_is_dark() if theme == "system" else theme == "dark"
    app.setPalette(dark_palette() if dark else app.style().standardPalette())
