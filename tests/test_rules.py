"""The rules every caller shares, each defined once below the window and tested without one."""
import os
from pathlib import Path

import numpy as np
import pytest

from deblur_app.atomic import atomic_write_bytes, is_temporary, remove_stale_temporaries
from deblur_app.batch import (FileResult, Job, default_outdir, plan_outputs, problems_text,
                              result_name, summary_text)
from deblur_app.engine.scales import FACTORS, SCALES, TITLES, scale_size, scales_for
from deblur_app.imaging.postprocess import (LIMITS, PostSettings, blend_with_original,
                                            check_range, finish)
from deblur_app.imaging.sharpness import gradient_energy, mean_gradient


def test_scale_table():
    assert SCALES == ("coarse", "mid", "fine")
    assert FACTORS == {"coarse": 4, "mid": 2, "fine": 1}
    assert TITLES["mid"] == "mid (1/2)"
    assert scale_size(4001, 3000, "coarse") == (1001, 750)
    assert scale_size(1, 1, "coarse") == (1, 1)
    assert scales_for("all") == SCALES and scales_for("mid") == ("mid",)
    with pytest.raises(ValueError):
        scales_for("huge")


def test_one_naming_rule_for_save_and_batch():
    assert result_name("p", "_deblurred", "fine", ("fine",), ".jpg") == "p_deblurred.jpg"
    assert result_name("p", "_deblurred", "mid", ("mid",), ".jpg") == "p_deblurred_mid.jpg"
    assert result_name("p", "_x", "fine", SCALES, "png") == "p_x_fine.png"
    job = Job(Path("/photos/day1/p.tif"), Path("day1/p.tif"), Path("/photos_deblurred"))
    (plan,) = plan_outputs([job], None, ("mid",), "_deblurred", "same")
    assert plan.targets == {"mid": Path("/photos_deblurred/day1/p_deblurred_mid.tif")}
    (plan,) = plan_outputs([job], Path("/chosen"), ("fine",), "_s", "png")
    assert plan.targets == {"fine": Path("/chosen/day1/p_s.png")}


def test_default_output_folder_is_beside_the_folder(tmp_path):
    assert default_outdir(tmp_path / "wedding") == tmp_path / "wedding_deblurred"


def test_summary_and_problem_texts():
    results = [FileResult("a", "done"), FileResult("b", "failed"), FileResult("c", "done"),
               FileResult("d", "cancelled")]
    assert summary_text(results) == "2 done, 0 skipped, 1 failed, 1 cancelled"
    assert summary_text(results[:3]) == "2 done, 0 skipped, 1 failed"
    assert problems_text(["x", "y"]) == "x; y"
    assert problems_text(list("abcde")) == "a; b; c (and 2 more)"


def test_finish_is_blend_then_finishing():
    rng = np.random.default_rng(0)
    original = rng.random((40, 60, 3), dtype=np.float32)
    restored = rng.random((20, 30, 3), dtype=np.float32)     # the mid scale
    plain = finish(original, restored, 1.0, PostSettings())
    assert plain is restored
    half = finish(original, restored, 0.5, PostSettings())
    assert np.allclose(half, blend_with_original(original, restored, 0.5))
    post = PostSettings(sharpen_amount=1.0, contrast=0.5)
    assert np.abs(finish(original, restored, 0.5, post) - half).mean() > 0.01


def test_limits_refuse_nan_and_out_of_range():
    assert check_range("contrast", 0.5) == 0.5
    for bad in (float("nan"), float("inf"), -0.1, 1.1, "x"):
        with pytest.raises(ValueError):
            check_range("contrast", bad)
    low, high = LIMITS["sharpen_radius"]
    with pytest.raises(ValueError, match="sharpen_radius"):
        PostSettings(sharpen_radius=high * 2).check()


def test_atomic_write_names_and_stale_cleanup(tmp_path):
    target = tmp_path / ("n" * 250 + ".jpg")                    # a 254-byte name
    atomic_write_bytes(target, b"data")
    assert target.read_bytes() == b"data" and os.listdir(tmp_path) == [target.name]
    stale = tmp_path / ".deblur-999999999-0000abcd.part"
    stale.write_bytes(b"x")
    mine = tmp_path / f".deblur-{os.getpid()}-0000abcd.part"
    mine.write_bytes(b"x")
    assert is_temporary(stale.name) and not is_temporary("photo.jpg.part")
    assert remove_stale_temporaries(tmp_path) == [stale]
    assert mine.exists() and target.exists()


def test_two_measures_of_detail():
    flat = np.full((32, 32, 3), 0.5, np.float32)
    edges = flat.copy()
    edges[:, ::4] = 1.0
    assert mean_gradient(flat) == 0 and gradient_energy(flat) == 0
    assert mean_gradient(edges) > 0.2 and gradient_energy(edges) > mean_gradient(edges) * 0.4
    assert gradient_energy(np.zeros((1, 5, 3))) == 0.0


@pytest.mark.parametrize("ext", [".jpg", ".png", ".webp", ".tif", ".bmp"])
def test_completeness_check_spots_cut_files(tmp_path, ext):
    from deblur_app.imaging.completeness import is_complete
    from deblur_app.imaging.io import write_photo
    rng = np.random.default_rng(1)
    whole = write_photo(tmp_path / f"whole{ext}", rng.random((64, 80, 3), dtype=np.float32))
    assert is_complete(whole)
    data = whole.read_bytes()
    for frac in (0.0, 0.3, 0.9):
        cut = tmp_path / f"cut{frac}{ext}"
        cut.write_bytes(data[:int(len(data) * frac)])
        assert not is_complete(cut), (ext, frac)
    assert not is_complete(tmp_path / "missing.jpg")
