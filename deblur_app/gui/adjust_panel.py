"""The Adjust dock's contents: the method (and its own settings), the network and device (for
the network only), the preview choice and the finishing sliders.

Everything fits the dock's width: the scroll area never scrolls sideways, and rows of a method
are shown only while that method is chosen.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QGroupBox, QHBoxLayout,
                               QScrollArea, QToolButton, QVBoxLayout, QWidget)

from ..engine.backend import available_devices
from ..engine.methods import method_info
from .post_panel import PostPanel
from .shake_panel import ShakePanel


# the network's precision (engine/backend.py): title, value, tooltip
PRECISION_CHOICES = (
    ("Auto (best for the device)", "auto", "float16 on GPUs, bfloat16 on CPUs that have it"),
    ("Exact (float32)", "fp32", "float32 everywhere: slower, the reference"),
    ("Fast (int8)", "int8", "CPU (OpenVINO): faster than bfloat16, a little less exact; "
                            "the network is quantised once per weights file (about a "
                            "minute)"))

class AdjustPanel(QScrollArea):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.shake_panel = ShakePanel()          # the Method choice and shake's settings
        self.model_combo = QComboBox()
        self.model_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model_combo.setMinimumContentsLength(10)
        self.card_button = QToolButton()
        self.card_button.setText("Card")
        self.card_button.setToolTip("Model card: training data and metrics of the selected "
                                    "weights (Ctrl+I)")
        self.device_combo = QComboBox()
        self.device_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.device_combo.setMinimumContentsLength(10)
        self.device_combo.addItem("Auto (best available)", "auto")
        for dev_id, name in available_devices():
            self.device_combo.addItem(name, dev_id)
        self.auto_preview = QCheckBox("Preview the view on opening")
        self.auto_preview.setToolTip("Deblur the part of the photo in view, at screen "
                                     "resolution, as soon as it opens (seconds even on a "
                                     "CPU); Ctrl+R deblurs the whole photo")
        self.precision_combo = QComboBox()
        for title, value, tip in PRECISION_CHOICES:
            self.precision_combo.addItem(title, value)
            self.precision_combo.setItemData(self.precision_combo.count() - 1, tip,
                                             Qt.ItemDataRole.ToolTipRole)
        self.network_box = QGroupBox("Network")
        form = QFormLayout(self.network_box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        row = QHBoxLayout()
        row.addWidget(self.model_combo, 1)
        row.addWidget(self.card_button)
        form.addRow("Model", row)
        form.addRow("Device", self.device_combo)
        form.addRow("Precision", self.precision_combo)
        self.post_panel = PostPanel()
        panel = QWidget()
        pl = QVBoxLayout(panel)
        pl.addWidget(self.shake_panel)
        pl.addWidget(self.auto_preview)
        pl.addWidget(self.network_box)
        pl.addWidget(self.post_panel)
        pl.addStretch(1)
        self.setWidget(panel)
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.shake_panel.method_combo.currentIndexChanged.connect(self._method_changed)
        self._method_changed()

    def _method_changed(self, *_) -> None:
        """The network's box only for methods that use the network (the methods' table)."""
        self.network_box.setVisible(method_info(self.shake_panel.method()).network)

    def controls(self) -> list[QWidget]:
        """Every control of the panel shown now (for checking that all are in reach)."""
        from PySide6.QtWidgets import (QAbstractButton, QAbstractSlider, QAbstractSpinBox,
                                       QLabel)
        kinds = (QAbstractButton, QAbstractSlider, QAbstractSpinBox, QComboBox, QLabel)
        return [w for w in self.widget().findChildren(QWidget)
                if isinstance(w, kinds) and w.isVisibleTo(self.widget())]
