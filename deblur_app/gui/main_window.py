"""The main window: open, compare, adjust, save; and the batch queue in its own tab.

It arranges calls and shows results; reading photos, running the network and writing files
happen in :mod:`.workers`, so the window never freezes.
"""
from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QEvent, QMimeData, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDockWidget, QFileDialog, QFormLayout,
                               QGroupBox, QHBoxLayout, QLabel, QMainWindow, QProgressBar,
                               QScrollArea, QSizePolicy, QStyle, QTabWidget, QToolButton,
                               QVBoxLayout, QWidget)

from ..batch import Job, plan_outputs, problems_text
from ..batch.naming import DEFAULT_SUFFIX
from ..engine import Eta, default_model, format_seconds
from ..engine.backend import available_devices, check_precision, device_kind
from ..engine.scales import BUTTONS as SCALE_BUTTONS, TITLES as SCALE_TITLES
from ..imaging.formats import open_dialog_filter, save_dialog_filters
from ..imaging.postprocess import PostSettings
from ..model import VARIANTS, WeightsError
from ..model.shipped import available_shipped, model_card, shipped_weights
from ..resources import sample_photo
from .batch_panel import BatchPanel
from .dialogs import TextDialog, about_dialog, model_card_markdown
from .document import DeblurOutcome, PhotoDocument, Region
from .info_panel import show_photo_info
from .look import Look
from .message_bar import MessageBar
from .post_panel import PostPanel
from .shake_panel import ShakePanel
from .settings import Settings
from .theme import app_icon
from .viewer import MODE_TITLES, MODES, CompareViewer
from .workers import (DeblurTask, EngineProvider, EngineSpec, LoadPhotoTask, SaveTask,
                      ValidateWeightsTask, Workers)

APP_NAME = "Deblur Studio"
PREVIEW_BUDGET = {"cpu": 350_000, "mps": 2_000_000, "cuda": 4_000_000}  # pixels
SCALE_KEYS = {"coarse": "1", "mid": "2", "fine": "3"}
MODE_KEYS = {"side": "Y", "split": "X", "after": "A"}
# the network's precision (engine/backend.py): title, value, tooltip
PRECISION_CHOICES = (
    ("Auto (best for the device)", "auto", "float16 on GPUs, bfloat16 on CPUs that have it"),
    ("Exact (float32)", "fp32", "float32 everywhere: slower, the reference"),
    ("Fast (int8)", "int8", "CPU (OpenVINO): faster than bfloat16, a little less exact; "
                            "the network is quantised once per weights file (about a "
                            "minute)"))


class MainWindow(QMainWindow):
    photo_opened = Signal()
    preview_shown = Signal()          # a RAW's quick preview is on screen
    run_finished = Signal()            # a deblur run ended (done, failed or cancelled)
    saved = Signal(object)             # Path

    def __init__(self, settings: Settings | None = None, *, tile: int | None = None,
                 overlap: int = 64, preview_budget: int | None = None):
        super().__init__()
        self.settings = settings or Settings()
        self.tile, self.overlap, self._preview_budget = tile, overlap, preview_budget
        self.workers = Workers(self)
        self.engine_provider = EngineProvider()
        self.document: PhotoDocument | None = None
        self.load_task: LoadPhotoTask | None = None
        self.run_task: DeblurTask | None = None
        self.save_task: SaveTask | None = None
        self._pending_save: Path | None = None
        self._result_spec: EngineSpec | None = None   # what made the result on screen
        self._eta: Eta | None = None
        self._model_index = 0
        self.setWindowTitle(APP_NAME)
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self._build_widgets()
        self._build_actions()
        self._build_menus_and_toolbar()
        self._restore_settings()
        self._update_actions()

    # ==========================================================================================
    # Construction
    # ==========================================================================================
    def _build_widgets(self) -> None:
        self.viewer = CompareViewer(self.workers)
        self.viewer.zoom_changed.connect(self._show_zoom)
        self.viewer.mode_changed.connect(self._mode_changed)
        self.batch_panel = BatchPanel(self, self.settings)
        self.batch_panel.batch_started.connect(self._update_actions)
        self.batch_panel.batch_finished.connect(self._update_actions)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.viewer, "Photo")
        self.tabs.addTab(self.batch_panel, "Batch")
        self.tabs.currentChanged.connect(self._update_actions)
        self.message_bar = MessageBar()
        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(4, 4, 4, 0)
        lay.setSpacing(4)
        lay.addWidget(self.message_bar)
        lay.addWidget(self.tabs, 1)
        self.setCentralWidget(central)

        # the Adjust panel: network, device, finishing
        self.model_combo = QComboBox()
        self.model_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model_combo.setMinimumContentsLength(14)
        self.card_button = QToolButton()
        self.card_button.setText("Model card")
        self.card_button.setToolTip("Training data and metrics of the selected weights (Ctrl+I)")
        self.device_combo = QComboBox()
        self.device_combo.addItem("Auto (best available)", "auto")
        for dev_id, name in available_devices():
            self.device_combo.addItem(name, dev_id)
        self.precision_combo = QComboBox()
        for title, value, tip in PRECISION_CHOICES:
            self.precision_combo.addItem(title, value)
            self.precision_combo.setItemData(self.precision_combo.count() - 1, tip,
                                             Qt.ItemDataRole.ToolTipRole)
        self.auto_preview = QCheckBox("Preview the visible area on opening")
        self.auto_preview.setToolTip("Deblur the part of the photo in view as soon as it opens "
                                     "(seconds even on a CPU); Ctrl+R deblurs the whole photo")
        net = QGroupBox("Network")
        form = QFormLayout(net)
        row = QHBoxLayout()
        row.addWidget(self.model_combo, 1)
        row.addWidget(self.card_button)
        form.addRow("Model", row)
        form.addRow("Device", self.device_combo)
        form.addRow("Precision", self.precision_combo)
        form.addRow(self.auto_preview)
        self.post_panel = PostPanel()
        panel = QWidget()
        pl = QVBoxLayout(panel)
        self.shake_panel = ShakePanel()          # Method: network or shake estimation
        pl.addWidget(self.shake_panel)
        pl.addWidget(net)
        pl.addWidget(self.post_panel)
        pl.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(panel)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.dock = QDockWidget("Adjust", self)
        self.dock.setObjectName("adjustDock")
        self.dock.setWidget(scroll)
        self.dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                              | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.dock.setMinimumWidth(300)

        # status line: message, zoom, progress with time left, cancel
        self.status_label = QLabel("")
        self.status_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.zoom_label = QLabel("")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setTextVisible(True)
        self.eta_label = QLabel("")
        self.cancel_button = QToolButton()
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolTip("Stop the run (Esc); it stops within one tile")
        sb = self.statusBar()
        sb.addWidget(self.status_label, 1)
        sb.addPermanentWidget(self.progress)
        sb.addPermanentWidget(self.eta_label)
        sb.addPermanentWidget(self.cancel_button)
        sb.addPermanentWidget(self.zoom_label)
        self._show_busy(False)

        self.model_combo.activated.connect(self._model_chosen)
        self.device_combo.activated.connect(self._device_chosen)
        self.precision_combo.activated.connect(self._precision_chosen)
        self.card_button.clicked.connect(self.show_model_card)
        self.cancel_button.clicked.connect(self.cancel)
        self.post_panel.changed.connect(self._look_changed)
        self.shake_panel.region_requested.connect(self.estimate_in_view)
        self._detail_timer = QTimer(self, singleShot=True, interval=400)  # slider settles
        self._detail_timer.timeout.connect(self._detail_changed)
        self.shake_panel.changed.connect(self._shake_settings_changed)
        self.auto_preview.toggled.connect(self._auto_preview_toggled)

    def _action(self, text: str, slot, shortcut=None, tip: str = "", icon=None,
                checkable: bool = False) -> QAction:
        act = QAction(text, self)
        if shortcut is not None:
            seqs = shortcut if isinstance(shortcut, list) else [shortcut]
            act.setShortcuts([QKeySequence(s) for s in seqs])
        if icon is not None:
            act.setIcon(self.style().standardIcon(icon) if isinstance(icon, QStyle.StandardPixmap)
                        else icon)
        act.setCheckable(checkable)
        if tip:
            act.setStatusTip(tip)
            keys = act.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            act.setToolTip(f"{tip} ({keys})" if keys else tip)
        if slot is not None:
            act.triggered.connect(slot)
        self.addAction(act)   # shortcuts work even with the menu bar hidden
        return act

    def _build_actions(self) -> None:
        SP = QStyle.StandardPixmap
        K = QKeySequence.StandardKey
        self.act_open = self._action("&Open Photo…", self.open_dialog, K.Open,
                                     "Open a photo", SP.SP_DialogOpenButton)
        self.act_sample = self._action("Open &Sample Photo", self.open_sample, None,
                                       "Open the bundled blurred sample")
        self.act_save = self._action("&Save", self.save, K.Save,
                                     "Save the deblurred photo", SP.SP_DialogSaveButton)
        self.act_save_as = self._action("Save &As…", self.save_as, "Ctrl+Shift+S",
                                        "Save the deblurred photo under a new name")
        self.act_add_photos = self._action("Add &Photos to Batch…", self.add_photos_to_batch,
                                           "Ctrl+Shift+O", "Queue photos for the batch")
        self.act_add_folder = self._action("Add &Folder to Batch…", self.add_folder_to_batch,
                                           "Ctrl+Shift+F", "Queue a folder of photos")
        self.act_quit = self._action("&Quit", self.close, K.Quit, "Quit Deblur Studio")

        self.act_preview = self._action("&Preview Visible Area", self.quick_preview,
                                        "Ctrl+Shift+R", "Deblur only the part in view (fast)",
                                        SP.SP_FileDialogContentsView)
        self.act_deblur = self._action("&Deblur Whole Photo", self.deblur_all, "Ctrl+R",
                                       "Deblur the whole photo", SP.SP_MediaPlay)
        self.act_cancel = self._action("&Cancel", self.cancel, "Esc", "Stop the run",
                                       SP.SP_BrowserStop)
        self.act_batch = self._action("Start &Batch", self.start_batch, "Ctrl+B",
                                      "Deblur every photo in the batch queue")
        self.act_card = self._action("Model &Card…", self.show_model_card, "Ctrl+I",
                                     "Training data and metrics of the selected weights")
        self.act_info = self._action("Photo &Info…", self.show_photo_info, "Ctrl+Shift+I",
                                     "Camera, catalogue metadata and the processing record")
        self.act_load_weights = self._action("&Load Weights File…", self.load_weights_dialog,
                                             "Ctrl+Shift+L",
                                             "Use an original or custom MIMO-UNet checkpoint")
        self.act_reset = self._action("&Reset Adjustments", self.post_panel.reset,
                                      "Ctrl+Alt+R", "No sharpening, no contrast, fully "
                                      "deblurred")

        self.scale_group = QActionGroup(self)
        self.act_scales: dict[str, QAction] = {}
        for scale in ("coarse", "mid", "fine"):
            act = self._action(f"{SCALE_TITLES[scale].capitalize()}", None, SCALE_KEYS[scale],
                               f"Show the network's {SCALE_TITLES[scale]} output",
                               checkable=True)
            act.setIconText(SCALE_BUTTONS[scale])
            act.setData(scale)
            self.scale_group.addAction(act)
            self.act_scales[scale] = act
        self.scale_group.triggered.connect(self._look_changed)

        self.mode_group = QActionGroup(self)
        self.act_modes: dict[str, QAction] = {}
        for mode in MODES:
            act = self._action(MODE_TITLES[mode], None, MODE_KEYS[mode],
                               f"{MODE_TITLES[mode]} comparison", checkable=True)
            act.setData(mode)
            self.mode_group.addAction(act)
            self.act_modes[mode] = act
        self.mode_group.triggered.connect(lambda a: self.viewer.set_mode(a.data()))
        self.act_flip = self._action("&Flip Before/After", self.viewer.toggle_flip, "Space",
                                     "Show the original in place of the result, and back")
        self.act_fit = self._action("&Fit", self.viewer.fit, "Ctrl+0", "Fit the photo in view")
        self.act_100 = self._action("&100%", lambda: self.viewer.set_zoom(1.0), "Ctrl+1",
                                    "One photo pixel per screen pixel")
        self.act_zoom_in = self._action("Zoom &In", lambda: self.viewer.zoom_by(1.25),
                                        [K.ZoomIn, "Ctrl+="], "Zoom in")
        self.act_zoom_out = self._action("Zoom &Out", lambda: self.viewer.zoom_by(0.8),
                                         K.ZoomOut, "Zoom out")
        self.act_tab_photo = self._action("&Photo", lambda: self.tabs.setCurrentIndex(0),
                                          "Alt+1", "The single photo view")
        self.act_tab_batch = self._action("&Batch", lambda: self.tabs.setCurrentIndex(1),
                                          "Alt+2", "The batch queue")
        self.act_dock = self.dock.toggleViewAction()
        self.act_dock.setText("&Adjust Panel")
        self.act_dock.setShortcut(QKeySequence("F7"))
        self.act_about = self._action("&About Deblur Studio", self.show_about, "F1",
                                      "Versions and licences")

    def _build_menus_and_toolbar(self) -> None:
        mb = self.menuBar()
        m = mb.addMenu("&File")
        for a in (self.act_open, self.act_sample, None, self.act_save, self.act_save_as, None,
                  self.act_add_photos, self.act_add_folder, None, self.act_quit):
            m.addSeparator() if a is None else m.addAction(a)
        m = mb.addMenu("&View")
        for a in (*self.act_modes.values(), self.act_flip, None, *self.act_scales.values(), None,
                  self.act_fit, self.act_100, self.act_zoom_in, self.act_zoom_out, None,
                  self.act_tab_photo, self.act_tab_batch, self.act_dock, None, self.act_info):
            m.addSeparator() if a is None else m.addAction(a)
        m = mb.addMenu("&Process")
        for a in (self.act_preview, self.act_deblur, self.act_cancel, None, self.act_batch, None,
                  self.act_load_weights, self.act_card, None, self.act_reset):
            m.addSeparator() if a is None else m.addAction(a)
        m = mb.addMenu("&Help")
        m.addAction(self.act_card)
        m.addAction(self.act_about)

        tb = self.addToolBar("Main")
        tb.setObjectName("mainToolBar")
        tb.setMovable(False)
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for a in (self.act_open, self.act_save, None, self.act_preview, self.act_deblur,
                  self.act_cancel, None):
            tb.addSeparator() if a is None else tb.addAction(a)
        tb.addWidget(QLabel(" Output "))
        for a in self.act_scales.values():
            tb.addAction(a)
        tb.addSeparator()
        for a in self.act_modes.values():
            tb.addAction(a)
        tb.addAction(self.act_flip)
        tb.addSeparator()
        tb.addAction(self.act_fit)
        tb.addAction(self.act_100)
        for a in (self.act_open, self.act_save, self.act_preview, self.act_deblur,
                  self.act_cancel):
            a.setIconText(a.text().replace("&", "").replace("…", "").replace(" Photo", "")
                          .replace(" Visible Area", "").replace("Deblur Whole", "Deblur"))

    # ==========================================================================================
    # Settings
    # ==========================================================================================
    def _restore_settings(self) -> None:
        s = self.settings
        geo = s.window_geometry
        if geo is not None:
            self.restoreGeometry(geo)
        else:
            self.resize(1360, 860)
        state = s.window_state
        if state is not None:
            self.restoreState(state)
        self.tabs.setCurrentIndex(min(max(s.current_tab, 0), 1))
        self.auto_preview.setChecked(s.auto_preview)
        self.shake_panel.set_values(s.method, s.shake_kernel_size, s.shake_detail)
        i = self.device_combo.findData(s.device)
        self.device_combo.setCurrentIndex(i if i >= 0 else 0)
        i = self.precision_combo.findData(s.precision)
        self.precision_combo.setCurrentIndex(i if i >= 0 else 0)
        self._fill_models(s.model)
        self.post_panel.set_values(s.post, s.strength)
        scale = s.scale if s.scale in self.act_scales else "fine"
        self.act_scales[scale].setChecked(True)
        mode = s.view_mode if s.view_mode in MODES else "side"
        self.act_modes[mode].setChecked(True)
        self.viewer.set_mode(mode)
        self._look_changed()

    def save_settings(self) -> None:
        s = self.settings
        s.window_geometry = self.saveGeometry()
        s.window_state = self.saveState()
        s.current_tab = self.tabs.currentIndex()
        s.post = self.post_panel.post_settings()
        s.strength = self.post_panel.strength()
        s.scale = self.current_scale()
        s.view_mode = self.viewer.mode
        s.device = self.device_combo.currentData()
        s.precision = self.precision_combo.currentData()
        data = self.model_combo.currentData()
        if data and data[0] in ("shipped", "file"):
            s.model = data[1]
        s.auto_preview = self.auto_preview.isChecked()
        s.method, s.shake_kernel_size, s.shake_detail = self.shake_panel.values()
        self.batch_panel.save_settings()
        s.sync()

    # ==========================================================================================
    # Model and device
    # ==========================================================================================
    def _fill_models(self, wanted: str = "") -> None:
        combo = self.model_combo
        combo.clear()
        for name in available_shipped():
            v = VARIANTS.get(name)
            combo.addItem(v.title if v else name, ("shipped", name))
            combo.setItemData(combo.count() - 1, v.summary if v else "",
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
        if self.shake_panel.method() == "shake":
            return EngineSpec("", "cpu", title=self.shake_panel.method_combo.currentText(),
                              method="shake", kernel_size=self.shake_panel.kernel_size(),
                              detail=self.shake_panel.detail(),
                              region=self.shake_panel.region())
        data = self.model_combo.currentData()
        device = self.device_combo.currentData() or "auto"
        if not data or data[0] not in ("shipped", "file"):
            self.report("No weights selected: load a weights file (Ctrl+Shift+L)", "error")
            return None
        if data[0] == "shipped":
            try:
                weights = shipped_weights(data[1])
            except WeightsError as exc:
                self.report(str(exc), "error")
                return None
        else:
            weights = Path(data[1])
        return EngineSpec(str(weights), device, self.tile, self.overlap,
                          title=self.model_combo.currentText(),
                          precision=self.precision_combo.currentData() or "auto")

    def show_model_card(self) -> None:
        data = self.model_combo.currentData()
        if not data or data[0] not in ("shipped", "file"):
            self.report("No weights selected", "warning")
            return
        if data[0] == "shipped":
            v = VARIANTS.get(data[1])
            try:
                weights = shipped_weights(data[1])
            except WeightsError:
                weights = None
            text = model_card_markdown(v.title if v else data[1], v.summary if v else "",
                                       weights, model_card(data[1]))
        else:
            weights = Path(data[1])
            card = weights.with_suffix(".md")
            text = model_card_markdown(weights.name, "Weights loaded from a file.", weights,
                                       card if card.is_file() else None)
        dlg = TextDialog(self, f"Model card: {self.model_combo.currentText()}", markdown=text)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.show()

    def show_photo_info(self) -> None:
        if self.document is None:
            self.report("No photo open", "warning")
            return
        show_photo_info(self, self.document.photo)

    def show_about(self) -> None:
        dlg = about_dialog(self, app_icon(), self.device_combo.currentText())
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.show()

    # ==========================================================================================
    # Opening
    # ==========================================================================================
    def start(self, paths: list[str | Path] | None = None) -> None:
        """What happens when the app starts: open what was given, or the sample the first time."""
        if paths:
            self.handle_paths([Path(p) for p in paths])
        elif not self.settings.first_run_done:
            self.open_sample()
        self.settings.first_run_done = True

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open photo", self.settings.open_dir,
                                              open_dialog_filter())
        if path:
            self.open_photo(Path(path))

    def open_sample(self) -> None:
        try:
            self.open_photo(sample_photo())
        except FileNotFoundError as exc:
            self.report(str(exc), "error")

    def open_photo(self, path: Path) -> None:
        path = Path(path)
        if self.load_task is not None:
            self.load_task.cancel()
        if self.run_task is not None:
            self.run_task.cancel()
        task = LoadPhotoTask(path)
        task.signals.preview.connect(self._photo_preview)
        task.signals.finished.connect(self._photo_loaded)
        task.signals.failed.connect(self._photo_failed)
        self.load_task = task
        self.workers.submit(self.workers.files, task)
        self.tabs.setCurrentIndex(0)
        self.status(f"Opening {path.name}…")

    def _photo_preview(self, task: LoadPhotoTask, result) -> None:
        """A RAW's quick preview: shown at once, nothing can be run on it."""
        if task is not self.load_task:
            return
        path, photo, before = result
        self.document = None
        self.viewer.set_document(PhotoDocument(path, photo, before))
        self._update_actions()
        self.preview_shown.emit()
        self.status(f"{path.name}: the camera's preview, while the RAW is developed…")

    def estimate_in_view(self) -> None:
        """Shake estimation's region: the part of the photo in view, outlined on the before
        view (at least 32 px a side)."""
        doc = self.document
        if doc is None:
            self.report("Open a photo first (Ctrl+O)", "warning")
            return
        r = self.viewer.visible_photo_rect()
        x0, y0 = max(0, int(r.left())), max(0, int(r.top()))
        x1, y1 = min(doc.photo.width, int(r.right())), min(doc.photo.height, int(r.bottom()))
        if x1 - x0 < 32 or y1 - y0 < 32:
            self.report("The part in view is too small to estimate a shake (32 px or more a "
                        "side): zoom out a little", "warning")
            return
        self.shake_panel.set_region((x0, y0, x1 - x0, y1 - y0))
        self.status(f"Shake is estimated on {x1 - x0} × {y1 - y0} px at {x0}, {y0}")

    def _shake_settings_changed(self) -> None:
        self.viewer.set_shake_region(self.shake_panel.region()
                                     if self.shake_panel.method() == "shake" else None)
        if self._detail_only_changed():
            self._detail_timer.start()

    def _detail_only_changed(self) -> bool:
        """Whether the result on screen is shake estimation's and only its detail differs from
        the settings now (then it is made again at once: the kernel is remembered)."""
        made, doc = self._result_spec, self.document
        if made is None or made.method != "shake" or doc is None or not doc.has_result:
            return False
        now = self.engine_spec()
        return now is not None and now.method == "shake" and now.detail != made.detail and \
            replace(now, detail=made.detail) == made

    def _detail_changed(self) -> None:
        """The detail slider, live: deconvolve again what is shown (whole photo or preview)."""
        if not self._detail_only_changed() or self.batch_panel.running:
            return
        doc = self.document
        self._start_run(None if doc.complete else doc.region)

    def _photo_loaded(self, task: LoadPhotoTask, result) -> None:
        if task is not self.load_task:
            return
        self.load_task = None
        path, photo, before = result
        self.document = PhotoDocument(path, photo, before)
        self.shake_panel.set_region(None)        # a region belongs to one photo
        self.viewer.set_document(self.document)
        self.settings.open_dir = str(path.parent)
        self.setWindowTitle(f"{path.name} — {APP_NAME}")
        self.message_bar.hide()
        alpha = ", with transparency" if photo.alpha is not None else ""
        self.status(f"{path.name}: {photo.width} × {photo.height}, {photo.bit_depth}-bit "
                    f"{photo.format}{alpha}")
        self._update_actions()
        self.photo_opened.emit()
        if self.auto_preview.isChecked():
            QTimer.singleShot(0, self.quick_preview)

    def _photo_failed(self, task, message: str) -> None:
        if task is not self.load_task:
            return
        self.load_task = None
        self.report(message, "error")

    # -- drag and drop, command line --------------------------------------------------------
    @staticmethod
    def local_paths(mime: QMimeData) -> list[Path]:
        if not mime.hasUrls():
            return []
        return [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if self.local_paths(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:  # noqa: N802
        if self.local_paths(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        paths = self.local_paths(event.mimeData())
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.handle_paths(paths)

    def handle_paths(self, paths: list[Path]) -> None:
        """One photo opens (unless the batch tab is showing); folders and several photos go to
        the batch queue."""
        missing = [p for p in paths if not p.exists()]
        paths = [p for p in paths if p.exists()]
        if missing:
            self.report(problems_text(f"{p}: no such file or folder" for p in missing), "error")
        if not paths:
            return
        single = len(paths) == 1 and paths[0].is_file()
        if single and self.tabs.currentIndex() == 0:
            self.open_photo(paths[0])
            return
        added, problems = self.batch_panel.add_paths(paths)
        self.tabs.setCurrentIndex(1)
        if problems:
            self.report(problems_text(problems), "warning")
        if added or not problems:
            self.status(f"{added} photo{'s' if added != 1 else ''} added to the batch queue")
        self._update_actions()

    def add_photos_to_batch(self) -> None:
        self.tabs.setCurrentIndex(1)
        self.batch_panel.choose_photos()

    def add_folder_to_batch(self) -> None:
        self.tabs.setCurrentIndex(1)
        self.batch_panel.choose_folder()

    def start_batch(self) -> None:
        self.tabs.setCurrentIndex(1)
        self.batch_panel.start()

    # ==========================================================================================
    # Deblurring
    # ==========================================================================================
    def compute_busy(self) -> bool:
        return self.run_task is not None

    def preview_budget(self) -> int:
        if self._preview_budget:
            return self._preview_budget
        return PREVIEW_BUDGET.get(self._device_type(), PREVIEW_BUDGET["cpu"])

    def preview_region(self) -> Region | None:
        """The part of the photo in view (at most the preview budget, around the centre of
        the view), corners on multiples of 4; None when that is the whole photo."""
        doc = self.document
        vis = self.viewer.visible_photo_rect()
        W, H = doc.size
        if vis.isEmpty():
            return None
        x0, y0, x1, y1 = vis.left(), vis.top(), vis.right(), vis.bottom()
        w, h = x1 - x0, y1 - y0
        budget = self.preview_budget()
        if w * h > budget:
            f = math.sqrt(budget / (w * h))
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            w, h = w * f, h * f
            x0, x1, y0, y1 = cx - w / 2, cx + w / 2, cy - h / 2, cy + h / 2
        x0, y0 = max(0, int(x0) // 4 * 4), max(0, int(y0) // 4 * 4)
        x1, y1 = min(W, -(-math.ceil(x1) // 4) * 4), min(H, -(-math.ceil(y1) // 4) * 4)
        if x0 <= 0 and y0 <= 0 and x1 >= W and y1 >= H:
            return None
        if x1 - x0 < 16 or y1 - y0 < 16:
            return None
        return Region(x0, y0, x1 - x0, y1 - y0)

    def quick_preview(self) -> None:
        doc = self.document
        if doc is None:
            self.report("Open a photo first (Ctrl+O)", "warning")
            return
        if doc.complete:
            self.status("The whole photo is already deblurred")
            return
        self._start_run(self.preview_region())

    def deblur_all(self) -> None:
        if self.document is None:
            self.report("Open a photo first (Ctrl+O)", "warning")
            return
        self._start_run(None)

    def _start_run(self, region: Region | None) -> None:
        doc = self.document
        if self.batch_panel.running:
            self.report("A batch is running: wait for it or cancel it first", "warning")
            return
        spec = self.engine_spec()
        if spec is None:
            return
        if self.run_task is not None:
            self.run_task.cancel()
        task = DeblurTask(self.engine_provider, spec, doc.photo, doc.before, region, doc)
        sig = task.signals
        sig.progress.connect(self._run_progress)
        sig.finished.connect(self._run_done)
        sig.failed.connect(self._run_failed)
        sig.cancelled.connect(self._run_cancelled)
        self.run_task = task
        self._eta = Eta()
        what = "the visible area" if region is not None else "the whole photo"
        self.status(f"Deblurring {what} with {spec.title} on "
                    f"{self.device_combo.currentText()}…")
        self._show_busy(True)
        self.workers.submit(self.workers.compute, task)
        self._update_actions()

    def cancel(self) -> None:
        if self.run_task is not None:
            self.run_task.cancel()
            self._pending_save = None
            self.status("Cancelling…")
        elif self.batch_panel.running and self.tabs.currentIndex() == 1:
            self.batch_panel.cancel()

    def _run_progress(self, task, done: int, total: int, message: str) -> None:
        if task is not self.run_task:
            return
        if total <= 0:
            self.progress.setRange(0, 0)
            self.progress.setFormat("")
            self.eta_label.setText(message)
            return
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self.progress.setFormat("tile %v of %m")
        # before the first tile: the speed measured on the previous photo
        left = self._eta.update(done, total) if done > 0 else task.expected_seconds
        self.eta_label.setText(f"about {format_seconds(left)} left" if left is not None
                               else "estimating…")

    def _run_done(self, task: DeblurTask, outcome: DeblurOutcome) -> None:
        if task is not self.run_task:
            return
        self.run_task = None
        self._show_busy(False)
        doc = task.document
        if doc is self.document:
            doc.apply(outcome)
            self._result_spec = task.spec
            if task.spec.method == "shake":
                self.shake_panel.show_kernel(outcome.kernel)
            self.viewer.result_changed()
            secs = f"{outcome.seconds:.1f} s"
            if outcome.region is not None:
                r = outcome.region
                msg = (f"Preview of {r.width} × {r.height} px in {secs} ({outcome.model_title}, "
                       f"{outcome.device}). Ctrl+R deblurs the whole photo.")
            else:
                msg = f"Deblurred in {secs} with {outcome.model_title} on {outcome.device}."
            if outcome.notes:
                msg += " " + " ".join(outcome.notes)
            self.status(msg)
            if self._pending_save is not None and doc.complete:
                target, self._pending_save = self._pending_save, None
                self._save_to(target)
        self._update_actions()
        self.run_finished.emit()

    def _run_failed(self, task, message: str) -> None:
        if task is not self.run_task:
            return
        self.run_task = None
        self._pending_save = None
        self._show_busy(False)
        self.report(message, "error")
        self._update_actions()
        self.run_finished.emit()

    def _run_cancelled(self, task) -> None:
        if task is not self.run_task:
            return
        self.run_task = None
        self._show_busy(False)
        self.status("Cancelled")
        self._update_actions()
        self.run_finished.emit()

    # ==========================================================================================
    # Look
    # ==========================================================================================
    def current_scale(self) -> str:
        act = self.scale_group.checkedAction()
        return act.data() if act else "fine"

    def post_settings(self) -> PostSettings:
        return self.post_panel.post_settings()

    def look(self) -> Look:
        return Look(self.current_scale(), self.post_panel.strength(),
                    self.post_panel.post_settings())

    def _look_changed(self, *_) -> None:
        self.viewer.set_look(self.look())
        self.batch_panel.set_post_summary(self.post_panel.summary())

    def _mode_changed(self, mode: str) -> None:
        if mode in self.act_modes:
            self.act_modes[mode].setChecked(True)

    def _auto_preview_toggled(self, on: bool) -> None:
        self.settings.auto_preview = on

    # ==========================================================================================
    # Saving
    # ==========================================================================================
    def default_save_path(self) -> Path:
        """The batch's naming rule for this photo and scale, in the last save folder (or the
        photo's), with a free name: never the photo itself or a file already there."""
        doc = self.document
        folder = Path(self.settings.save_dir) if self.settings.save_dir else doc.path.parent
        if not folder.is_dir():
            folder = doc.path.parent
        job = Job(doc.path, Path(doc.path.name), folder)
        (plan,) = plan_outputs([job], None, (self.current_scale(),), DEFAULT_SUFFIX, "same")
        return next(iter(plan.targets.values()))

    def save(self) -> None:
        doc = self.document
        if doc is None:
            self.report("Nothing to save: open a photo first", "warning")
            return
        if doc.saved_to is not None:
            self._save_to(doc.saved_to)
        else:
            self.save_as()

    def save_as(self) -> None:
        doc = self.document
        if doc is None:
            self.report("Nothing to save: open a photo first", "warning")
            return
        default = self.default_save_path()
        filters = save_dialog_filters(doc.photo.format)
        path, chosen = QFileDialog.getSaveFileName(self, "Save deblurred photo", str(default),
                                                   ";;".join(filters))
        if not path:
            return
        path = Path(path)
        if not path.suffix:
            ext = chosen.split("(*")[-1].split()[0].rstrip(")") if "(*" in chosen else \
                default.suffix
            path = path.with_suffix(ext)
        self._save_to(path)

    def _save_to(self, path: Path) -> None:
        doc = self.document
        try:
            same = path.resolve() == doc.path.resolve()
        except OSError:
            same = False
        if same:
            self.report("Refusing to overwrite the original photo: choose another name",
                        "error")
            return
        if not doc.complete:
            self._pending_save = path
            self.status("Deblurring the whole photo before saving…")
            self._start_run(None)
            return
        look = self.look()
        task = SaveTask(path, doc.photo, doc.restored.scale(look.scale), look, fmt=None,
                        engine=self.engine_provider.loaded)
        task.signals.finished.connect(self._saved)
        task.signals.failed.connect(self._save_failed)
        task.document = doc
        self.save_task = task
        self.workers.submit(self.workers.files, task)
        self.status(f"Saving {path.name}…")

    def _saved(self, task: SaveTask, path: Path) -> None:
        self.save_task = None
        if getattr(task, "document", None) is self.document and self.document is not None:
            self.document.saved_to = Path(path)
        self.settings.save_dir = str(Path(path).parent)
        self.status(f"Saved {path}")
        self.saved.emit(Path(path))

    def _save_failed(self, task, message: str) -> None:
        self.save_task = None
        self.report(message, "error")

    # ==========================================================================================
    # Status
    # ==========================================================================================
    def status(self, text: str) -> None:
        self.status_label.setText(text)
        self.status_label.setToolTip(text)

    def report(self, message: str, level: str = "info") -> None:
        """Tell the user something: info in the status line, problems in the message bar."""
        self.status(message)
        if level in ("error", "warning"):
            self.message_bar.show_message(message, level,
                                          timeout_ms=15000 if level == "warning" else None)

    def _show_busy(self, busy: bool) -> None:
        for w in (self.progress, self.eta_label, self.cancel_button):
            w.setVisible(busy)
        if busy:
            self.progress.setRange(0, 0)
            self.eta_label.setText("")

    def _show_zoom(self, zoom: float) -> None:
        if self.document is None:
            self.zoom_label.setText("")
            return
        pct = f"{zoom * 100:.0f}%" if zoom >= 0.1 else f"{zoom * 100:.1f}%"
        self.zoom_label.setText(f"Fit ({pct})" if self.viewer.state.fit else pct)

    def _update_actions(self, *_) -> None:
        has_doc = self.document is not None
        busy = self.run_task is not None
        batch = self.batch_panel.running
        self.act_save.setEnabled(has_doc)
        self.act_save_as.setEnabled(has_doc)
        self.act_info.setEnabled(has_doc)
        self.act_preview.setEnabled(has_doc and not batch
                                    and not (self.document and self.document.complete))
        self.act_deblur.setEnabled(has_doc and not batch)
        self.act_cancel.setEnabled(busy or batch)
        self.act_batch.setEnabled(not batch and not busy)
        for a in (self.act_fit, self.act_100, self.act_zoom_in, self.act_zoom_out, self.act_flip):
            a.setEnabled(has_doc)

    # ==========================================================================================
    # Window
    # ==========================================================================================
    def changeEvent(self, event) -> None:  # noqa: N802
        if event.type() == QEvent.Type.PaletteChange:
            self.viewer.update()
        super().changeEvent(event)

    def closeEvent(self, event) -> None:  # noqa: N802
        self.save_settings()
        if self.batch_panel.task is not None:
            self.batch_panel.task.cancel()
        if self.run_task is not None:
            self.run_task.cancel()
        self.workers.shutdown(wait=False)
        super().closeEvent(event)
