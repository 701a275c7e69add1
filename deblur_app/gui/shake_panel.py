"""The Method choice: the network or shake estimation, with shake's kernel size, detail and
the estimated kernel drawn (the "blur trace").

The panel only holds values and shows the last kernel; the window builds the engine spec from
:meth:`ShakePanel.method`, :meth:`ShakePanel.kernel_size` and :meth:`ShakePanel.detail`.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel,
                               QPushButton, QSlider, QSpinBox, QWidget)

from ..shake.engine import MAX_KERNEL
from ..shake.kernel import picture

METHODS = (("auto", "Auto"), ("network", "Network (MIMO-UNet)"), ("shake", "Shake estimation"))
SHAKE_USERS = ("shake", "auto")      # the methods that may run shake estimation
TRACE_SIDE = 128


class ShakePanel(QGroupBox):
    changed = Signal()
    region_requested = Signal()      # "Estimate in view": the window supplies the visible area

    def __init__(self, parent=None):
        super().__init__("Method", parent)
        self.method_combo = QComboBox()
        for key, title in METHODS:
            self.method_combo.addItem(title, key)
        self.method_combo.setToolTip(
            "Auto: judges each photo's blur: a sharp photo is left as it is, a camera shake "
            "found with confidence goes to shake estimation, any other blur to the network "
            "(toned down where it would do harm); the result says which and why.  "
            "Network: MIMO-UNet, for any motion blur.  Shake estimation: finds the path the "
            "camera drew during the exposure and removes it; for camera shake, and it leaves "
            "the photo unchanged when it finds no clear shake.")
        self.size_spin = QSpinBox()
        self.size_spin.setRange(0, MAX_KERNEL)
        self.size_spin.setSingleStep(2)
        self.size_spin.setSpecialValueText("Auto")
        self.size_spin.setSuffix(" px")
        self.size_spin.setToolTip("Largest blur to look for; Auto tries several sizes")
        self.detail_slider = QSlider(Qt.Orientation.Horizontal)
        self.detail_slider.setRange(0, 100)
        self.detail_slider.setValue(30)
        self.detail_slider.setToolTip("More detail (right) or fewer artefacts (left)")
        self.detail_auto = QCheckBox("Auto")
        self.detail_auto.setChecked(True)
        self.detail_auto.setToolTip("Choose the detail from the photo's noise")
        self.region_label = QLabel()
        self.region_label.setToolTip("Where the shake is estimated: by default the most "
                                     "detailed ~1 megapixel of the photo")
        self.region_button = QPushButton("Estimate in view")
        self.region_button.setToolTip("Estimate the shake on the part of the photo in view "
                                      "(zoom and pan the before view to choose it); it is "
                                      "outlined on the before view")
        self.region_auto = QPushButton("Auto")
        self.region_auto.setToolTip("Let the app choose the most detailed area")
        self._region: tuple[int, int, int, int] | None = None
        self.trace = QLabel("No kernel yet")
        self.trace.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.trace.setMinimumSize(TRACE_SIDE, TRACE_SIDE)
        self.trace.setToolTip("The estimated blur kernel: the camera's path during the exposure")
        form = self.form = QFormLayout(self)
        form.addRow("Restore with", self.method_combo)
        form.addRow("Kernel size", self.size_spin)
        row = QHBoxLayout()
        row.addWidget(self.detail_slider, 1)
        row.addWidget(self.detail_auto)
        form.addRow("Detail", row)
        region_row = QHBoxLayout()
        region_row.addWidget(self.region_label, 1)
        region_row.addWidget(self.region_button)
        region_row.addWidget(self.region_auto)
        region_row.setContentsMargins(0, 0, 0, 0)
        self.region_box = QWidget()                     # the row as one widget (show/hide)
        self.region_box.setLayout(region_row)
        form.addRow("Region", self.region_box)
        form.addRow("Blur trace", self.trace)
        self._shake_rows = (self.size_spin, self.detail_slider, self.detail_auto, self.trace,
                            self.region_box)
        self.region_button.clicked.connect(self.region_requested)
        self.region_auto.clicked.connect(lambda: self.set_region(None))
        self.set_region(None)
        self.method_combo.currentIndexChanged.connect(self._method_changed)
        self.size_spin.valueChanged.connect(self.changed)
        self.detail_slider.valueChanged.connect(self.changed)
        self.detail_auto.toggled.connect(self._auto_toggled)
        self._method_changed()

    # -- values -------------------------------------------------------------------------------
    def method(self) -> str:
        return self.method_combo.currentData()

    def set_method(self, method: str) -> None:
        index = self.method_combo.findData(method)
        if index >= 0:
            self.method_combo.setCurrentIndex(index)

    def kernel_size(self) -> int | None:
        return self.size_spin.value() or None

    def region(self) -> tuple[int, int, int, int] | None:
        """(x, y, width, height) in photo pixels where the shake is estimated; None: auto."""
        return self._region

    def set_region(self, region: tuple[int, int, int, int] | None) -> None:
        changed = region != self._region
        self._region = None if region is None else tuple(int(v) for v in region)
        if self._region is None:
            self.region_label.setText("Auto (most detailed area)")
        else:
            x, y, w, h = self._region
            self.region_label.setText(f"{w} × {h} at {x}, {y}")
        self.region_auto.setEnabled(self._region is not None)
        if changed:
            self.changed.emit()

    def detail(self) -> float | None:
        return None if self.detail_auto.isChecked() else self.detail_slider.value() / 100.0

    def values(self) -> tuple[str, int, float]:
        """(method, kernel size or 0 for auto, detail or -1 for auto): what the settings keep."""
        detail = self.detail()
        return self.method(), self.kernel_size() or 0, -1.0 if detail is None else detail

    def set_values(self, method: str, kernel_size: int, detail: float) -> None:
        self.size_spin.setValue(max(0, min(int(kernel_size), MAX_KERNEL)))
        self.detail_auto.setChecked(detail < 0)
        if detail >= 0:
            self.detail_slider.setValue(int(round(min(detail, 1.0) * 100)))
        self.set_method(method)

    # -- the blur trace -----------------------------------------------------------------------
    def show_kernel(self, kernel: np.ndarray | None, note: str = "") -> None:
        if kernel is None:
            self.trace.setPixmap(QPixmap())
            self.trace.setText(note or "No clear shake found")
            return
        img = np.ascontiguousarray((picture(kernel, TRACE_SIDE)[..., 0] * 255 + 0.5)
                                   .astype(np.uint8))
        qimg = QImage(img.data, img.shape[1], img.shape[0], img.strides[0],
                      QImage.Format.Format_Grayscale8).copy()
        self.trace.setPixmap(QPixmap.fromImage(qimg).scaled(
            TRACE_SIDE, TRACE_SIDE, Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.FastTransformation))
        self.trace.setToolTip(f"The estimated blur kernel ({kernel.shape[0]} px box)")

    # -- internals ----------------------------------------------------------------------------
    def _method_changed(self, *_) -> None:
        shake = self.method() in SHAKE_USERS
        for w in self._shake_rows:
            w.setEnabled(shake)
        for w in (self.size_spin, self.detail_slider, self.trace, self.region_box):  # shake only
            self.form.setRowVisible(w, shake)
        self._auto_toggled(self.detail_auto.isChecked(), emit=False)
        self.changed.emit()

    def _auto_toggled(self, on: bool, emit: bool = True) -> None:
        self.detail_slider.setEnabled(self.method() in SHAKE_USERS and not on)
        if emit:
            self.changed.emit()
