"""Backends (torch, OpenVINO), precision, the converted-model cache and ``open_engine``."""
import numpy as np
import pytest

from deblur_app.engine import backend as be
from deblur_app.engine import open_engine
from deblur_app.engine.opening import default_model
from deblur_app.model import WeightsError
from deblur_app.training.metrics import psnr

pytest.importorskip("openvino")


def test_backend_choice(monkeypatch):
    assert be.choose("cpu", "auto") == ("openvino", "cpu")
    assert be.choose("cpu", "torch") == ("torch", "cpu")
    assert be.choose("auto", "openvino") == ("openvino", "cpu")
    with pytest.raises(ValueError, match="OpenVINO runs on the CPU and Intel GPUs"):
        be.choose("mps", "openvino")
    with pytest.raises(ValueError, match="Intel GPUs run through OpenVINO"):
        be.choose("intel-gpu", "torch")
    monkeypatch.setattr("deblur_app.engine.openvino_backend.intel_gpus", lambda: [])
    with pytest.raises(ValueError, match="no Intel GPU 'intel-gpu:1'"):
        be.choose("intel-gpu:1", "auto")
    monkeypatch.setattr(be, "openvino_installed", lambda: False)
    assert be.choose("cpu", "auto") == ("torch", "cpu")
    with pytest.raises(ValueError, match="OpenVINO is not installed"):
        be.choose("cpu", "openvino")


def test_precision_follows_the_hardware_and_fp32_forces_float32(monkeypatch):
    monkeypatch.setattr(be, "native_bf16", lambda: True)
    assert [be.resolve_precision("auto", k) for k in ("cpu", "cuda", "mps", "gpu")] == \
        ["bf16", "fp16", "fp32", "fp16"]
    assert {be.resolve_precision("fp32", k) for k in ("cpu", "cuda", "mps", "gpu")} == {"fp32"}
    monkeypatch.setattr(be, "native_bf16", lambda: False)
    assert be.resolve_precision("auto", "cpu") == "fp32"
    with pytest.raises(ValueError, match="float16"):
        be.resolve_precision("fp16", "cpu")


def test_full_net_is_the_default_where_it_runs_fast(monkeypatch):
    monkeypatch.setattr("deblur_app.engine.opening.native_bf16", lambda: False)
    assert default_model("cpu", "auto") == "mimo-unet"           # OpenVINO
    assert default_model("cpu", "torch") == "mimo-unet-lite"     # plain float32 torch
    monkeypatch.setattr("deblur_app.engine.opening.native_bf16", lambda: True)
    assert default_model("cpu", "torch") == "mimo-unet"


def test_open_engine_says_at_once_when_weights_are_missing(lite_weights):
    with pytest.raises(WeightsError, match="no shipped weights for 'mimo-unet-plus'.*--weights"):
        open_engine(None, "mimo-unet-plus", "cpu", "auto", None, 64, "auto")
    with pytest.raises(WeightsError, match="not mimo-unet:"):
        open_engine(lite_weights, "mimo-unet", "cpu", "auto", None, 64, "auto")
    eng = open_engine(lite_weights, None, "cpu", "torch", 256, 32, "fp32")
    assert (eng.device, eng.tile, eng.overlap, eng.backend.name, eng.backend.precision) == \
        ("cpu", 256, 32, "torch", "fp32")


def test_conversion_is_cached_and_the_second_engine_reads_it(monkeypatch, tmp_path,
                                                             lite_weights, sample_rgb):
    monkeypatch.setenv("DEBLUR_STUDIO_CACHE", str(tmp_path))
    crop = np.ascontiguousarray(sample_rgb[:192, :256])
    messages = []
    first = open_engine(lite_weights, None, "cpu", "openvino", None, 64, "fp32")
    a = first.run(crop, scales=("fine",), progress=lambda d, t, m: messages.append(m))
    assert first.backend.converted
    assert any("Converting the network for OpenVINO" in m for m in messages)
    assert len(list((tmp_path / "openvino").glob("*.xml"))) == 1

    import openvino

    def no_conversion(*args, **kwargs):
        raise AssertionError("converted again")
    monkeypatch.setattr(openvino, "convert_model", no_conversion)
    messages.clear()
    second = open_engine(lite_weights, None, "cpu", "openvino", None, 64, "fp32")
    b = second.run(crop, scales=("fine",), progress=lambda d, t, m: messages.append(m))
    assert not second.backend.converted
    assert not any("Converting" in m for m in messages)
    assert np.array_equal(a.fine, b.fine)
    # and the converted model computes what torch computes
    ref = open_engine(lite_weights, None, "cpu", "torch", None, 64, "fp32").run(crop)
    assert psnr(ref.fine, a.fine) > 80


@pytest.mark.parametrize("backend", ["openvino", "torch"])
def test_default_precision_agrees_with_fp32_on_the_sample_photo(backend, sample_rgb):
    """The full net in bfloat16 (where this CPU has it) against --fp32, on a real photo."""
    crop = np.ascontiguousarray(sample_rgb[200:456, 300:684])
    fast = open_engine(None, "mimo-unet", "cpu", backend, 0, 64, "auto")
    exact = open_engine(None, "mimo-unet", "cpu", backend, 0, 64, "fp32")
    assert fast.backend.precision == ("bf16" if be.native_bf16() else "fp32")
    assert exact.backend.precision == "fp32"
    a = fast.run(crop, scales=("fine",)).fine
    b = exact.run(crop, scales=("fine",)).fine
    assert psnr(a, b) >= 45


def test_cli_passes_backend_and_fp32(monkeypatch, tmp_path, sample_rgb):
    from deblur_app import cli
    seen = {}

    def fake_open(*args):
        seen["args"] = args
        raise ValueError("stop here")
    monkeypatch.setattr(cli, "open_engine", fake_open)
    photo = tmp_path / "a.png"
    import cv2
    cv2.imwrite(str(photo), np.zeros((8, 8, 3), np.uint8))
    assert cli.main([str(photo), "-o", str(tmp_path / "o"), "--backend", "torch", "--fp32",
                     "--device", "cpu", "--tile", "128"]) == 2
    assert seen["args"] == (None, None, "cpu", "torch", 128, 64, "fp32")


def test_device_menu_lists_openvino_devices(monkeypatch):
    from deblur_app.engine.backend import available_devices
    monkeypatch.setattr("deblur_app.engine.openvino_backend.intel_gpus",
                        lambda: [("intel-gpu:0", "Intel(R) Iris(R) Xe Graphics")])
    devices = dict(available_devices())
    assert devices["intel-gpu:0"] == "Intel GPU: Intel(R) Iris(R) Xe Graphics (OpenVINO)"
    assert devices["cpu"].startswith("CPU (OpenVINO, ")


def test_time_estimate_comes_from_the_measured_speed(lite_weights):
    eng = open_engine(lite_weights, None, "cpu", "torch", 0, 64, "fp32")
    assert eng.estimate_seconds(1000, 1000) is None          # nothing measured yet
    res = eng.run(np.zeros((128, 256, 3), np.float32), scales=("fine",))
    one_mp = eng.estimate_seconds(1000, 1000)
    assert one_mp == pytest.approx(res.seconds / (128 * 256 / 1e6), rel=0.5)
    assert eng.estimate_seconds(2000, 1000) == pytest.approx(2 * one_mp)


def test_openvino_and_torch_memory_errors_are_recognised():
    import torch

    from deblur_app.engine.device import is_out_of_memory
    assert is_out_of_memory(RuntimeError("Exception from src/inference/src/cpp/infer_request.cpp:"
                                         "223: std::bad_alloc"))
    assert is_out_of_memory(RuntimeError("[GPU] out of GPU resources"))
    assert is_out_of_memory(torch.OutOfMemoryError("CUDA out of memory"))
    assert not is_out_of_memory(RuntimeError("shape mismatch"))
