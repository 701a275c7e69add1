"""Precision int8: the network quantised once by NNCF, cached per weights, close to float32."""
import numpy as np
import pytest

from deblur_app.engine import Deblurrer, calibration, open_engine
from deblur_app.engine import backend as be
from deblur_app.model import MIMOUNet, NetConfig, get_variant
from deblur_app.training.metrics import psnr

pytest.importorskip("openvino")
pytest.importorskip("nncf")


@pytest.fixture
def quick_calibration(monkeypatch, tmp_path):
    """A fresh cache, and a calibration of two small photos: quantising takes seconds."""
    monkeypatch.setenv("DEBLUR_STUDIO_CACHE", str(tmp_path))
    monkeypatch.setattr(calibration, "SAMPLES", 2)
    monkeypatch.setattr(calibration, "SIZE", 96)
    return tmp_path / "openvino"


def _run(engine, crop, messages=None):
    say = (lambda d, t, m: messages.append(m)) if messages is not None else None
    return engine.run(crop, scales=("fine",), progress=say).fine


def test_int8_agrees_with_fp32_and_is_made_once(monkeypatch, quick_calibration, lite_weights,
                                               sample_rgb):
    crop = np.ascontiguousarray(sample_rgb[200:392, 300:556])
    messages = []
    first = open_engine(lite_weights, None, "cpu", "openvino", None, 64, "int8")
    assert first.backend.precision == "int8"
    a = _run(first, crop, messages)
    assert first.backend.quantised
    assert any("int8" in m and "first use only" in m for m in messages)
    assert len(list(quick_calibration.glob("*-int8*.xml"))) == 1
    exact = open_engine(lite_weights, None, "cpu", "openvino", None, 64, "fp32")
    assert psnr(a, _run(exact, crop)) >= 40

    import nncf

    def no_quantisation(*args, **kwargs):
        raise AssertionError("quantised again")
    monkeypatch.setattr(nncf, "quantize", no_quantisation)
    messages.clear()
    second = open_engine(lite_weights, None, "cpu", "openvino", None, 64, "int8")
    b = _run(second, crop, messages)
    assert not second.backend.quantised and not second.backend.converted
    assert not any("int8" in m for m in messages)
    assert np.array_equal(a, b)


def test_a_stale_int8_cache_is_made_again(quick_calibration, sample_rgb):
    """(A tiny configuration of the network: quantising it takes a second.)"""
    import torch
    crop = np.ascontiguousarray(sample_rgb[200:296, 300:428])
    variant = get_variant("mimo-unet-lite")
    torch.manual_seed(0)
    net = MIMOUNet(NetConfig(width=8, depth=1))
    first = Deblurrer(net, variant, device="cpu", backend="openvino", precision="int8")
    _run(first, crop)
    assert first.backend.quantised
    # other weights: another key, another model
    other = MIMOUNet(NetConfig(width=8, depth=1))
    other.load_state_dict(net.state_dict())
    with torch.no_grad():
        next(other.parameters()).mul_(1.01)
    second = Deblurrer(other, variant, device="cpu", backend="openvino", precision="int8")
    _run(second, crop)
    assert second.backend.quantised
    old_path = first.backend.cached_model_path(int8=True)
    new_path = second.backend.cached_model_path(int8=True)
    assert old_path != new_path and old_path.is_file() and new_path.is_file()
    # a file under the right name that was made for other weights is not trusted
    for suffix in (".xml", ".bin"):
        new_path.with_suffix(suffix).write_bytes(old_path.with_suffix(suffix).read_bytes())
    third = Deblurrer(other, variant, device="cpu", backend="openvino", precision="int8")
    _run(third, crop)
    assert third.backend.quantised and not third.backend.converted


def test_int8_runs_through_openvino_on_the_cpu_only(monkeypatch):
    assert be.resolve_precision("int8", "cpu", "openvino") == "int8"
    for kind, runtime in (("cpu", "torch"), ("cuda", "torch"), ("gpu", "openvino")):
        with pytest.raises(ValueError, match="int8 runs through OpenVINO on the CPU"):
            be.resolve_precision("int8", kind, runtime)
    with pytest.raises(ValueError, match="int8 runs through OpenVINO"):
        be.check_precision("int8", "cpu", "torch")
    monkeypatch.setattr(be, "int8_can_be_made", lambda: False)
    with pytest.raises(ValueError, match="NNCF"):
        be.resolve_precision("int8", "cpu", "openvino")


def test_auto_takes_int8_only_where_it_is_the_default_and_runs_natively(monkeypatch):
    monkeypatch.setattr(be, "native_bf16", lambda: True)
    monkeypatch.setattr(be, "native_int8", lambda: True)
    monkeypatch.setattr(be, "INT8_IS_DEFAULT", True)
    assert be.resolve_precision("auto", "cpu", "openvino") == "int8"
    assert be.resolve_precision("auto", "cpu", "torch") == "bf16"
    assert be.resolve_precision("auto", "gpu", "openvino") == "fp16"
    monkeypatch.setattr(be, "native_int8", lambda: False)
    assert be.resolve_precision("auto", "cpu", "openvino") == "bf16"
    monkeypatch.setattr(be, "native_int8", lambda: True)
    monkeypatch.setattr(be, "INT8_IS_DEFAULT", False)
    assert be.resolve_precision("auto", "cpu", "openvino") == "bf16"


def test_calibration_photos_are_shipped_or_synthetic():
    photos = calibration.calibration_photos(6, 128)
    assert len(photos) == 6
    assert all(p.shape == (128, 128, 3) and p.dtype == np.float32 for p in photos)
    again = calibration.calibration_photos(6, 128)
    assert all(np.array_equal(a, b) for a, b in zip(photos, again))   # the same everywhere


def test_cli_precision_and_its_fp32_alias(monkeypatch, tmp_path):
    import cv2

    from deblur_app import cli
    seen = []

    def fake_open(*args):
        seen.append(args)
        raise ValueError("stop here")
    monkeypatch.setattr(cli, "open_engine", fake_open)
    photo = tmp_path / "a.png"
    cv2.imwrite(str(photo), np.zeros((8, 8, 3), np.uint8))
    base = [str(photo), "-o", str(tmp_path / "o"), "--device", "cpu"]
    assert cli.main(base + ["--precision", "int8"]) == 2
    assert cli.main(base + ["--fp32"]) == 2
    assert cli.main(base + ["--fp32", "--precision", "fp32"]) == 2
    assert cli.main(base) == 2
    assert [a[-1] for a in seen] == ["int8", "fp32", "fp32", "auto"]
    seen.clear()
    # refused before any work: contradictory or impossible here
    assert cli.main(base + ["--fp32", "--precision", "int8"]) == 2
    assert cli.main(base + ["--precision", "int8", "--backend", "torch"]) == 2
    assert cli.main(base + ["--precision", "fp16"]) == 2
    assert seen == []
