"""The main window: open, compare, adjust, save; and the batch queue in its own tab.

It arranges calls and shows results; reading photos, running the methods and writing files
happen in :mod:`.workers`, so the window never freezes.  Its jobs live in their own files:
actions and menus (:mod:`.window_actions`), files, unsaved results and Back
(:mod:`.window_files`), runs, progress and Compare (:mod:`.window_runs`), the network choice
(:mod:`.window_network`); this file builds the window and keeps its settings and status.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtWidgets import (QDockWidget, QLabel, QMainWindow, QProgressBar, QSizePolicy,
                               QTabWidget, QToolButton, QVBoxLayout, QWidget)

from ..imaging.postprocess import PostSettings
from .adjust_history import AdjustHistory
from .adjust_panel import AdjustPanel
from .batch_panel import BatchPanel
from .dialogs import TextDialog, about_dialog
from .document import PhotoDocument
from .help import help_markdown
from .info_panel import show_photo_info
from .look import Look
from .message_bar import MessageBar
from .settings import Settings
from .theme import app_icon
from .viewer import MODES, CompareViewer
from .window_actions import WindowActions
from .window_files import WindowFiles
from .window_network import NetworkChoice
from .window_runs import PREVIEW_BUDGET, WindowRuns  # noqa: F401 - PREVIEW_BUDGET re-exported
from .workers import DeblurTask, EngineProvider, EngineSpec, LoadPhotoTask, SaveTask, Workers

APP_NAME = "Deblur Studio"


class MainWindow(WindowActions, WindowFiles, WindowRuns, NetworkChoice, QMainWindow):
    APP_NAME = APP_NAME
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
        self._pending_save = None
        self._after_save = None            # what to do once a save asked for on leaving is done
        self._filling = None               # the result filling in during a whole-photo run
        self._replaced = None              # ... and the result of its method it replaces
        self.back_stack: list = []         # (document, result) kept for Back
        self._result_spec: EngineSpec | None = None   # what made the result on screen
        self._eta = None
        self._model_index = 0
        self.setWindowTitle(APP_NAME)
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self._build_widgets()
        self._build_actions()
        self._build_menus_and_toolbar()
        self._restore_settings()
        self.adjust_history = AdjustHistory(self._adjust_state())
        self._update_actions()

    # ==========================================================================================
    # Construction
    # ==========================================================================================
    def _build_widgets(self) -> None:
        self.viewer = CompareViewer(self.workers)
        self.viewer.zoom_changed.connect(self._show_zoom)
        self.viewer.mode_changed.connect(self._mode_changed)
        self.viewer.flipped_changed.connect(lambda *_: self._sync_compare_actions())
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

        self.adjust_panel = panel = AdjustPanel()
        self.shake_panel, self.post_panel = panel.shake_panel, panel.post_panel
        self.model_combo, self.card_button = panel.model_combo, panel.card_button
        self.device_combo, self.auto_preview = panel.device_combo, panel.auto_preview
        self.precision_combo = panel.precision_combo
        self.dock = QDockWidget("Adjust", self)
        self.dock.setObjectName("adjustDock")
        self.dock.setWidget(panel)
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
        self.cancel_button.setToolTip("Stop the run (Esc); it stops within one tile and keeps "
                                      "the tiles done")
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
        self.precision_combo.activated.connect(self._precision_chosen)
        self.card_button.clicked.connect(self.show_model_card)
        self.cancel_button.clicked.connect(self.cancel)
        self.post_panel.changed.connect(self._look_changed)
        self.post_panel.changed.connect(self._adjust_moved)
        self.shake_panel.region_requested.connect(self.estimate_in_view)
        self._detail_timer = QTimer(self, singleShot=True, interval=400)  # slider settles
        self._detail_timer.timeout.connect(self._detail_changed)
        self._undo_timer = QTimer(self, singleShot=True, interval=500)   # sliders settle
        self._undo_timer.timeout.connect(self.record_adjustment)
        self.shake_panel.changed.connect(self._shake_settings_changed)
        self.auto_preview.toggled.connect(self._auto_preview_toggled)

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
        i = self.precision_combo.findData(s.precision)
        self.precision_combo.setCurrentIndex(i if i >= 0 else 0)
        self._fill_models(s.model)
        self.post_panel.set_values(s.post, s.strength)
        scale = s.scale if s.scale in self.act_scales else "fine"
        self.act_scales[scale].setChecked(True)
        mode = s.view_mode if s.view_mode in MODES else "side"
        self.act_modes[mode].setChecked(True)
        self.viewer.set_mode(mode)
        theme = s.theme if s.theme in self.act_themes else "system"
        self.act_themes[theme].setChecked(True)
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
        s.precision = self.precision_combo.currentData()
        data = self.model_combo.currentData()
        if data and data[0] in ("shipped", "file"):
            s.model = data[1]
        s.auto_preview = self.auto_preview.isChecked()
        s.method, s.shake_kernel_size, s.shake_detail = self.shake_panel.values()
        self.batch_panel.save_settings()
        s.sync()

    # ==========================================================================================
    # Look, and its Undo
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

    def _adjust_state(self) -> tuple:
        return (self.post_panel.post_settings(), round(self.post_panel.strength(), 4))

    def _adjust_moved(self) -> None:
        if not getattr(self, "_applying_history", False):
            self._undo_timer.start()

    def record_adjustment(self) -> None:
        """The sliders settled: one Undo step."""
        self._undo_timer.stop()
        if hasattr(self, "adjust_history"):
            self.adjust_history.record(self._adjust_state())
            self._update_undo_actions()

    def undo_adjustment(self) -> None:
        self.record_adjustment()                 # a move not yet settled counts first
        self._apply_adjust_state(self.adjust_history.undo())

    def redo_adjustment(self) -> None:
        self._apply_adjust_state(self.adjust_history.redo())

    def _apply_adjust_state(self, state) -> None:
        post, strength = state
        self._applying_history = True
        try:
            self.post_panel.set_values(post, strength)
        finally:
            self._applying_history = False
        self._update_undo_actions()

    def _update_undo_actions(self) -> None:
        self.act_undo.setEnabled(self.adjust_history.can_undo())
        self.act_redo.setEnabled(self.adjust_history.can_redo())

    def _mode_changed(self, mode: str) -> None:
        if mode in self.act_modes:
            self.act_modes[mode].setChecked(True)

    def _auto_preview_toggled(self, on: bool) -> None:
        self.settings.auto_preview = on

    # ==========================================================================================
    # Dialogs
    # ==========================================================================================
    def show_photo_info(self) -> None:
        if self.document is None:
            self.report("No photo open", "warning")
            return
        show_photo_info(self, self.document.photo)

    def show_about(self) -> None:
        dlg = about_dialog(self, app_icon(), self.device_combo.currentText())
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.show()

    def show_help(self) -> TextDialog:
        dlg = TextDialog(self, "Deblur Studio Help", markdown=help_markdown())
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.show()
        return dlg

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
        self.act_preview.setEnabled(has_doc and not batch)
        self.act_deblur.setEnabled(has_doc and not batch)
        self.act_cancel.setEnabled(busy or batch)
        self.act_batch.setEnabled(not batch and not busy)
        self.act_back.setEnabled(bool(self.back_stack) and not busy)
        for a in (self.act_fit, self.act_100, self.act_zoom_in, self.act_zoom_out, self.act_flip,
                  self.act_compare_next):
            a.setEnabled(has_doc)
        if hasattr(self, "adjust_history"):
            self._update_undo_actions()

    # ==========================================================================================
    # Window
    # ==========================================================================================
    def changeEvent(self, event) -> None:  # noqa: N802
        if event.type() == QEvent.Type.PaletteChange:
            self.viewer.update()
        super().changeEvent(event)

    def closeEvent(self, event) -> None:  # noqa: N802
        if not self.leave_results_ok(self.close):
            event.ignore()
            return
        self.save_settings()
        if self.batch_panel.task is not None:
            self.batch_panel.task.cancel()
        if self.run_task is not None:
            self.run_task.cancel()
        self.workers.shutdown(wait=False)
        super().closeEvent(event)
