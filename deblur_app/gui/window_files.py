"""The window's files: opening (dialog, drop, command line, recent), saving, the question
before unsaved results are left (Save / Discard / Cancel), and Back to results kept in memory.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QTimer
from PySide6.QtWidgets import QFileDialog, QMessageBox

from ..batch import Job, plan_outputs, problems_text
from ..batch.naming import DEFAULT_SUFFIX
from ..engine.methods import method_info
from ..imaging.formats import open_dialog_filter, save_dialog_filters
from ..resources import sample_photo
from .document import PhotoDocument, Result
from .workers import LoadPhotoTask, SaveTask

KEPT_RESULTS = 4                  # results kept in memory for Back
KEPT_BYTES = 3 << 30              # ... as long as their photos take less than this


class WindowFiles:
    """Mixin of MainWindow."""

    # -- opening ----------------------------------------------------------------------------
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
        if not self.leave_results_ok(lambda: self.open_photo(path)):
            return
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
        self._keep_for_back(self.document)
        self.document = None
        self.viewer.set_document(PhotoDocument(path, photo, before))
        self._update_actions()
        self.preview_shown.emit()
        self.status(f"{path.name}: the camera's preview, while the RAW is developed…")

    def _photo_loaded(self, task: LoadPhotoTask, result) -> None:
        if task is not self.load_task:
            return
        self.load_task = None
        path, photo, before = result
        self._keep_for_back(self.document)
        self.set_document(PhotoDocument(path, photo, before))
        self.settings.open_dir = str(path.parent)
        self.remember_recent(path)
        self.message_bar.hide()
        alpha = ", with transparency" if photo.alpha is not None else ""
        self.status(f"{path.name}: {photo.width} × {photo.height}, {photo.bit_depth}-bit "
                    f"{photo.format}{alpha}")
        self.photo_opened.emit()
        if self.auto_preview.isChecked():
            QTimer.singleShot(0, self.quick_preview)

    def set_document(self, doc: PhotoDocument | None) -> None:
        """Show ``doc`` (a newly opened photo, or one Back returns to)."""
        if doc is not self.document:
            self.shake_panel.set_region(None)        # a region belongs to one photo
        self.document = doc
        self.viewer.set_document(doc)
        self.setWindowTitle(f"{doc.path.name} — {self.APP_NAME}" if doc else self.APP_NAME)
        self._result_shown()
        self._update_actions()

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

    # -- unsaved results ----------------------------------------------------------------------
    def ask_unsaved(self, results: list[Result]) -> str:
        """"save", "discard" or "cancel" (tests replace this)."""
        names = " and ".join(method_info(r.method).title for r in results)
        box = QMessageBox(QMessageBox.Icon.Question, self.APP_NAME,
                          f"The whole-photo result of {self.document.path.name} ({names}) is "
                          "not saved.", parent=self)
        box.setInformativeText("Save it before going on?  (Discarded results stay in memory "
                               "for a while: File ▸ Back returns to them.)")
        buttons = {box.addButton(QMessageBox.StandardButton.Save): "save",
                   box.addButton(QMessageBox.StandardButton.Discard): "discard",
                   box.addButton(QMessageBox.StandardButton.Cancel): "cancel"}
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        box.exec()
        return buttons.get(box.clickedButton(), "cancel")

    def leave_results_ok(self, then) -> bool:
        """Whether the open photo may be left now.  With unsaved whole-photo results the user
        is asked; "Save" saves (``then`` runs once saved), "Cancel" stays."""
        doc = self.document
        unsaved = doc.unsaved() if doc is not None else []
        if not unsaved:
            return True
        choice = self.ask_unsaved(unsaved)
        if choice == "discard":
            return True
        if choice == "save":
            if doc.result is not unsaved[0]:
                self.show_result(unsaved[0].method)
            self._after_save = then
            self.save()
            if self.save_task is None:           # the save dialog was cancelled
                self._after_save = None
        return False

    # -- results kept for Back ------------------------------------------------------------------
    def _keep_for_back(self, doc: PhotoDocument | None, result: Result | None = None) -> None:
        result = result or (doc.result if doc is not None else None)
        if doc is None or result is None:
            return
        self.back_stack = [(d, r) for d, r in self.back_stack if r is not result]
        self.back_stack.append((doc, result))
        del self.back_stack[:-KEPT_RESULTS]
        while len(self.back_stack) > 1 and sum(
                d.nbytes for d in {id(d): d for d, _ in self.back_stack}.values()) > KEPT_BYTES:
            self.back_stack.pop(0)
        self._update_actions()

    def go_back(self) -> None:
        """Return to the result shown before (of this photo or of one opened earlier)."""
        if not self.back_stack:
            self.status("Nothing to go back to")
            return
        if self.run_task is not None:
            self.report("Wait for the run to end (or cancel it) before going back", "warning")
            return
        doc, result = self.back_stack.pop()
        current = self.document
        if doc is not current:
            self._keep_for_back(current)
            self.set_document(doc)
        else:
            replaced = doc.results.get(result.method)
            if replaced is not None and replaced is not result:
                self._keep_for_back(doc, replaced)
        doc.results[result.method] = result
        self.show_result(result.method)
        self.status(f"Back to {doc.path.name}: {result.label}")

    # -- saving -------------------------------------------------------------------------------
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
        result = doc.result
        task = SaveTask(path, doc.photo, doc.restored.scale(look.scale), look, fmt=None,
                        engine=result.engine or self.engine_provider.loaded,
                        kernel=result.kernel)
        task.signals.finished.connect(self._saved)
        task.signals.failed.connect(self._save_failed)
        task.document, task.result = doc, result
        self.save_task = task
        self.workers.submit(self.workers.files, task)
        self.status(f"Saving {path.name}…")

    def _saved(self, task: SaveTask, path: Path) -> None:
        self.save_task = None
        task.result.saved_to = Path(path)
        self.settings.save_dir = str(Path(path).parent)
        self.status(f"Saved {path}")
        self.saved.emit(Path(path))
        then, self._after_save = self._after_save, None
        if then is not None:
            QTimer.singleShot(0, then)

    def _save_failed(self, task, message: str) -> None:
        self.save_task = None
        self._after_save = None
        self.report(message, "error")
