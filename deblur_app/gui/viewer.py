"""Before and after, compared: side by side, split with a divider, or one view with a flip.

Both views share one :class:`ViewState` (zoom and centre), so wheel, drag, fit and 100% move
them together.  Zoom is counted in *device* pixels per photo pixel: 100% shows every photo pixel
on one screen pixel, also on high-DPI screens.  Only pyramid levels of about screen resolution
are painted (see :mod:`.pyramid`), and the live look (blend, sharpening, contrast) is rendered
in a worker for the visible region only (see :mod:`.look`); until it arrives the untouched
output is shown.
"""
from __future__ import annotations

import math
import weakref

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QImage, QPainter, QPalette, QPen, QRegion
from PySide6.QtWidgets import QHBoxLayout, QWidget

from ..engine.scales import FACTORS as SCALE_FACTORS, TITLES as SCALE_TITLES
from .document import PhotoDocument
from .look import Look, LookRenderer
from .pyramid import Pyramid
from .workers import RenderLookTask, Workers

MODES = ("side", "split", "after")
MODE_TITLES = {"side": "Side by side", "split": "Split view", "after": "After only"}
MIN_ZOOM, MAX_ZOOM = 0.01, 32.0
WHEEL_STEP = 1.25
PIXEL_ZOOM = 3.0               # from 300% on, photo pixels are drawn as sharp squares
PREVIEW_MARGIN = 0.25          # the live look covers the visible area plus this much each side
HINT = ("Open a photo (Ctrl+O) or drop photos and folders here.\n"
        "Folders and several photos go to the batch queue.")


def qimage_of(array: np.ndarray) -> QImage:
    """A QImage sharing ``array``'s memory (the caller keeps ``array`` alive)."""
    h, w = array.shape[:2]
    return QImage(array.data, w, h, array.strides[0], QImage.Format.Format_RGB888)


# QImages of pyramid levels, made once per level and dropped with their pyramid
_LEVEL_IMAGES: "weakref.WeakKeyDictionary[Pyramid, dict[int, QImage]]" = \
    weakref.WeakKeyDictionary()


def level_qimage(pyramid: Pyramid, level: int) -> QImage:
    images = _LEVEL_IMAGES.setdefault(pyramid, {})
    img = images.get(level)
    if img is None:
        img = images[level] = qimage_of(pyramid.levels[level])
    return img

class ViewState:
    """Zoom (device pixels per photo pixel) and centre (photo pixels), shared by all views."""

    def __init__(self):
        self.zoom = 1.0
        self.center = QPointF(0, 0)
        self.fit = True


class _Patch:
    """The look rendered for a rectangle of one level of an after pyramid."""

    def __init__(self, after: Pyramid, level: int, rect, look: Look, pixels: np.ndarray,
                 exact: bool = True):
        self.after, self.level, self.rect, self.look = after, level, rect, look
        self.exact = exact
        self.pixels = pixels                   # keeps the QImage's memory alive
        self.image = qimage_of(pixels)

    def covers(self, after: Pyramid, level: int, rect) -> bool:
        x0, y0, x1, y1 = self.rect
        return (after is self.after and level == self.level and rect[0] >= x0 and rect[1] >= y0
                and rect[2] <= x1 and rect[3] <= y1)


class ImageCanvas(QWidget):
    """One view of the comparison: ``before``, ``after`` or ``split`` (both, divided)."""

    def __init__(self, viewer: "CompareViewer", role: str):
        super().__init__(viewer)
        self.viewer = viewer
        self.role = role
        self._drag: QPointF | None = None
        self._dragging_divider = False
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.setMinimumSize(120, 90)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    # -- geometry ---------------------------------------------------------------------------
    @property
    def state(self) -> ViewState:
        return self.viewer.state

    def logical_scale(self) -> float:
        """Widget (logical) pixels per photo pixel."""
        return self.state.zoom / self.devicePixelRatioF()

    def to_widget(self, x: float, y: float) -> QPointF:
        s = self.logical_scale()
        c = self.state.center
        return QPointF((x - c.x()) * s + self.width() / 2, (y - c.y()) * s + self.height() / 2)

    def to_photo(self, p: QPointF) -> QPointF:
        s = self.logical_scale()
        c = self.state.center
        return QPointF((p.x() - self.width() / 2) / s + c.x(),
                       (p.y() - self.height() / 2) / s + c.y())

    def photo_rect_to_widget(self, x0, y0, x1, y1) -> QRectF:
        a, b = self.to_widget(x0, y0), self.to_widget(x1, y1)
        return QRectF(a, b)

    def visible_photo_rect(self) -> QRectF:
        """The part of the photo this view shows, in photo pixels (clamped to the photo)."""
        doc = self.viewer.document
        if doc is None:
            return QRectF()
        a = self.to_photo(QPointF(0, 0))
        b = self.to_photo(QPointF(self.width(), self.height()))
        w, h = doc.size
        return QRectF(QPointF(max(0.0, a.x()), max(0.0, a.y())),
                      QPointF(min(float(w), b.x()), min(float(h), b.y())))

    def divider_x(self) -> float:
        return self.width() * self.viewer.split

    # -- painting ---------------------------------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        p.fillRect(self.rect(), self.viewer.backdrop())
        doc = self.viewer.document
        if doc is None:
            if self.role != "before":
                self._hint(p)
            p.end()
            return
        before_layer = ("before", None)
        after_layer = self.viewer.after_layer()
        if self.role == "before":
            self._layer(p, before_layer)
            self._shake_region_marker(p)
            self._label(p, self.viewer.label_for("before"), left=True)
        elif self.role == "after":
            layer = before_layer if self.viewer.flipped else after_layer
            self._layer(p, layer)
            self._region_marker(p, layer)
            self._label(p, self.viewer.label_for("before" if self.viewer.flipped else "after"),
                        left=True)
        else:
            x = self.divider_x()
            p.save()
            p.setClipRect(QRectF(0, 0, x, self.height()))
            self._layer(p, before_layer)
            self._shake_region_marker(p)
            p.restore()
            p.save()
            p.setClipRect(QRectF(x, 0, self.width() - x, self.height()))
            layer = before_layer if self.viewer.flipped else after_layer
            self._layer(p, layer)
            self._region_marker(p, layer)
            p.restore()
            self._divider(p, x)
            self._label(p, self.viewer.label_for("before"), left=True)
            self._label(p, self.viewer.label_for("before" if self.viewer.flipped else "after"),
                        left=False)
        p.end()

    def _layer(self, p: QPainter, layer) -> None:
        doc = self.viewer.document
        kind, look = layer
        pyramid = doc.before if kind == "before" else doc.after[look.scale]
        self._draw_pyramid(p, pyramid)
        patch = self.viewer.patch if kind == "after" else None
        if patch is not None and patch.after is pyramid:
            self._draw_patch(p, patch)
        if kind == "after":
            self._unfinished_marker(p, look.scale)

    def _unfinished_marker(self, p: QPainter, scale: str) -> None:
        """A result still filling in (or cancelled): the part not done yet shows the original,
        hatched."""
        result = self.viewer.document.result
        if result is None or result.filled is None:
            return
        w, h = self.viewer.document.size
        rest = QRegion(self.photo_rect_to_widget(0, 0, w, h).toAlignedRect())
        for x0, y0, x1, y1 in result.filled.get(scale, ()):
            rest = rest.subtracted(QRegion(self.photo_rect_to_widget(x0, y0, x1, y1)
                                           .toAlignedRect()))
        if rest.isEmpty():
            return
        p.save()
        p.setClipRegion(rest, Qt.ClipOperation.IntersectClip)
        p.fillRect(self.rect(), QColor(0, 0, 0, 90))
        p.fillRect(self.rect(), QBrush(QColor(255, 255, 255, 70), Qt.BrushStyle.BDiagPattern))
        p.restore()

    def _draw_pyramid(self, p: QPainter, pyramid: Pyramid) -> None:
        level = pyramid.level_for(self.state.zoom)
        sx, sy = pyramid.scale_of(level)
        vis = self.visible_photo_rect()
        if vis.isEmpty():
            return
        lh, lw = pyramid.levels[level].shape[:2]
        lx0, ly0 = max(0, math.floor(vis.left() / sx)), max(0, math.floor(vis.top() / sy))
        lx1, ly1 = min(lw, math.ceil(vis.right() / sx)), min(lh, math.ceil(vis.bottom() / sy))
        if lx1 <= lx0 or ly1 <= ly0:
            return
        target = self.photo_rect_to_widget(lx0 * sx, ly0 * sy, lx1 * sx, ly1 * sy)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self._smooth())
        p.drawImage(target, level_qimage(pyramid, level), QRectF(lx0, ly0, lx1 - lx0, ly1 - ly0))

    def _smooth(self) -> bool:
        """Filtered drawing, except when zoomed in far enough to inspect single pixels (and
        the network's 1/2 and 1/4 outputs are enlarged smoothly below that)."""
        return self.state.zoom < PIXEL_ZOOM

    def _draw_patch(self, p: QPainter, patch: _Patch) -> None:
        sx, sy = patch.after.scale_of(patch.level)
        x0, y0, x1, y1 = patch.rect
        target = self.photo_rect_to_widget(x0 * sx, y0 * sy, x1 * sx, y1 * sy)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self._smooth())
        p.drawImage(target, patch.image, QRectF(0, 0, x1 - x0, y1 - y0))

    def _region_marker(self, p: QPainter, layer) -> None:
        region = self.viewer.document.region
        w, h = self.viewer.document.size
        if layer[0] != "after" or region is None or region.area >= w * h:
            return
        r = self.photo_rect_to_widget(region.x, region.y, region.x + region.width,
                                      region.y + region.height)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.setPen(QPen(QColor(0, 0, 0, 160), 1))
        p.drawRect(r)
        pen = QPen(QColor(255, 255, 255, 220), 1, Qt.PenStyle.DashLine)
        p.setPen(pen)
        p.drawRect(r)

    def _shake_region_marker(self, p: QPainter) -> None:
        """Where shake estimation looks, when the user chose it: an orange outline."""
        region = self.viewer.shake_region
        if region is None:
            return
        x, y, w, h = region
        r = self.photo_rect_to_widget(x, y, x + w, y + h)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.setPen(QPen(QColor(0, 0, 0, 160), 3))
        p.drawRect(r)
        p.setPen(QPen(QColor(255, 160, 0, 230), 1))
        p.drawRect(r)

    def _divider(self, p: QPainter, x: float) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setPen(QPen(QColor(0, 0, 0, 120), 3))
        p.drawLine(QPointF(x, 0), QPointF(x, self.height()))
        p.setPen(QPen(QColor(255, 255, 255, 230), 1.5))
        p.drawLine(QPointF(x, 0), QPointF(x, self.height()))
        c = QPointF(x, self.height() / 2)
        p.setBrush(QColor(255, 255, 255, 230))
        p.setPen(QPen(QColor(0, 0, 0, 120), 1))
        p.drawEllipse(c, 9, 9)
        p.setPen(QPen(QColor(40, 40, 40), 1.5))
        for d in (-1, 1):
            p.drawLine(QPointF(x + d * 2.5, c.y() - 4), QPointF(x + d * 5.5, c.y()))
            p.drawLine(QPointF(x + d * 5.5, c.y()), QPointF(x + d * 2.5, c.y() + 4))

    def _label(self, p: QPainter, text: str, left: bool) -> None:
        if not text:
            return
        font = QFont(self.font())
        p.setFont(font)
        fm = p.fontMetrics()
        pad = 6
        room = (self.width() / 2 if self.role == "split" else self.width()) - 16 - 2 * pad
        text = fm.elidedText(text, Qt.TextElideMode.ElideRight, int(max(room, 40)))
        w = fm.horizontalAdvance(text) + 2 * pad
        h = fm.height() + pad
        x = 8 if left else self.width() - w - 8
        box = QRectF(x, 8, w, h)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(0, 0, 0, 150))
        p.drawRoundedRect(box, 4, 4)
        p.setPen(QColor(255, 255, 255))
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    def _hint(self, p: QPainter) -> None:
        p.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.15)
        p.setFont(font)
        p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, HINT)

    # -- interaction --------------------------------------------------------------------------
    def _near_divider(self, x: float) -> bool:
        return self.role == "split" and abs(x - self.divider_x()) <= 8

    def mousePressEvent(self, event) -> None:  # noqa: N802
        if event.button() != Qt.MouseButton.LeftButton or self.viewer.document is None:
            return super().mousePressEvent(event)
        pos = event.position()
        self._dragging_divider = self._near_divider(pos.x())
        self._drag = pos
        if not self._dragging_divider:
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        event.accept()

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        pos = event.position()
        if self._drag is None:
            if self.viewer.document is not None:
                self.setCursor(Qt.CursorShape.SplitHCursor if self._near_divider(pos.x())
                               else Qt.CursorShape.OpenHandCursor)
            return
        if self._dragging_divider:
            self.viewer.set_split(pos.x() / max(1, self.width()))
        else:
            d = pos - self._drag
            self.viewer.pan_by(d.x() / self.logical_scale(), d.y() / self.logical_scale())
        self._drag = pos
        event.accept()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        self._drag = None
        self._dragging_divider = False
        self.setCursor(Qt.CursorShape.OpenHandCursor)

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802
        if self.viewer.document is None or self._near_divider(event.position().x()):
            return
        if self.state.fit or abs(self.state.zoom - 1.0) > 1e-6:
            self.viewer.set_zoom(1.0, self, event.position())
        else:
            self.viewer.fit()

    def wheelEvent(self, event) -> None:  # noqa: N802
        if self.viewer.document is None:
            return
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.viewer.set_zoom(self.state.zoom * WHEEL_STEP ** steps, self, event.position())
        event.accept()

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.viewer.canvas_resized(self)


class CompareViewer(QWidget):
    """The photo area of the window."""
    zoom_changed = Signal(float)
    view_changed = Signal()
    preview_updated = Signal()         # a live-look render arrived and is shown
    flipped_changed = Signal(bool)
    mode_changed = Signal(str)

    def __init__(self, workers: Workers, parent: QWidget | None = None):
        super().__init__(parent)
        self.workers = workers
        self.state = ViewState()
        self.document: PhotoDocument | None = None
        self.look = Look()
        self.mode = "side"
        self.split = 0.5
        self.flipped = False
        self.shake_region: tuple[int, int, int, int] | None = None   # outlined on "before"
        self.patch: _Patch | None = None
        self._renderer = LookRenderer()
        self._generation = 0
        self._accepted = 0
        self.before_canvas = ImageCanvas(self, "before")
        self.after_canvas = ImageCanvas(self, "after")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(self.before_canvas, 1)
        lay.addWidget(self.after_canvas, 1)
        self._look_timer = self._single_shot(40, self.request_preview)
        self._view_timer = self._single_shot(120, self.request_preview)
        self.set_mode("side")

    def _single_shot(self, ms: int, slot) -> QTimer:
        t = QTimer(self)
        t.setSingleShot(True)
        t.setInterval(ms)
        t.timeout.connect(slot)
        return t

    # -- content ----------------------------------------------------------------------------
    def set_document(self, doc: PhotoDocument | None) -> None:
        self.document = doc
        self.patch = None
        self.flipped = False
        self.state.fit = True
        self.fit()
        self.result_changed()

    def result_changed(self) -> None:
        """The document's after images changed (a run finished)."""
        self.patch = None
        self._refresh()
        self.request_preview()

    def result_filled(self) -> None:
        """Tiles of a result filling in were pasted into its pyramids: repaint."""
        self._refresh()

    def set_flipped(self, flipped: bool) -> None:
        if flipped != self.flipped:
            self.toggle_flip()

    def set_shake_region(self, region: tuple[int, int, int, int] | None) -> None:
        self.shake_region = region
        for canvas in (self.before_canvas, self.after_canvas):
            canvas.update()

    def set_look(self, look: Look) -> None:
        if look == self.look:
            return
        scale_changed = look.scale != self.look.scale
        self.look = look
        if scale_changed or look.is_identity:
            self.patch = None
            self._refresh()
        self._look_timer.start()

    def after_layer(self):
        doc = self.document
        if doc is None or self.look.scale not in doc.after:
            return ("before", None)
        return ("after", self.look)

    def shown_after(self) -> Pyramid | None:
        """The pyramid painted as "after" now (None before any run)."""
        kind, look = self.after_layer()
        return self.document.after[look.scale] if kind == "after" else None

    def label_for(self, which: str) -> str:
        doc = self.document
        if doc is None:
            return ""
        w, h = doc.size
        if which == "before":
            text = f"Before · {w} × {h}"
            return text + " · Space: back to after" if self.flipped else text
        if self.after_layer()[0] != "after":
            return "Not deblurred yet · Ctrl+Shift+R: preview · Ctrl+R: whole photo"
        result = doc.result
        scale = self.look.scale
        sw, sh = doc.scale_size(scale)
        text = f"After · {result.label} · {SCALE_TITLES[scale]} · {sw} × {sh}"
        if SCALE_FACTORS[scale] > 1:
            text += " shown enlarged"
        if result.region is not None:
            text += " · preview"
            if result.resolution < 1:
                text += f" at {result.resolution * 100:.0f} % size"
            if result.region.area < doc.size[0] * doc.size[1]:
                text += ": dashed area"
        if result.filled is not None:
            text += " · hatched: not done (original)"
        if len(doc.results) > 1:
            text += " · C: compare"
        return text

    def backdrop(self) -> QColor:
        base = self.palette().color(QPalette.ColorRole.Window)
        return QColor(48, 48, 48) if base.lightness() < 128 else QColor(218, 218, 218)

    # -- modes ------------------------------------------------------------------------------
    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            mode = "side"
        self.mode = mode
        self.before_canvas.setVisible(mode == "side")
        self.after_canvas.role = "split" if mode == "split" else "after"
        self._refresh()
        if self.state.fit:
            QTimer.singleShot(0, self.fit)
        self.mode_changed.emit(mode)

    def toggle_flip(self) -> None:
        self.flipped = not self.flipped
        self._refresh()
        self.flipped_changed.emit(self.flipped)

    def set_split(self, fraction: float) -> None:
        self.split = min(max(fraction, 0.0), 1.0)
        self.after_canvas.update()

    # -- zoom and pan -----------------------------------------------------------------------
    def main_canvas(self) -> ImageCanvas:
        return self.after_canvas

    def fit_zoom(self) -> float:
        doc = self.document
        c = self.main_canvas()
        if doc is None or c.width() <= 0 or c.height() <= 0:
            return 1.0
        dpr = c.devicePixelRatioF()
        w, h = doc.size
        return max(MIN_ZOOM, min(c.width() * dpr / w, c.height() * dpr / h))

    def fit(self) -> None:
        if self.document is not None:
            w, h = self.document.size
            self.state.center = QPointF(w / 2, h / 2)
            self.state.zoom = self.fit_zoom()
        self.state.fit = True
        self._view_changed()

    def set_zoom(self, zoom: float, canvas: ImageCanvas | None = None,
                 anchor: QPointF | None = None) -> None:
        """Zoom keeping the photo point under ``anchor`` (widget position in ``canvas``) put."""
        if self.document is None:
            return
        zoom = min(max(zoom, min(MIN_ZOOM, self.fit_zoom())), MAX_ZOOM)
        canvas = canvas or self.main_canvas()
        if anchor is None:
            anchor = QPointF(canvas.width() / 2, canvas.height() / 2)
        fixed = canvas.to_photo(anchor)
        self.state.zoom = zoom
        self.state.fit = False
        s = canvas.logical_scale()
        self.state.center = QPointF(fixed.x() - (anchor.x() - canvas.width() / 2) / s,
                                    fixed.y() - (anchor.y() - canvas.height() / 2) / s)
        self._clamp_center()
        self._view_changed()

    def zoom_by(self, factor: float) -> None:
        self.set_zoom(self.state.zoom * factor)

    def pan_by(self, dx: float, dy: float) -> None:
        """Move the photo by (dx, dy) photo pixels."""
        self.state.center -= QPointF(dx, dy)
        self.state.fit = False
        self._clamp_center()
        self._view_changed()

    def _clamp_center(self) -> None:
        if self.document is None:
            return
        w, h = self.document.size
        c = self.state.center
        self.state.center = QPointF(min(max(c.x(), 0.0), float(w)), min(max(c.y(), 0.0), float(h)))

    def canvas_resized(self, canvas: ImageCanvas) -> None:
        if canvas is self.main_canvas() and self.state.fit:
            self.fit()
        else:
            self._view_timer.start()

    def visible_photo_rect(self) -> QRectF:
        return self.main_canvas().visible_photo_rect()

    def _view_changed(self) -> None:
        self._refresh()
        self.zoom_changed.emit(self.state.zoom)
        self.view_changed.emit()
        self._view_timer.start()

    def _refresh(self) -> None:
        self.before_canvas.update()
        self.after_canvas.update()

    # -- live look ----------------------------------------------------------------------------
    def request_preview(self) -> None:
        """Render the look for the visible area (plus a margin), unless it is already there."""
        doc = self.document
        after = self.shown_after()
        if doc is None or after is None or self.look.is_identity:
            if self.patch is not None:
                self.patch = None
                self._refresh()
            return
        level = after.level_for(self.state.zoom)
        sx, sy = after.scale_of(level)
        lh, lw = after.levels[level].shape[:2]
        vis = self.visible_photo_rect()
        if vis.isEmpty():
            return
        need = (max(0, math.floor(vis.left() / sx)), max(0, math.floor(vis.top() / sy)),
                min(lw, math.ceil(vis.right() / sx)), min(lh, math.ceil(vis.bottom() / sy)))
        if self.patch is not None and self.patch.look == self.look and \
                self.patch.covers(after, level, need):
            return
        mx = (need[2] - need[0]) * PREVIEW_MARGIN
        my = (need[3] - need[1]) * PREVIEW_MARGIN
        rect = (max(0, int(need[0] - mx)), max(0, int(need[1] - my)),
                min(lw, int(math.ceil(need[2] + mx))), min(lh, int(math.ceil(need[3] + my))))
        self._generation += 1
        self._submit(doc.before, after, level, rect, self.look, allow_approx=True)

    def _submit(self, before, after, level, rect, look, allow_approx: bool) -> None:
        task = RenderLookTask(self._renderer, before, after, level, rect, look,
                              self._generation, lambda: self._generation, allow_approx)
        task.signals.finished.connect(self._preview_ready)
        self.workers.submit(self.workers.preview, task)

    def _preview_ready(self, task: RenderLookTask, pixels: np.ndarray) -> None:
        if task.generation < self._accepted or task.after is not self.shown_after():
            return
        self._accepted = task.generation
        self.patch = _Patch(task.after, task.level, task.rect, task.look, pixels, task.exact)
        self._refresh()
        self.preview_updated.emit()
        if task.look != self.look:
            self._look_timer.start()
        elif not task.exact and task.generation == self._generation:
            self._submit(task.before, task.after, task.level, task.rect, task.look,
                         allow_approx=False)

    @property
    def preview_pending(self) -> bool:
        return (not self.look.is_identity and self.shown_after() is not None
                and (self.patch is None or self.patch.look != self.look))
