"""The window's runs: the quick preview of the view (at screen resolution), the whole photo
filling in tile by tile, one progress bar per run, Cancel keeping what is done, and the
Compare switch between the original and each method's result."""
from __future__ import annotations

import math
from dataclasses import replace

from ..engine import Eta, format_seconds
from ..engine.methods import METHODS, method_info
from ..engine.scales import FACTORS as SCALE_FACTORS
from .document import DeblurOutcome, Region, Result
from .workers import DeblurTask

PREVIEW_BUDGET = {"cpu": 350_000, "mps": 2_000_000, "cuda": 4_000_000}  # pixels


class WindowRuns:
    """Mixin of MainWindow."""

    def compute_busy(self) -> bool:
        return self.run_task is not None

    def preview_budget(self) -> int:
        if self._preview_budget:
            return self._preview_budget
        return PREVIEW_BUDGET.get(self._device_type(), PREVIEW_BUDGET["cpu"])

    def preview_area(self) -> tuple[Region, float]:
        """The part of the photo in view (all of it at Fit), corners on multiples of 4, and
        the resolution to compute it at: the screen's (at most full size), lowered further
        only to stay within the device's preview budget."""
        doc = self.document
        W, H = doc.size
        vis = self.viewer.visible_photo_rect()
        x0, y0 = max(0, int(vis.left()) // 4 * 4), max(0, int(vis.top()) // 4 * 4)
        x1 = min(W, -(-math.ceil(vis.right()) // 4) * 4)
        y1 = min(H, -(-math.ceil(vis.bottom()) // 4) * 4)
        if vis.isEmpty() or x1 - x0 < 16 or y1 - y0 < 16:
            x0, y0, x1, y1 = 0, 0, W, H
        region = Region(x0, y0, x1 - x0, y1 - y0)
        resolution = min(1.0, self.viewer.state.zoom)
        budget = self.preview_budget()
        if region.area * resolution ** 2 > budget:
            resolution = math.sqrt(budget / region.area)
        return region, resolution

    def quick_preview(self) -> None:
        doc = self.document
        if doc is None:
            self.report("Open a photo first (Ctrl+O)", "warning")
            return
        if doc.complete and doc.result.method == self.shake_panel.method() and \
                not self._settings_differ():
            self.status("The whole photo is already deblurred")
            return
        region, resolution = self.preview_area()
        if region.area == doc.size[0] * doc.size[1] and resolution >= 1.0:
            self._start_run(None)
        else:
            self._start_run(region, resolution)

    def deblur_all(self) -> None:
        if self.document is None:
            self.report("Open a photo first (Ctrl+O)", "warning")
            return
        self._start_run(None)

    def _start_run(self, region: Region | None, resolution: float = 1.0) -> None:
        doc = self.document
        if self.batch_panel.running:
            self.report("A batch is running: wait for it or cancel it first", "warning")
            return
        spec = self.engine_spec()
        if spec is None:
            return
        if self.run_task is not None:
            self.run_task.cancel()
        task = DeblurTask(self.engine_provider, spec, doc.photo, doc.before, region, doc,
                          resolution)
        sig = task.signals
        sig.progress.connect(self._run_progress)
        sig.canvas.connect(self._run_canvas)
        sig.tile.connect(self._run_tile)
        sig.finished.connect(self._run_done)
        sig.failed.connect(self._run_failed)
        sig.cancelled.connect(self._run_cancelled)
        self.run_task = task
        self._filling = self._replaced = None
        self._eta = Eta()
        if region is None:
            what = "the whole photo"
        else:
            what = "the part in view" + (f" at {resolution * 100:.0f} % size"
                                         if resolution < 1 else "")
        device = self.device_combo.currentText() if method_info(spec.method).network \
            else "the CPU"
        self.status(f"Deblurring {what} with {spec.title} on {device}…")
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

    # -- progress: one bar per run, only forward ------------------------------------------------
    def _run_progress(self, task, done: int, total: int, message: str) -> None:
        if task is not self.run_task:
            return
        if total <= 0:                       # a message without a count: the bar stays
            if self.progress.maximum() == 0:
                self.progress.setFormat("")
            self.eta_label.setText(message)
            return
        if self.progress.maximum() != total:
            self.progress.setRange(0, total)
        self.progress.setValue(max(done, self.progress.value()))
        self.progress.setFormat("%p %")
        step = f" · {message}" if message else ""
        if not task.progress_exact:          # the engine's steps each count from zero
            self.eta_label.setText("time left unknown" + step)
            return
        # before the first step: the speed measured on the previous photo
        left = self._eta.update(done, total) if done > 0 else task.expected_seconds
        self.eta_label.setText((f"about {format_seconds(left)} left" if left is not None
                                else "estimating…") + step)

    def _show_busy(self, busy: bool) -> None:
        for w in (self.progress, self.eta_label, self.cancel_button):
            w.setVisible(busy)
        if busy:
            self.progress.setRange(0, 0)
            self.progress.setValue(0)
            self.eta_label.setText("")

    # -- the result filling in ------------------------------------------------------------------
    def _run_canvas(self, task: DeblurTask, canvas) -> None:
        """A whole-photo run starts: its result is the original, filled in tile by tile."""
        doc = self.document
        if task is not self.run_task or task.document is not doc:
            return
        method = task.spec.method
        self._replaced = doc.results.get(method)     # back in place if nothing gets done
        self._filling = Result(method, f"{method_info(method).short} · in progress", canvas,
                               filled={s: [] for s in canvas})
        doc.results[method] = self._filling
        self.show_result(method)

    def _run_tile(self, task, scale: str, y0: int, y1: int, x0: int, x1: int, pixels) -> None:
        res = self._filling
        if task is not self.run_task or res is None or scale not in res.after:
            return
        res.after[scale].paste(x0, y0, pixels)
        f = SCALE_FACTORS[scale]
        res.filled[scale].append((x0 * f, y0 * f, x1 * f, y1 * f))
        self.viewer.result_filled()

    def _run_done(self, task: DeblurTask, outcome: DeblurOutcome) -> None:
        if task is not self.run_task:
            return
        self.run_task = None
        self._show_busy(False)
        doc = task.document
        if doc is self.document:
            old = self._replaced if self._filling is not None else doc.results.get(outcome.method)
            self._filling = self._replaced = None
            if old is not None and old.complete:
                self._keep_for_back(doc, old)
            doc.apply(outcome)
            self._result_spec = task.spec
            if method_info(outcome.method).shake:
                self.shake_panel.show_kernel(outcome.kernel, "" if outcome.method == "shake"
                                             else "Auto did not use shake estimation")
            self._result_shown()
            secs = f"{outcome.seconds:.1f} s"
            if outcome.region is not None:
                r = outcome.region
                at = f" at {outcome.resolution * 100:.0f} % size" if outcome.resolution < 1 \
                    else ""
                msg = (f"Preview of {r.width} × {r.height} px{at} in {secs} "
                       f"({outcome.model_title}, {outcome.device}). Ctrl+R deblurs the whole "
                       "photo.")
            else:
                msg = f"Deblurred in {secs} with {outcome.model_title} on {outcome.device}."
            if outcome.notes:
                msg += " " + " ".join(outcome.notes)
            self.status(msg)
            if outcome.method == "shake" and outcome.kernel is None:
                self.report(self._no_shake_advice(task, outcome), "warning")
            if self._pending_save is not None and doc.complete:
                target, self._pending_save = self._pending_save, None
                self._save_to(target)
        self._update_actions()
        self.run_finished.emit()

    def _no_shake_advice(self, task: DeblurTask, outcome: DeblurOutcome) -> str:
        reason = outcome.notes[0] if outcome.notes else "no clear shake found"
        tips = []
        if task.spec.region is not None:
            tips.append("Region ▸ Auto (the most detailed area)")
        if task.region is not None and task.resolution < 1:
            tips.append("a preview at 100 % zoom or the whole photo (Ctrl+R)")
        if task.spec.kernel_size is not None:
            tips.append("Kernel size ▸ Auto")
        tips.append("the Network method, which also handles blur that is not camera shake")
        return (f"Shake estimation left the photo unchanged: {reason}. Try "
                + ", or ".join(tips) + ".")

    def _run_failed(self, task, message: str) -> None:
        if task is not self.run_task:
            return
        self.run_task = None
        self._pending_save = None
        self._stop_filling(task, "stopped")
        self._show_busy(False)
        self.report(message, "error")
        self._update_actions()
        self.run_finished.emit()

    def _run_cancelled(self, task) -> None:
        if task is not self.run_task:
            return
        self.run_task = None
        kept = self._stop_filling(task, "cancelled")
        self._show_busy(False)
        self.status("Cancelled: the finished tiles are kept, the rest shows the original"
                    if kept else "Cancelled")
        self._update_actions()
        self.run_finished.emit()

    def _stop_filling(self, task, why: str) -> bool:
        """A whole-photo run ended early: keep its finished tiles (marked), or drop an empty
        one.  True when something was kept."""
        res, self._filling = self._filling, None
        replaced, self._replaced = self._replaced, None
        doc = task.document
        if res is None or doc is not self.document:
            return False
        if not any(res.filled.values()):             # nothing done: as it was before
            if replaced is not None:
                doc.results[res.method] = replaced
            else:
                doc.results.pop(res.method, None)
                doc.shown = doc.shown if doc.shown in doc.results else \
                    next(iter(doc.results), None)
            self._result_shown()
            return False
        if replaced is not None and replaced.complete:
            self._keep_for_back(doc, replaced)
        res.cancelled = True
        done = len(res.filled.get("fine", []))
        res.label = f"{method_info(res.method).short} · {why} after {done} tiles"
        self._result_shown()
        return True

    # -- compare ----------------------------------------------------------------------------
    def compare_stops(self) -> list[str]:
        """Before, then each method (in the engine's order) that has a result for the photo."""
        doc = self.document
        have = doc.results if doc is not None else {}
        return ["before"] + [m.name for m in METHODS if m.name in have]

    def compare(self, key: str) -> None:
        doc = self.document
        if doc is None:
            return
        if key == "before":
            self.viewer.set_flipped(True)
        elif key in doc.results:
            self.viewer.set_flipped(False)
            self.show_result(key)
        else:
            self.status(f"No {method_info(key).title} result for this photo yet: choose it "
                        "under Method and press Ctrl+Shift+R or Ctrl+R")
        self._sync_compare_actions()

    def compare_next(self) -> None:
        stops = self.compare_stops()
        current = "before" if self.viewer.flipped or self.document is None \
            else self.document.shown
        i = stops.index(current) if current in stops else -1
        self.compare(stops[(i + 1) % len(stops)])

    def show_result(self, method: str | None) -> None:
        doc = self.document
        if doc is not None and doc.show(method):
            self._result_shown()

    def _result_shown(self) -> None:
        self.viewer.result_changed()
        self._sync_compare_actions()

    def _sync_compare_actions(self) -> None:
        doc = self.document
        have = doc.results if doc is not None else {}
        for key, act in self.act_compare.items():
            act.setEnabled(doc is not None and (key == "before" or key in have))
        current = "before" if self.viewer.flipped else (doc.shown if doc else None)
        if current in self.act_compare:
            self.act_compare[current].setChecked(True)

    # -- shake estimation's settings, live ------------------------------------------------------
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
                                     if method_info(self.shake_panel.method()).shake else None)
        if self._detail_only_changed():
            self._detail_timer.start()

    def _settings_differ(self) -> bool:
        made, now = self._result_spec, self.engine_spec()
        return made is None or now is None or now != made

    def _detail_only_changed(self) -> bool:
        """Whether the result on screen is shake estimation's and only its detail differs from
        the settings now (then the part in view is made again at once: the kernel is
        remembered)."""
        made, doc = self._result_spec, self.document
        if made is None or not method_info(made.method).shake or doc is None or \
                not doc.has_result:
            return False
        now = self.engine_spec()
        return now is not None and now.method == made.method and now.detail != made.detail and \
            replace(now, detail=made.detail) == made

    def _detail_changed(self) -> None:
        """The detail slider, live: the part in view is deconvolved again at screen
        resolution (seconds on any photo); Ctrl+R then applies it to the whole photo, and the
        earlier whole-photo result stays one Back away."""
        if not self._detail_only_changed() or self.batch_panel.running:
            return
        region, resolution = self.preview_area()
        doc = self.document
        if region.area == doc.size[0] * doc.size[1] and resolution >= 1.0:
            self._start_run(None)
        else:
            old = doc.results.get(self._result_spec.method)
            if old is not None and old.complete:
                self._keep_for_back(doc, old)
            self._start_run(region, resolution)
