"""The window's network choice: shipped models and weights files, the device, the model card,
and the engine spec a run is made with (through :mod:`deblur_app.engine` only)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFileDialog

from ..engine import default_model
from ..engine.backend import check_precision, device_kind
from ..engine.catalog import (WeightsError, available_shipped, model_card, shipped_weights,
                              variant_summary, variant_title)
from ..engine.methods import method_info
from .dialogs import TextDialog, model_card_markdown
from .workers import EngineSpec, ValidateWeightsTask


class NetworkChoice:
    """Mixin of MainWindow: the Model and Device rows and what they mean for a run."""

    def _fill_models(self, wanted: str = "") -> None:
        combo = self.model_combo
        combo.clear()
        for name in available_shipped():
            combo.addItem(variant_title(name), ("shipped", name))
            combo.setItemData(combo.count() - 1, variant_summary(name),
                              Qt.ItemDataRole.ToolTipRole)
        custom = self.settings.custom_weights
        if custom and Path(custom).is_file():
            combo.addItem(f"{Path(custom).name} (file)", ("file", custom))
            combo.setItemData(combo.count() - 1, custom, Qt.ItemDataRole.ToolTipRole)
        combo.insertSeparator(combo.count())
        combo.addItem("Load weights file…", ("load", ""))
        index = -1
        if wanted:
            index = max(self._model_item("shipped", wanted), self._model_item("file", wanted))
        if index < 0:
            try:
                name = default_model(self.device_combo.currentData() or "auto", "auto")
            except WeightsError as exc:
                name = ""
                message = f"{exc}. Load a weights file with Process ▸ Load Weights File… " \
                          "(Ctrl+Shift+L)."
                QTimer.singleShot(0, lambda: self.report(message, "error"))
            index = self._model_item("shipped", name) if name else -1
        if index < 0 or combo.itemData(index)[0] == "load":
            index = 0
        combo.setCurrentIndex(index)
        self._model_index = combo.currentIndex()

    def _model_item(self, kind: str, value: str) -> int:
        for i in range(self.model_combo.count()):
            d = self.model_combo.itemData(i)
            if d and d[0] == kind and d[1] == value:
                return i
        return -1

    def _device_type(self) -> str:
        try:
            return device_kind(self.device_combo.currentData() or "auto")
        except ValueError:
            return "cpu"

    def _model_chosen(self, index: int) -> None:
        data = self.model_combo.itemData(index)
        if data and data[0] == "load":
            self.model_combo.setCurrentIndex(self._model_index)
            self.load_weights_dialog()
            return
        self._model_index = index
        if data:
            self.settings.model = data[1]
            self.report(f"Model: {self.model_combo.currentText()}")

    def _device_chosen(self, index: int) -> None:
        dev = self.device_combo.itemData(index)
        try:
            device_kind(dev)
        except ValueError as exc:
            self.report(str(exc), "error")
            self.device_combo.setCurrentIndex(0)
            return
        self.settings.device = dev
        self.report(f"Device: {self.device_combo.currentText()}")

    def _precision_chosen(self, index: int) -> None:
        precision = self.precision_combo.itemData(index)
        try:
            check_precision(precision, self.device_combo.currentData() or "auto", "auto")
        except ValueError as exc:
            self.report(str(exc), "error")
            self.precision_combo.setCurrentIndex(0)
            return
        self.settings.precision = precision
        self.report(f"Precision: {self.precision_combo.currentText()}")

    def load_weights_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Load MIMO-UNet weights", self.settings.weights_dir,
            "Weights (*.safetensors *.pth *.pkl *.pt *.ckpt);;All files (*)")
        if path:
            self.load_weights(Path(path))

    def load_weights(self, path: Path) -> None:
        """Check a weights file in the background; select it when it loads."""
        task = ValidateWeightsTask(path)
        task.signals.finished.connect(self._weights_ok)
        task.signals.failed.connect(self._weights_failed)
        self.workers.submit(self.workers.files, task)
        self.report(f"Checking {path.name}…")

    def _weights_ok(self, task: ValidateWeightsTask, variant) -> None:
        path = str(task.path)
        self.settings.custom_weights = path
        self.settings.weights_dir = str(task.path.parent)
        self.settings.model = path
        self._fill_models(path)
        self.report(f"Loaded {task.path.name}: {variant.title}")

    def _weights_failed(self, task, message: str) -> None:
        self.report(message, "error")

    def engine_spec(self) -> EngineSpec | None:
        """What a run is made with: the chosen method, with the network's weights and device
        when the method uses the network, and shake estimation's settings when it uses those
        (the methods' table says which)."""
        info = method_info(self.shake_panel.method())
        weights, device, tile, overlap = "", "cpu", None, 64
        if info.network:
            data = self.model_combo.currentData()
            device = self.device_combo.currentData() or "auto"
            if not data or data[0] not in ("shipped", "file"):
                self.report("No weights selected: load a weights file (Ctrl+Shift+L)", "error")
                return None
            if data[0] == "shipped":
                try:
                    weights = str(shipped_weights(data[1]))
                except WeightsError as exc:
                    self.report(str(exc), "error")
                    return None
            else:
                weights = str(Path(data[1]))
            tile, overlap = self.tile, self.overlap
        shake = {}
        if info.shake:
            shake = dict(kernel_size=self.shake_panel.kernel_size(),
                         detail=self.shake_panel.detail(), region=self.shake_panel.region())
        title = self.model_combo.currentText() if info.name == "network" else info.title
        precision = (self.precision_combo.currentData() or "auto") if info.network else "auto"
        return EngineSpec(weights, device, tile, overlap, title=title, method=info.name,
                          precision=precision, **shake)

    def show_model_card(self) -> None:
        data = self.model_combo.currentData()
        if not data or data[0] not in ("shipped", "file"):
            self.report("No weights selected", "warning")
            return
        if data[0] == "shipped":
            try:
                weights = shipped_weights(data[1])
            except WeightsError:
                weights = None
            text = model_card_markdown(variant_title(data[1]), variant_summary(data[1]),
                                       weights, model_card(data[1]))
        else:
            weights = Path(data[1])
            card = weights.with_suffix(".md")
            text = model_card_markdown(weights.name, "Weights loaded from a file.", weights,
                                       card if card.is_file() else None)
        dlg = TextDialog(self, f"Model card: {self.model_combo.currentText()}", markdown=text)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.show()
