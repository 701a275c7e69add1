"""The batch tab: a queue of photos, where their results go, and the run's progress.

Folders and photos become queue rows through :func:`deblur_app.batch.collect_jobs`, each job
carrying its default output folder (beside its folder: ``…/name`` -> ``…/name_deblurred``, see
:func:`deblur_app.batch.default_outdir`); a chosen output folder overrides it for the whole run.
A run hands the pending rows' jobs to one :class:`~.workers.BatchTask`, whose
:class:`~deblur_app.batch.BatchRunner` plans every output name first (no two results, and no
result and photo, share a name).  Originals are never written to, and outputs are renamed into place only when
complete, so a cancelled batch leaves no half-written file.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, QUrl, Signal
from PySide6.QtGui import QColor, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QFileDialog, QFormLayout,
                               QGroupBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QProgressBar, QPushButton, QStyle, QTableView, QVBoxLayout,
                               QWidget)

from ..batch import (BatchOptions, FileResult, Job, collect_jobs, default_outdir,
                     problems_text, summary_text)
from ..engine import Eta, format_seconds
from ..engine.scales import SCALES, TITLES
from ..imaging.formats import open_dialog_filter
from ..imaging.postprocess import PostSettings
from .settings import Settings
from .workers import BatchTask, EngineProvider, EngineSpec, Task, TaskSignals, Workers

FORMATS = [("same", "Same as original"), ("jpg", "JPEG"), ("png", "PNG"), ("tif", "TIFF")]
SCALE_CHOICES = [(s, TITLES[s].capitalize()) for s in reversed(SCALES)] + [("all", "All three")]
STATUS_TITLES = {"waiting": "Waiting", "running": "Running", "done": "Done",
                 "skipped": "Skipped", "failed": "Failed", "cancelled": "Cancelled"}


@dataclass
class QueueEntry:
    job: Job
    folder: Path                       # the folder it was found in (for the default output)
    status: str = "waiting"
    detail: str = ""
    outputs: list[str] = field(default_factory=list)
    made_with: str = ""                # the settings its result was made with (see start)
    blur: object | None = None         # its deblur_app.judge.Judgement, once judged
    blur_error: str = ""


BLUR_COLUMN = 4
TRACE_THUMB = 28                       # px: the blur trace in the list


def _trace_icon(kernel):
    """The estimated blur trace as a small icon for the list (None without a kernel)."""
    if kernel is None:
        return None
    import numpy as np
    from PySide6.QtGui import QImage, QPixmap

    from ..shake.kernel import picture
    img = np.ascontiguousarray((picture(kernel, TRACE_THUMB)[..., 0] * 255 + 0.5)
                               .astype(np.uint8))
    qimg = QImage(img.data, img.shape[1], img.shape[0], img.strides[0],
                  QImage.Format.Format_Grayscale8).copy()
    return QPixmap.fromImage(qimg).scaled(TRACE_THUMB, TRACE_THUMB,
                                          Qt.AspectRatioMode.KeepAspectRatio,
                                          Qt.TransformationMode.SmoothTransformation)


class QueueModel(QAbstractTableModel):
    HEADERS = ("Photo", "Folder", "Status", "Details", "Blur")

    def __init__(self, parent=None):
        super().__init__(parent)
        self.entries: list[QueueEntry] = []
        self._seen: set[Path] = set()
        self.locked = False                # a batch or a blur judging runs: no sorting

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.entries)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        e = self.entries[index.row()]
        col = index.column()
        if col == BLUR_COLUMN:
            return self._blur_data(e, role)
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return str(e.job.relative)
            if col == 1:
                return str(e.folder)
            if col == 2:
                return STATUS_TITLES.get(e.status, e.status)
            return e.detail
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == 3 and e.detail:
                return e.detail
            return str(e.job.source)
        if role == Qt.ItemDataRole.DecorationRole and col == 2:
            icon = {"done": QStyle.StandardPixmap.SP_DialogApplyButton,
                    "failed": QStyle.StandardPixmap.SP_MessageBoxCritical,
                    "running": QStyle.StandardPixmap.SP_MediaPlay,
                    "skipped": QStyle.StandardPixmap.SP_MediaSkipForward,
                    "cancelled": QStyle.StandardPixmap.SP_BrowserStop}.get(e.status)
            if icon is not None:
                from PySide6.QtWidgets import QApplication
                return QApplication.style().standardIcon(icon)
        if role == Qt.ItemDataRole.ForegroundRole and e.status == "failed" and col in (2, 3):
            return QColor(200, 40, 40)
        return None

    def _blur_data(self, e: QueueEntry, role):
        j = e.blur
        if role == Qt.ItemDataRole.DisplayRole:
            return j.label() if j is not None else (f"failed: {e.blur_error}" if e.blur_error
                                                    else "")
        if role == Qt.ItemDataRole.ToolTipRole and j is not None:
            return j.reason
        if role == Qt.ItemDataRole.DecorationRole and j is not None and j.kind == "shake":
            if not hasattr(j, "_icon"):
                j._icon = _trace_icon(j.kernel)
            return j._icon
        return None

    def set_blur(self, row: int, judgement, error: str = "") -> None:
        e = self.entries[row]
        e.blur, e.blur_error = judgement, error
        self.dataChanged.emit(self.index(row, BLUR_COLUMN), self.index(row, BLUR_COLUMN))

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        """Sort the queue by a column (blur: by how blurred, unjudged last when descending).
        Not while a batch runs: its rows are the batch's addresses."""
        if self.locked or not 0 <= column < len(self.HEADERS):
            return
        if column == BLUR_COLUMN:
            keys = [e.blur.severity() if e.blur is not None else -2.0 for e in self.entries]
        else:
            keys = [str(self.data(self.index(r, column)) or "").lower()
                    for r in range(len(self.entries))]
        order_rows = sorted(range(len(self.entries)), key=keys.__getitem__,
                            reverse=order == Qt.SortOrder.DescendingOrder)
        self.layoutAboutToBeChanged.emit()
        new_row = {old: new for new, old in enumerate(order_rows)}
        self.entries = [self.entries[r] for r in order_rows]
        old = self.persistentIndexList()
        self.changePersistentIndexList(old, [self.index(new_row[i.row()], i.column())
                                             for i in old])
        self.layoutChanged.emit()

    def add(self, jobs: list[Job], folder: Path) -> int:
        new = []
        for job in jobs:
            key = job.source.resolve()
            if key not in self._seen:
                self._seen.add(key)
                new.append(QueueEntry(job, folder))
        if new:
            n = len(self.entries)
            self.beginInsertRows(QModelIndex(), n, n + len(new) - 1)
            self.entries.extend(new)
            self.endInsertRows()
        return len(new)

    def set_status(self, row: int, status: str, detail: str = "", outputs=None) -> None:
        e = self.entries[row]
        e.status, e.detail = status, detail
        if outputs is not None:
            e.outputs = list(outputs)
        self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))

    def remove_rows(self, rows: list[int]) -> None:
        for row in sorted(set(rows), reverse=True):
            self.beginRemoveRows(QModelIndex(), row, row)
            e = self.entries.pop(row)
            self._seen.discard(e.job.source.resolve())
            self.endRemoveRows()

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for e in self.entries:
            out[e.status] = out.get(e.status, 0) + 1
        return out


class JudgeSignals(TaskSignals):
    judged = Signal(object, object, object)        # task, QueueEntry, triage.TriageRow


class JudgeTask(Task):
    """Judge the blur of queue entries (the triage's fast judgement), one by one."""
    signals_class = JudgeSignals

    def __init__(self, entries: list[QueueEntry]):
        super().__init__()
        self.entries = entries

    def work(self) -> int:
        from ..batch.triage import judge_file
        for i, e in enumerate(self.entries):
            self.token.check()
            self.progress(i, len(self.entries), e.job.source.name)
            self.emit("judged", e, judge_file(e.job.source, self.token))
        return len(self.entries)


class BatchHost(Protocol):
    """What the panel needs from the window."""
    workers: Workers
    engine_provider: EngineProvider

    def engine_spec(self) -> EngineSpec | None: ...
    def post_settings(self) -> PostSettings: ...
    def report(self, message: str, level: str = "info") -> None: ...
    def compute_busy(self) -> bool: ...


class BatchPanel(QWidget):
    batch_started = Signal()
    batch_finished = Signal(dict)          # counts by status

    def __init__(self, host: BatchHost, settings: Settings, parent: QWidget | None = None):
        super().__init__(parent)
        self.host = host
        self.settings = settings
        self.task: BatchTask | None = None
        self.model = QueueModel(self)
        self.last_outdirs: list[Path] = []
        self._eta: Eta | None = None
        self._photo_eta: Eta | None = None
        self._tile_fraction = 0.0
        self._build()
        self._load_settings()
        self._update_buttons()

    # -- layout -----------------------------------------------------------------------------
    def _build(self) -> None:
        self.add_photos_button = QPushButton("Add photos…")
        self.add_folder_button = QPushButton("Add folder…")
        self.recursive = QCheckBox("Include sub-folders")
        self.recursive.setToolTip("When adding a folder, also add the photos in its sub-folders")
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Remove the selected photos from the queue (Delete)")
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Empty the queue")
        self.judge_button = QPushButton("Judge blur")
        self.judge_button.setToolTip("Find the blurry photos: judge each photo's blur (sharp, "
                                     "camera shake with its size and direction, motion or "
                                     "defocus) without deblurring; a few seconds a photo.  "
                                     "Click the Blur column's header to sort by it")
        self.select_shaken_button = QPushButton("Select shaken")
        self.select_shaken_button.setToolTip("Select only the photos with a camera shake (then "
                                             "“Only the selected photos” deblurs just those)")
        self.only_selected = QCheckBox("Only the selected photos")
        self.only_selected.setToolTip("Start batch deblurs only the selected photos")
        self.judge_task: JudgeTask | None = None
        top = QHBoxLayout()
        for w in (self.add_photos_button, self.add_folder_button, self.recursive):
            top.addWidget(w)
        top.addStretch(1)
        top.addWidget(self.remove_button)
        top.addWidget(self.clear_button)

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        self.table.setShowGrid(False)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        hh.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        hh.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        hh.setStretchLastSection(True)
        self.table.setColumnWidth(0, 220)
        self.table.setColumnWidth(1, 260)
        hh.setSectionResizeMode(3, QHeaderView.ResizeMode.Interactive)
        self.table.setColumnWidth(3, 260)
        hh.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)     # queue order until clicked
        self.table.setSortingEnabled(True)
        self.placeholder = QLabel("Drop folders or photos anywhere on the window, or use "
                                  "“Add folder…”.")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setEnabled(False)

        opts = QGroupBox("Output")
        form = QFormLayout(opts)
        self.outdir = QLineEdit()
        self.outdir.setClearButtonEnabled(True)
        self.outdir.setPlaceholderText("beside each folder: <folder name>_deblurred")
        self.outdir_button = QPushButton("Choose…")
        row = QHBoxLayout()
        row.addWidget(self.outdir, 1)
        row.addWidget(self.outdir_button)
        form.addRow("Folder", row)
        self.suffix = QLineEdit()
        self.suffix.setToolTip("Added to each output name: photo.jpg -> photo_deblurred.jpg")
        self.fmt = QComboBox()
        for key, title in FORMATS:
            self.fmt.addItem(title, key)
        self.scale = QComboBox()
        for key, title in SCALE_CHOICES:
            self.scale.addItem(title, key)
        self.scale.setToolTip("Which of the network's outputs to save; with all three, each "
                              "name ends in _coarse, _mid or _fine")
        row2 = QHBoxLayout()
        row2.addWidget(QLabel("Name suffix"))
        row2.addWidget(self.suffix)
        row2.addSpacing(12)
        row2.addWidget(QLabel("Format"))
        row2.addWidget(self.fmt)
        row2.addSpacing(12)
        row2.addWidget(QLabel("Output"))
        row2.addWidget(self.scale)
        row2.addStretch(1)
        form.addRow("Names", row2)
        self.skip_existing = QCheckBox("Skip photos whose output already exists (resume)")
        form.addRow("", self.skip_existing)
        self.post_label = QLabel()
        self.post_label.setToolTip("The sharpening and contrast set in the Adjust panel are "
                                   "applied to every photo")
        form.addRow("Finishing", self.post_label)

        self.overall = QProgressBar()
        self.overall.setFormat("%v of %m photos")
        self.overall_text = QLabel("")
        self.photo_progress = QProgressBar()
        self.photo_progress.setFormat("this photo: %p%")
        self.start_button = QPushButton("Start batch")
        self.start_button.setDefault(True)
        self.pause_button = QPushButton("Pause")
        self.cancel_button = QPushButton("Cancel")
        self.open_button = QPushButton("Open output folder")
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.pause_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        buttons.addWidget(self.open_button)
        prog = QFormLayout()
        prog.addRow("All photos", self.overall)
        prog.addRow("", self.overall_text)
        prog.addRow("Current photo", self.photo_progress)

        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.table, 1)
        blur_row = QHBoxLayout()               # the blur column: judge, select the shaken ones
        for w in (self.judge_button, self.select_shaken_button, self.only_selected):
            blur_row.addWidget(w)
        blur_row.addStretch(1)
        lay.addLayout(blur_row)
        lay.addWidget(self.placeholder)
        lay.addWidget(opts)
        lay.addLayout(prog)
        lay.addLayout(buttons)

        self.add_photos_button.clicked.connect(self.choose_photos)
        self.add_folder_button.clicked.connect(self.choose_folder)
        self.remove_button.clicked.connect(self.remove_selected)
        self.clear_button.clicked.connect(self.clear)
        self.judge_button.clicked.connect(self.judge_blur)
        self.select_shaken_button.clicked.connect(self.select_shaken)
        self.only_selected.toggled.connect(self._update_buttons)
        self.outdir_button.clicked.connect(self.choose_outdir)
        self.start_button.clicked.connect(self.start)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.cancel_button.clicked.connect(self.cancel)
        self.open_button.clicked.connect(self.open_output_folder)
        self.model.rowsInserted.connect(self._update_buttons)
        self.model.rowsRemoved.connect(self._update_buttons)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        from PySide6.QtGui import QAction
        remove = QAction("Remove from queue", self.table)
        remove.setShortcut(QKeySequence.StandardKey.Delete)
        remove.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        remove.triggered.connect(self.remove_selected)
        self.table.addAction(remove)

    # -- settings ---------------------------------------------------------------------------
    def _load_settings(self) -> None:
        s = self.settings
        self.recursive.setChecked(s.batch_recursive)
        self.suffix.setText(s.batch_suffix)
        self._select(self.fmt, s.batch_format)
        self._select(self.scale, s.batch_scale)
        self.skip_existing.setChecked(s.batch_skip_existing)
        self.outdir.setText(s.batch_outdir)

    def save_settings(self) -> None:
        s = self.settings
        s.batch_recursive = self.recursive.isChecked()
        s.batch_suffix = self.suffix.text()
        s.batch_format = self.fmt.currentData()
        s.batch_scale = self.scale.currentData()
        s.batch_skip_existing = self.skip_existing.isChecked()
        s.batch_outdir = self.outdir.text().strip()

    @staticmethod
    def _select(combo: QComboBox, key: str) -> None:
        i = combo.findData(key)
        if i >= 0:
            combo.setCurrentIndex(i)

    def set_post_summary(self, text: str) -> None:
        self.post_label.setText(text)

    # -- the queue --------------------------------------------------------------------------
    def add_paths(self, paths, recursive: bool | None = None) -> tuple[int, list[str]]:
        """Add photos and folders; returns (photos added, problems)."""
        recursive = self.recursive.isChecked() if recursive is None else recursive
        explicit = self.explicit_outdir()
        added, problems = 0, []
        for path in map(Path, paths):
            jobs, probs = collect_jobs([path], recursive, outdir=explicit)
            problems.extend(probs)
            folder = path if path.is_dir() else path.absolute().parent
            added += self.model.add(jobs, folder)
            if path.is_dir() and not jobs and not probs:
                problems.append(f"{path}: no photos found"
                                + ("" if recursive else " (sub-folders not included)"))
        if paths:
            first = Path(paths[0])
            self.settings.batch_dir = str(first if first.is_dir() else first.parent)
        self._update_buttons()
        return added, problems

    def choose_photos(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Add photos to the batch",
                                                self.settings.batch_dir, open_dialog_filter())
        if files:
            self._added(*self.add_paths(files))

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder to the batch",
                                                  self.settings.batch_dir)
        if folder:
            self._added(*self.add_paths([folder]))

    def _added(self, count: int, problems: list[str]) -> None:
        if problems:
            self.host.report(problems_text(problems), "warning")
        else:
            self.host.report(f"{count} photo{'s' if count != 1 else ''} added to the batch")

    def choose_outdir(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Output folder",
                                                  self.outdir.text() or self.settings.batch_dir)
        if folder:
            self.outdir.setText(folder)

    def explicit_outdir(self) -> Path | None:
        text = self.outdir.text().strip()
        return Path(text).expanduser() if text else None

    def remove_selected(self) -> None:
        if self.running:
            return
        rows = [i.row() for i in self.table.selectionModel().selectedRows()]
        self.model.remove_rows(rows)

    def clear(self) -> None:
        if self.running:
            return  # rows are the batch's addresses while it runs: keep them
        self.model.remove_rows(list(range(len(self.model.entries))))

    # -- running ----------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.task is not None

    def pending_rows(self) -> list[int]:
        rows = [i for i, e in enumerate(self.model.entries)
                if e.status in ("waiting", "cancelled", "failed")]
        if self.only_selected.isChecked():
            chosen = {i.row() for i in self.table.selectionModel().selectedRows()}
            rows = [r for r in rows if r in chosen]
        return rows

    # -- blur (the triage's judgement, per photo) ---------------------------------------------
    def judge_blur(self) -> None:
        """Judge the blur of every photo not judged yet (in the background)."""
        if self.judge_task is not None or self.running:
            return
        entries = [e for e in self.model.entries if e.blur is None and not e.blur_error]
        if not entries:
            self.host.report("Every photo in the queue is judged already")
            return
        task = self.judge_task = JudgeTask(entries)
        task.signals.judged.connect(self._judged)
        task.signals.progress.connect(self._judge_progress)
        for sig in (task.signals.finished, task.signals.failed, task.signals.cancelled):
            sig.connect(self._judge_done)
        self.model.locked = True
        self.host.workers.submit(self.host.workers.compute, task)
        self._update_buttons()

    def _judged(self, task, entry: QueueEntry, row) -> None:
        if entry in self.model.entries:
            self.model.set_blur(self.model.entries.index(entry), row.judgement, row.error)

    def _judge_progress(self, task, done: int, total: int, message: str) -> None:
        if task is self.judge_task:
            self.overall_text.setText(f"Judging the blur: {done} of {total} · {message}")

    def _judge_done(self, task, *args) -> None:
        if task is not self.judge_task:
            return
        self.judge_task = None
        self.model.locked = self.running
        kinds = [e.blur.kind for e in self.model.entries if e.blur is not None]
        self.overall_text.setText(f"Blur judged: {kinds.count('shake')} with camera shake, "
                                  f"{kinds.count('blur')} with motion or defocus blur, "
                                  f"{kinds.count('sharp')} sharp")
        self._update_buttons()

    def select_shaken(self) -> None:
        """Select only the rows judged to have a camera shake."""
        from PySide6.QtCore import QItemSelection, QItemSelectionModel
        sel = QItemSelection()
        for r, e in enumerate(self.model.entries):
            if e.blur is not None and e.blur.kind == "shake":
                sel.select(self.model.index(r, 0), self.model.index(r, BLUR_COLUMN))
        self.table.selectionModel().select(
            sel, QItemSelectionModel.SelectionFlag.ClearAndSelect |
            QItemSelectionModel.SelectionFlag.Rows)
        self.host.report(f"{len(sel.indexes()) // (BLUR_COLUMN + 1)} photo(s) with camera "
                         "shake selected")

    def options(self, post: PostSettings, strength: float = 1.0) -> BatchOptions:
        """The run's options; the output folder is the chosen one, or None: each photo's own
        (beside its folder)."""
        scale = self.scale.currentData()
        scales = SCALES if scale == "all" else (scale,)
        return BatchOptions(outdir=self.explicit_outdir(), scales=scales,
                            suffix=self.suffix.text(), fmt=self.fmt.currentData(),
                            existing="skip" if self.skip_existing.isChecked() else "rename",
                            post=post, strength=strength)

    def outdirs(self, rows: list[int], options: BatchOptions) -> list[Path]:
        """The output folders the run will write into, in queue order."""
        found = [options.outdir] if options.outdir else \
            [self.model.entries[r].job.outdir or default_outdir(self.model.entries[r].folder)
             for r in rows]
        return list(dict.fromkeys(found))

    @staticmethod
    def settings_key(spec, options: BatchOptions) -> str:
        """What a result depends on: the method and its settings, the look, the outputs."""
        return repr((spec, options.post, options.strength, options.scales, options.suffix,
                     options.fmt, options.outdir))

    def start(self) -> None:
        if self.running:
            return
        if not self.model.entries:
            self.host.report("Nothing to do: add photos or folders to the queue first", "warning")
            return
        if self.host.compute_busy():
            self.host.report("The network is busy with the photo: wait for it or cancel it "
                             "(Esc) before starting the batch", "warning")
            return
        spec = self.host.engine_spec()
        if spec is None:
            return
        options = self.options(self.host.post_settings(), self.host.look().strength)
        try:
            options.check()
        except ValueError as exc:
            self.host.report(f"Cannot start the batch: {exc}", "error")
            return
        key = self.settings_key(spec, options)
        # photos done with other settings (another method, look or format) are made again:
        # a rerun never silently keeps results of the old settings
        stale = [i for i, e in enumerate(self.model.entries)
                 if e.status in ("done", "skipped") and e.made_with != key]
        rows = sorted(set(self.pending_rows()) | set(stale))
        if not rows:
            self.host.report("Nothing to do: every photo in the queue is done with these "
                             "settings", "info")
            return
        if stale:
            if options.existing == "skip":   # their earlier results are ours: replace them
                options = replace(options, existing="overwrite")
            n = len(stale)
            self.host.report(f"{n} photo{'s' if n != 1 else ''} done with other settings "
                             f"{'are' if n != 1 else 'is'} made again with these", "info")
        self.save_settings()
        self.last_outdirs = self.outdirs(rows, options)
        for row in rows:
            self.model.set_status(row, "waiting", "")
        self.model.locked = True
        task = BatchTask(self.host.engine_provider, spec,
                         [self.model.entries[r].job for r in rows], rows, options)
        task.settings_key = key
        sig = task.signals
        sig.file_started.connect(self._file_started)
        sig.file_result.connect(self._file_result)
        sig.tile_progress.connect(self._tile_progress)
        sig.progress.connect(self._progress)
        sig.finished.connect(self._finished)
        sig.failed.connect(self._failed)
        sig.cancelled.connect(self._cancelled)
        self.task = task
        self._eta = Eta()
        self._tile_fraction = 0.0
        self.overall.setRange(0, task.total)
        self.overall.setValue(0)
        self.photo_progress.setRange(0, 1)
        self.photo_progress.setValue(0)
        self.overall_text.setText("Starting…")
        self.host.workers.submit(self.host.workers.compute, task)
        self._update_buttons()
        self.batch_started.emit()

    def toggle_pause(self) -> None:
        if not self.task:
            return
        if self.task.paused:
            self.task.resume()
            self.overall_text.setText("Resumed")
        else:
            self.task.pause()
            self.overall_text.setText("Paused: the photo in progress is finished first")
        self._update_buttons()

    def cancel(self) -> None:
        if self.task:
            self.task.cancel()
            self.overall_text.setText("Cancelling…")

    def _file_started(self, task, row: int) -> None:
        if task is self.task:
            self.model.set_status(row, "running", "")
            self.table.scrollTo(self.model.index(row, 0))
            self._tile_fraction = 0.0
            self._photo_eta = Eta()
            self.photo_progress.setRange(0, 0)
            self.photo_progress.setFormat(self.model.entries[row].job.source.name)

    def _file_result(self, task, row: int, res: FileResult) -> None:
        if task is not self.task:
            return
        if res.status == "done":
            names = ", ".join(Path(o).name for o in res.outputs)
            detail = f"{names} ({res.seconds:.1f} s)"
            if res.notes:
                detail += " · " + "; ".join(res.notes)
        elif res.status == "skipped":
            detail = "complete result already there"
        else:
            detail = res.reason or res.status
        self.model.set_status(row, res.status, detail, res.outputs)
        self.model.entries[row].made_with = getattr(task, "settings_key", "")
        self._tile_fraction = 0.0

    def _tile_progress(self, task, done: int, total: int, message: str) -> None:
        if task is not self.task:
            return
        if total <= 0:  # one-time engine work, e.g. the first OpenVINO conversion
            if message:
                self.photo_progress.setFormat(message)
            return
        self.photo_progress.setRange(0, total)
        self.photo_progress.setValue(done)
        left = self._photo_eta.update(done, total) if self._photo_eta and done > 0 else None
        self.photo_progress.setFormat(f"tile %v of %m · about {format_seconds(left)} left")
        self._tile_fraction = done / total
        self._show_overall(self.overall.value())

    def _progress(self, task, done: int, total: int, message: str) -> None:
        if task is not self.task:
            return
        if total <= 0:
            self.overall_text.setText(message)
            return
        self.overall.setValue(done)
        self._tile_fraction = 0.0
        self._show_overall(done)

    def _show_overall(self, done: int) -> None:
        total = self.overall.maximum()
        units = int((done + self._tile_fraction) * 100)
        left = self._eta.update(units, total * 100) if self._eta and units > 0 else None
        paused = " (paused)" if self.task and self.task.paused else ""
        self.overall_text.setText(f"{done} of {total} done · about {format_seconds(left)} left"
                                  f"{paused}")

    def _finished(self, task, results: list[FileResult]) -> None:
        if task is not self.task:
            return
        self.task = None
        self.model.locked = self.judge_task is not None
        counts = self.model.counts()
        text = f"Batch finished: {summary_text(results)}"
        failed = any(r.status == "failed" for r in results)
        self.overall_text.setText(text)
        self.photo_progress.setRange(0, 1)
        self.photo_progress.setValue(0)
        self.photo_progress.setFormat("")
        self.host.report(text, "warning" if failed else "info")
        self._update_buttons()
        self.batch_finished.emit(counts)

    def _failed(self, task, message: str) -> None:
        if task is not self.task:
            return
        self.task = None
        self.model.locked = self.judge_task is not None
        for i, e in enumerate(self.model.entries):
            if e.status == "running":
                self.model.set_status(i, "failed", message)
        self.overall_text.setText(f"Batch stopped: {message}")
        self.host.report(f"Batch stopped: {message}", "error")
        self._update_buttons()
        self.batch_finished.emit(self.model.counts())

    def _cancelled(self, task) -> None:
        if task is not self.task:
            return
        self.task = None
        self.model.locked = self.judge_task is not None
        self.overall_text.setText("Batch cancelled")
        self._update_buttons()
        self.batch_finished.emit(self.model.counts())

    def open_output_folder(self) -> None:
        folder = self.output_folder()
        if folder is None or not folder.is_dir():
            self.host.report("No output folder yet: run the batch first", "warning")
            return
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
            from PySide6.QtWidgets import QApplication
            QApplication.clipboard().setText(str(folder))
            self.host.report(f"No file manager could open the output folder {folder}: its path "
                             "was copied to the clipboard", "warning")

    def output_folder(self) -> Path | None:
        for d in self.last_outdirs:
            if d.is_dir():
                return d
        return self.last_outdirs[0] if self.last_outdirs else None

    def _update_buttons(self, *_) -> None:
        running = self.running
        has_rows = bool(self.model.entries)
        self.table.setVisible(has_rows)
        self.placeholder.setVisible(not has_rows)
        self.start_button.setEnabled(not running and has_rows)
        self.pause_button.setEnabled(running)
        self.pause_button.setText("Resume" if running and self.task.paused else "Pause")
        self.cancel_button.setEnabled(running)
        self.remove_button.setEnabled(not running and self.table.selectionModel().hasSelection())
        self.clear_button.setEnabled(not running and has_rows)
        self.judge_button.setEnabled(not running and self.judge_task is None and has_rows)
        self.select_shaken_button.setEnabled(any(e.blur is not None and e.blur.kind == "shake"
                                                 for e in self.model.entries))
        self.open_button.setEnabled(not running and any(d.is_dir() for d in self.last_outdirs))
        for w in (self.outdir, self.outdir_button, self.suffix, self.fmt, self.scale,
                  self.skip_existing):
            w.setEnabled(not running)
