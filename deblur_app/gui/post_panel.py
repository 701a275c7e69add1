"""The finishing controls: sharpening, contrast and how much of the network's output to use.

The panel only holds values; ``changed`` fires on every move and the viewer renders the look
(debounced, in a worker).  The same values go to Save and to batches.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QFormLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QSlider,
                               QVBoxLayout, QWidget)

from ..imaging.postprocess import LIMITS, PostSettings


@dataclass(frozen=True)
class SliderSpec:
    key: str
    label: str
    minimum: float
    maximum: float
    step: float
    default: float
    fmt: str
    tip: str


# slider units: the value in PostSettings times this (levels of 255, percent)
UNITS = {"sharpen_amount": 1.0, "sharpen_radius": 1.0, "sharpen_threshold": 255.0,
         "contrast": 100.0, "strength": 100.0}


def _spec(key: str, label: str, step: float, default: float, fmt: str, tip: str) -> SliderSpec:
    """A slider spanning exactly the setting's allowed range (imaging's LIMITS), in its units."""
    low, high = LIMITS[key]
    return SliderSpec(key, label, low * UNITS[key], high * UNITS[key], step, default, fmt, tip)


SPECS = {s.key: s for s in [
    _spec("sharpen_amount", "Amount", 0.05, 0.0, "{:.2f}",
          "How strongly edges are sharpened (unsharp mask); 0 = off"),
    _spec("sharpen_radius", "Radius", 0.1, 1.5, "{:.1f} px",
          "Size of the detail that is sharpened, in pixels of the saved photo"),
    _spec("sharpen_threshold", "Threshold", 1.0, 0.0, "{:.0f} levels",
          "Leave detail weaker than this many levels (of 255) alone, so noise in flat "
          "areas is not sharpened"),
    _spec("contrast", "Amount", 1.0, 0.0, "{:.0f}%",
          "Local contrast on lightness (colours keep their hue); 0 = off"),
    _spec("strength", "Deblurred", 1.0, 100.0, "{:.0f}%",
          "Mix of the original (0%) and the deblurred photo (100%), for the photo and "
          "for batches"),
]}


class ValueSlider(QWidget):
    """A horizontal slider over a float range with its value printed beside it."""
    valueChanged = Signal(float)  # noqa: N815 - Qt naming

    def __init__(self, spec: SliderSpec, parent: QWidget | None = None):
        super().__init__(parent)
        self.spec = spec
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, round((spec.maximum - spec.minimum) / spec.step))
        self.slider.setSingleStep(1)
        self.slider.setPageStep(max(1, self.slider.maximum() // 10))
        self.slider.setToolTip(spec.tip)
        self.slider.setAccessibleName(spec.label)
        self.text = QLabel()
        self.text.setMinimumWidth(self.text.fontMetrics().horizontalAdvance("00.00 levels"))
        self.text.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.slider, 1)
        lay.addWidget(self.text)
        self.slider.valueChanged.connect(self._moved)
        self.setValue(spec.default)
        self._moved(self.slider.value())

    def value(self) -> float:
        return self.spec.minimum + self.slider.value() * self.spec.step

    def setValue(self, value: float) -> None:  # noqa: N802 - Qt naming
        v = min(max(float(value), self.spec.minimum), self.spec.maximum)
        self.slider.setValue(round((v - self.spec.minimum) / self.spec.step))

    def _moved(self, _position: int) -> None:
        self.text.setText(self.spec.fmt.format(self.value()))
        self.valueChanged.emit(self.value())


class PostPanel(QWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.sliders: dict[str, ValueSlider] = {}
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        for title, keys in (("Sharpening", ("sharpen_amount", "sharpen_radius",
                                             "sharpen_threshold")),
                            ("Contrast", ("contrast",)),
                            ("Blend with the original", ("strength",))):
            box = QGroupBox(title)
            form = QFormLayout(box)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            for key in keys:
                slider = ValueSlider(SPECS[key])
                slider.valueChanged.connect(self._emit)
                self.sliders[key] = slider
                form.addRow(SPECS[key].label, slider)
            lay.addWidget(box)
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("Back to no sharpening, no contrast, fully deblurred")
        self.reset_button.clicked.connect(self.reset)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.reset_button)
        lay.addLayout(row)
        self._quiet = False

    def _emit(self, *_):
        if not self._quiet:
            self.changed.emit()

    def post_settings(self) -> PostSettings:
        return PostSettings(**{k: self._value(k) for k in
                               ("sharpen_amount", "sharpen_radius", "sharpen_threshold",
                                "contrast")})

    def _value(self, key: str) -> float:
        return self.sliders[key].value() / UNITS[key]

    def strength(self) -> float:
        return self._value("strength")

    def set_values(self, post: PostSettings, strength: float = 1.0) -> None:
        self._quiet = True
        try:
            values = dict(post.as_dict(), strength=strength)
            for key, slider in self.sliders.items():
                slider.setValue(values[key] * UNITS[key])
        finally:
            self._quiet = False
        self.changed.emit()

    def reset(self) -> None:
        self.set_values(PostSettings(), 1.0)

    def summary(self) -> str:
        """A few words on what is applied, for the batch panel."""
        p = self.post_settings()
        parts = []
        if p.sharpen_amount > 0:
            parts.append(f"sharpen {p.sharpen_amount:.2f} at {p.sharpen_radius:.1f} px")
        if p.contrast > 0:
            parts.append(f"contrast {p.contrast * 100:.0f}%")
        return ", ".join(parts) if parts else "none"
