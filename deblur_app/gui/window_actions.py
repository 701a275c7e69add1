"""The window's actions (with their shortcuts), menus and tool bar; the Recent files menu, the
theme choice, the Compare switch's entries (one per method of the engine) and Help."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QApplication, QLabel, QStyle

from ..engine.methods import METHODS
from ..engine.scales import BUTTONS as SCALE_BUTTONS, TITLES as SCALE_TITLES
from .viewer import MODE_TITLES, MODES

SCALE_KEYS = {"coarse": "1", "mid": "2", "fine": "3"}
MODE_KEYS = {"side": "Y", "split": "X", "after": "A"}
COMPARE_KEY = "C"
THEMES = (("system", "Follow the System"), ("light", "Light"), ("dark", "Dark"))
RECENT_KEPT = 8


class WindowActions:
    """Mixin of MainWindow: builds ``act_*`` and the menus; the slots live elsewhere."""

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
        a = self._action
        self.act_open = a("&Open Photo…", self.open_dialog, K.Open, "Open a photo",
                          SP.SP_DialogOpenButton)
        self.act_sample = a("Open &Sample Photo", self.open_sample, None,
                            "Open the bundled blurred sample")
        self.act_back = a("&Back to the Previous Result", self.go_back, "Alt+Left",
                          "The result shown before (kept in memory for a few photos)",
                          SP.SP_ArrowBack)
        self.act_save = a("&Save", self.save, K.Save, "Save the deblurred photo",
                          SP.SP_DialogSaveButton)
        self.act_save_as = a("Save &As…", self.save_as, "Ctrl+Shift+S",
                             "Save the deblurred photo under a new name")
        self.act_add_photos = a("Add &Photos to Batch…", self.add_photos_to_batch,
                                "Ctrl+Shift+O", "Queue photos for the batch")
        self.act_add_folder = a("Add &Folder to Batch…", self.add_folder_to_batch,
                                "Ctrl+Shift+F", "Queue a folder of photos")
        self.act_quit = a("&Quit", self.close, K.Quit, "Quit Deblur Studio")

        self.act_preview = a("&Preview Visible Area", self.quick_preview, "Ctrl+Shift+R",
                             "Deblur the part in view at screen resolution (fast)",
                             SP.SP_FileDialogContentsView)
        self.act_deblur = a("&Deblur Whole Photo", self.deblur_all, "Ctrl+R",
                            "Deblur the whole photo", SP.SP_MediaPlay)
        self.act_cancel = a("&Cancel", self.cancel, "Esc", "Stop the run (what is done is kept)",
                            SP.SP_BrowserStop)
        self.act_batch = a("Start &Batch", self.start_batch, "Ctrl+B",
                           "Deblur every photo in the batch queue")
        self.act_card = a("Model &Card…", self.show_model_card, "Ctrl+I",
                          "Training data and metrics of the selected weights")
        self.act_info = a("Photo &Info…", self.show_photo_info, "Ctrl+Shift+I",
                          "Camera, catalogue metadata and the processing record")
        self.act_load_weights = a("&Load Weights File…", self.load_weights_dialog,
                                  "Ctrl+Shift+L", "Use an original or custom MIMO-UNet checkpoint")
        self.act_reset = a("&Reset Adjustments", self.post_panel.reset, "Ctrl+Alt+R",
                           "No sharpening, no contrast, fully deblurred")
        self.act_undo = a("&Undo Adjustment", self.undo_adjustment, K.Undo,
                          "Undo the last change of sharpening, contrast or blend")
        self.act_redo = a("&Redo Adjustment", self.redo_adjustment, [K.Redo, "Ctrl+Shift+Z"],
                          "Redo the adjustment undone")

        self.scale_group = QActionGroup(self)
        self.act_scales: dict[str, QAction] = {}
        for scale in ("coarse", "mid", "fine"):
            act = a(f"{SCALE_TITLES[scale].capitalize()}", None, SCALE_KEYS[scale],
                    f"Show the network's {SCALE_TITLES[scale]} output", checkable=True)
            act.setIconText(SCALE_BUTTONS[scale])
            act.setData(scale)
            self.scale_group.addAction(act)
            self.act_scales[scale] = act
        self.scale_group.triggered.connect(self._look_changed)

        self.mode_group = QActionGroup(self)
        self.act_modes: dict[str, QAction] = {}
        for mode in MODES:
            act = a(MODE_TITLES[mode], None, MODE_KEYS[mode], f"{MODE_TITLES[mode]} comparison",
                    checkable=True)
            act.setData(mode)
            self.mode_group.addAction(act)
            self.act_modes[mode] = act
        self.mode_group.triggered.connect(lambda act: self.viewer.set_mode(act.data()))

        # Compare: Before and every method of the engine, and one key to step through them
        self.compare_group = QActionGroup(self)
        self.act_compare: dict[str, QAction] = {}
        for key, title in (("before", "Before"), *((m.name, m.title) for m in METHODS)):
            act = a(title, None, None, f"Show {'the original' if key == 'before' else title}"
                    " in the after view", checkable=True)
            act.setData(key)
            act.triggered.connect(lambda _=False, k=key: self.compare(k))
            self.compare_group.addAction(act)
            self.act_compare[key] = act
        self.act_compare_next = a("&Next in Comparison", self.compare_next, COMPARE_KEY,
                                  "Step the after view through Before and each method's result")

        self.act_flip = a("&Flip Before/After", self.viewer.toggle_flip, "Space",
                          "Show the original in place of the result, and back")
        self.act_fit = a("&Fit", self.viewer.fit, "Ctrl+0", "Fit the photo in view")
        self.act_100 = a("&100%", lambda: self.viewer.set_zoom(1.0), "Ctrl+1",
                         "One photo pixel per screen pixel")
        self.act_zoom_in = a("Zoom &In", lambda: self.viewer.zoom_by(1.25),
                             [K.ZoomIn, "Ctrl+="], "Zoom in")
        self.act_zoom_out = a("Zoom &Out", lambda: self.viewer.zoom_by(0.8), K.ZoomOut,
                              "Zoom out")
        self.act_tab_photo = a("&Photo", lambda: self.tabs.setCurrentIndex(0), "Alt+1",
                               "The single photo view")
        self.act_tab_batch = a("&Batch", lambda: self.tabs.setCurrentIndex(1), "Alt+2",
                               "The batch queue")
        self.act_dock = self.dock.toggleViewAction()
        self.act_dock.setText("&Adjust Panel")
        self.act_dock.setShortcut(QKeySequence("F7"))
        self.theme_group = QActionGroup(self)
        self.act_themes: dict[str, QAction] = {}
        for key, title in THEMES:
            act = a(title, lambda _=False, k=key: self.set_theme(k), None,
                    f"{title} colours", checkable=True)
            self.theme_group.addAction(act)
            self.act_themes[key] = act
        self.act_help = a("Deblur Studio &Help", self.show_help, K.HelpContents,
                          "What each method is for, and the keys")
        if self.act_help.shortcut().isEmpty():
            self.act_help.setShortcut(QKeySequence("F1"))
        self.act_about = a("&About Deblur Studio", self.show_about, None,
                           "Versions and licences")

    def _build_menus_and_toolbar(self) -> None:
        mb = self.menuBar()

        def fill(menu, actions):
            for act in actions:
                menu.addSeparator() if act is None else menu.addAction(act)

        m = mb.addMenu("&File")
        fill(m, (self.act_open, self.act_sample))
        self.recent_menu = m.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self._fill_recent_menu()
        fill(m, (self.act_back, None, self.act_save, self.act_save_as, None, self.act_add_photos,
                 self.act_add_folder, None, self.act_quit))
        m = mb.addMenu("&Edit")
        fill(m, (self.act_undo, self.act_redo, None, self.act_reset))
        m = mb.addMenu("&View")
        fill(m, (*self.act_modes.values(), self.act_flip, None))
        cm = m.addMenu("&Compare")
        fill(cm, (*self.act_compare.values(), None, self.act_compare_next))
        fill(m, (None, *self.act_scales.values(), None, self.act_fit, self.act_100,
                 self.act_zoom_in, self.act_zoom_out, None, self.act_tab_photo,
                 self.act_tab_batch, self.act_dock, None, self.act_info))
        tm = m.addMenu("&Theme")
        fill(tm, self.act_themes.values())
        m = mb.addMenu("&Process")
        fill(m, (self.act_preview, self.act_deblur, self.act_cancel, None, self.act_batch, None,
                 self.act_load_weights, self.act_card))
        m = mb.addMenu("&Help")
        fill(m, (self.act_help, self.act_card, None, self.act_about))

        tb = self.addToolBar("Main")
        tb.setObjectName("mainToolBar")
        tb.setMovable(False)
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        fill(tb, (self.act_open, self.act_save, None, self.act_preview, self.act_deblur,
                  self.act_cancel, None))
        tb.addWidget(QLabel(" Output "))
        fill(tb, (*self.act_scales.values(), None, *self.act_modes.values(), self.act_flip,
                  self.act_compare_next, None, self.act_fit, self.act_100))
        self.act_compare_next.setIconText("Compare")
        for act in (self.act_open, self.act_save, self.act_preview, self.act_deblur,
                    self.act_cancel):
            act.setIconText(act.text().replace("&", "").replace("…", "").replace(" Photo", "")
                            .replace(" Visible Area", "").replace("Deblur Whole", "Deblur"))

    # -- recent files -------------------------------------------------------------------------
    def remember_recent(self, path: Path) -> None:
        recent = [p for p in self.settings.recent_files if p != str(path)]
        self.settings.recent_files = [str(path), *recent][:RECENT_KEPT]

    def _fill_recent_menu(self) -> None:
        menu = self.recent_menu
        menu.clear()
        recent = [p for p in self.settings.recent_files if Path(p).is_file()]
        for i, p in enumerate(recent):
            act = menu.addAction(f"&{i + 1} {Path(p).name}")
            act.setToolTip(p)
            act.setData(p)
            act.triggered.connect(lambda _=False, p=p: self.open_photo(Path(p)))
        if not recent:
            menu.addAction("No recent photos").setEnabled(False)
        menu.addSeparator()
        clear = menu.addAction("Clear the List")
        clear.setEnabled(bool(recent))
        clear.triggered.connect(lambda: setattr(self.settings, "recent_files", []))

    # -- theme --------------------------------------------------------------------------------
    def set_theme(self, theme: str) -> None:
        from .theme import apply_theme
        app = QApplication.instance()
        if app is not None:
            apply_theme(app, theme)
        self.settings.theme = theme
        if theme in self.act_themes:
            self.act_themes[theme].setChecked(True)
