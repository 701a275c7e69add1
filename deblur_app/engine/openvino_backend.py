"""The network run by OpenVINO on the CPU or an Intel GPU.

Any loaded weights (shipped, original ``.pkl``, user files) are converted once to an OpenVINO
model with a free image height and width, saved in the user cache folder under a key made of
the weights' hash, the network's shape and the app's and OpenVINO's versions; the next photo and
the next launch read it back in a few milliseconds.  One conversion serves every tile shape: a
model compiled for a free height and width runs as fast here as one compiled per shape
(bench/RESULTS.md).  The precision (bfloat16, float16 or float32) is a compile-time setting of
the same model.  Compiled Intel-GPU kernels are cached by OpenVINO itself (slow to build there).

Precision ``int8`` is another model, made once from the converted one by NNCF's post-training
quantisation (mixed preset: symmetric int8 weights, asymmetric int8 activations; calibrated on
the photos of :mod:`.calibration`) and cached beside it under the same key plus ``int8``; the
layers left unquantised run in bfloat16 where the CPU has it.  NNCF is only needed to make it:
running it needs OpenVINO alone.  Every cached model carries the key it was made for and is made
again when that does not match.
"""
from __future__ import annotations

import functools
import hashlib
import os
import tempfile
import threading
import warnings
from pathlib import Path

import contextlib
import io
import logging

import numpy as np

from .calibration import VERSION as CALIBRATION_VERSION

_PRECISION = {"fp32": "f32", "bf16": "bf16", "fp16": "f16"}
_KEY_INFO = ["deblur_studio", "model_key"]   # where a cached model records the key it was made for
KEEP_MODELS = 8          # converted models kept in the cache (the most recently used)
# Input shapes whose prepared kernels the CPU plugin keeps.  Its default (5000) let a batch of
# photos of many sizes grow by ~90 MB; 16 keeps it flat (bench/batch_memory.py) while a photo's
# tiles (one or a few shapes, steps of 32 px) always hit.
CPU_SHAPE_CACHE = 16


@functools.lru_cache(maxsize=1)
def core():
    import openvino as ov
    return ov.Core()


def cpu_capabilities() -> list[str]:
    return list(core().get_property("CPU", "OPTIMIZATION_CAPABILITIES"))


def intel_gpus() -> list[tuple[str, str]]:
    """(our device id, human name) of each GPU OpenVINO can use: ``intel-gpu:N``."""
    out = []
    for dev in core().available_devices:
        if dev.startswith("GPU"):
            index = dev.partition(".")[2] or "0"
            try:
                name = str(core().get_property(dev, "FULL_DEVICE_NAME"))
            except RuntimeError:
                name = dev
            out.append((f"intel-gpu:{index}", name))
    return out


def openvino_device(device: str) -> str:
    """``cpu`` -> ``CPU``, ``intel-gpu[:N]`` -> ``GPU.N``; ValueError when that GPU is absent."""
    if device == "cpu":
        return "CPU"
    index = device.partition(":")[2] or "0"
    ids = [d for d, _ in intel_gpus()]
    if f"intel-gpu:{index}" not in ids:
        raise ValueError(f"no Intel GPU '{device}' found by OpenVINO"
                         + (f" (found: {', '.join(ids)})" if ids else ""))
    names = [d for d in core().available_devices if d.startswith("GPU")]
    return f"GPU.{index}" if f"GPU.{index}" in names else "GPU"


def cache_dir() -> Path:
    """Where converted models live: ``$DEBLUR_STUDIO_CACHE`` or the user cache folder."""
    env = os.environ.get("DEBLUR_STUDIO_CACHE")
    if env:
        return Path(env) / "openvino"
    from platformdirs import user_cache_dir
    return Path(user_cache_dir("deblur-studio")) / "openvino"


def model_key(model) -> str:
    """The weights' hash, the network's configuration and the versions that shape the
    converted model."""
    import openvino as ov

    from .. import __version__
    h = hashlib.sha256()
    h.update(f"{model.config!r} app {__version__} openvino {ov.get_version()}".encode())
    for name, tensor in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(tensor.detach().float().contiguous().cpu().numpy().tobytes())
    return h.hexdigest()[:20]


def _forget_old(folder: Path, keep: int) -> None:
    """Remove all but the ``keep`` most recently used converted models."""
    models = sorted(folder.glob("*.xml"), key=lambda p: p.stat().st_mtime, reverse=True)
    for xml in models[keep:]:
        for f in (xml, xml.with_suffix(".bin")):
            f.unlink(missing_ok=True)


def _read_cached(path: Path, key: str):
    """The converted model at ``path``, or None when it is not there (or was just removed by
    another instance making room: then it is converted again) or was made for other weights
    (``key``: :func:`model_key`)."""
    if not path.is_file():
        return None
    try:
        model = core().read_model(str(path))
    except RuntimeError:
        return None
    if model.has_rt_info(_KEY_INFO) and str(model.get_rt_info(_KEY_INFO).astype(str)) != key:
        return None                             # stale: made for other weights
    try:
        os.utime(path)                          # recently used: kept longest
    except OSError:                             # a read-only cache still serves
        pass
    return model


class OpenVINOBackend:
    name = "openvino"

    def __init__(self, model, device: str, precision: str):
        self.model = model                      # the torch module, converted on first use
        self.device = device                    # cpu or intel-gpu:N
        self.kind = "cpu" if device == "cpu" else "gpu"
        self.precision = precision
        self.ov_device = openvino_device(device)
        self._request = None
        self._lock = threading.Lock()            # one infer request: one caller at a time
        self.converted = False                  # did this backend convert (not read) the model
        self.quantised = False                  # did it make (not read) the int8 model
        self._model_key = None

    # -- one-time work --------------------------------------------------------------------------
    def cached_model_path(self, int8: bool = False) -> Path:
        cfg = self.model.config
        tail = f"-int8c{CALIBRATION_VERSION}" if int8 else ""
        return cache_dir() / f"mimo-unet-w{cfg.width}-d{cfg.depth}-{self._key()}{tail}.xml"

    def _key(self) -> str:
        if self._model_key is None:
            self._model_key = model_key(self.model)
        return self._model_key

    def prepare(self, progress) -> None:
        with self._lock:
            if self._request is None:
                self._prepare(progress)

    def _prepare(self, progress) -> None:
        model = None
        if self.precision == "int8":
            model = _read_cached(self.cached_model_path(int8=True), self._key())
        if model is None:
            path = self.cached_model_path()
            model = _read_cached(path, self._key())
            if model is None:
                progress(0, 0, "Converting the network for OpenVINO (first use only)…")
                self._convert(path)
                self.converted = True
                model = core().read_model(str(path))
            if self.precision == "int8":
                progress(0, 0, "Making the fast int8 network for this CPU (first use only, "
                         "about a minute)…")
                model = self._quantise(model, self.cached_model_path(int8=True))
                self.quantised = True
        config = {"INFERENCE_PRECISION_HINT": self._runtime_precision(),
                  "PERFORMANCE_HINT": "LATENCY"}
        if self.kind == "gpu":  # building GPU kernels takes long: OpenVINO keeps them
            progress(0, 0, f"Preparing the Intel GPU ({self.ov_device})…")
            config["CACHE_DIR"] = str(cache_dir() / "compiled")
        else:
            # the threads torch is given: the window leaves a core to itself (gui/app.py)
            import torch
            config["INFERENCE_NUM_THREADS"] = torch.get_num_threads()
            # kernels prepared per input shape: a few recent shapes, not thousands (memory)
            config["CPU_RUNTIME_CACHE_CAPACITY"] = str(CPU_SHAPE_CACHE)
        compiled = core().compile_model(model, self.ov_device, config)
        self._request = compiled.create_infer_request()

    def _runtime_precision(self) -> str:
        """OpenVINO's precision hint: int8 models compute the layers left in floating point in
        bfloat16 where the CPU has it natively."""
        if self.precision != "int8":
            return _PRECISION[self.precision]
        from .backend import native_bf16
        return "bf16" if self.kind == "cpu" and native_bf16() else "f32"

    def _quantise(self, float_model, path: Path):
        """The int8 model made from the converted ``float_model`` and saved at ``path``."""
        import nncf
        from nncf.quantization.range_estimator import RangeEstimatorParametersSet

        from .calibration import calibration_photos
        data = [np.ascontiguousarray(p.transpose(2, 0, 1))[None] for p in calibration_photos()]
        nncf_log = logging.getLogger("nncf")
        level = nncf_log.level
        nncf_log.setLevel(logging.ERROR)
        try:
            # NNCF draws progress bars on stdout: not in the middle of ours
            with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
                warnings.simplefilter("ignore")
                # activation ranges: the widest seen on any calibration photo (NNCF's default,
                # the mean over the photos, clipped the bright edges of dark photos)
                advanced = nncf.AdvancedQuantizationParameters(
                    activations_range_estimator_params=RangeEstimatorParametersSet.MINMAX)
                quantised = nncf.quantize(float_model, nncf.Dataset(data),
                                          preset=nncf.QuantizationPreset.MIXED,
                                          subset_size=len(data),
                                          advanced_parameters=advanced)
        finally:
            nncf_log.setLevel(level)
        self._save(quantised, path)
        return core().read_model(str(path))

    def _save(self, model, path: Path) -> None:
        """``model`` saved at ``path`` with the key it was made for, never half-written."""
        import openvino as ov
        model.set_rt_info(self._key(), _KEY_INFO)
        path.parent.mkdir(parents=True, exist_ok=True)
        # written to a scratch folder, then moved into place: .bin first, the .xml (whose
        # presence means "complete") last, so a crash never leaves half a model behind
        with tempfile.TemporaryDirectory(dir=path.parent, prefix=".convert-") as tmp:
            xml = Path(tmp) / path.name
            ov.save_model(model, str(xml), compress_to_fp16=False)
            os.replace(xml.with_suffix(".bin"), path.with_suffix(".bin"))
            os.replace(xml, path)
        _forget_old(path.parent, keep=KEEP_MODELS)

    def _convert(self, path: Path) -> None:
        import openvino as ov
        import torch
        example = torch.rand(1, 3, 64, 64)
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # tracing warnings about Python branches on sizes
            # traced here without torch's trace check: that check pulls in torch.distributed
            # and sympy, which the bundle leaves out
            traced = torch.jit.trace(self.model.eval(), example, check_trace=False)
            converted = ov.convert_model(traced, example_input=example, input=[(1, 3, -1, -1)])
        self._save(converted, path)

    # -- per tile -------------------------------------------------------------------------------
    def forward(self, crop: np.ndarray) -> list[np.ndarray]:
        """[coarse, mid, fine] of one H x W x 3 crop, each h x w x 3 float32."""
        x = np.ascontiguousarray(crop.transpose(2, 0, 1))[None]
        with self._lock:
            self._request.infer({0: x})
            return [np.array(self._request.get_output_tensor(i).data[0].transpose(1, 2, 0))
                    for i in range(3)]

    def free_memory(self) -> None:
        pass
