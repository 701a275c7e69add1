"""The batch runner's controls: blend strength, start notifications, pause, cancel."""
import threading

import numpy as np
from PIL import Image

from deblur_app.batch import BatchOptions, BatchRunner, collect_jobs
from deblur_app.engine import open_engine
from deblur_app.imaging.io import read_photo


def _folder(tmp_path, n=3):
    src = tmp_path / "in"
    src.mkdir()
    rng = np.random.default_rng(0)
    for i in range(n):
        Image.fromarray((rng.random((40, 48, 3)) * 255).astype(np.uint8)).save(src / f"{i}.png")
    return src


def test_strength_zero_gives_the_original_and_start_is_announced(tmp_path, lite_weights):
    src = _folder(tmp_path)
    jobs, problems = collect_jobs([src])
    assert len(jobs) == 3 and not problems
    eng = open_engine(lite_weights, None, "cpu", "auto", None, 64, "auto")
    started = []
    runner = BatchRunner(eng, BatchOptions(tmp_path / "out", strength=0.0))
    results = runner.run(jobs, on_start=lambda i, job: started.append((i, job.source.name)))
    assert [r.status for r in results] == ["done"] * 3
    assert started == [(0, "0.png"), (1, "1.png"), (2, "2.png")]
    for job in jobs:
        a = read_photo(job.source).pixels
        b = read_photo(tmp_path / "out" / f"{job.source.stem}_deblurred.png").pixels
        assert np.abs(a - b).max() < 1.5 / 255


def test_pause_holds_and_cancel_marks_the_rest(tmp_path, lite_weights):
    src = _folder(tmp_path, 4)
    jobs, _ = collect_jobs([src])
    eng = open_engine(lite_weights, None, "cpu", "auto", None, 64, "auto")
    runner = BatchRunner(eng, BatchOptions(tmp_path / "out"))
    done = []

    def on_result(res):
        done.append(res.status)
        if len(done) == 1:
            runner.pause()
            threading.Timer(0.3, runner.cancel).start()
    results = runner.run(jobs, on_result=on_result)
    assert [r.status for r in results] == ["done", "cancelled", "cancelled", "cancelled"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["0_deblurred.png"]
