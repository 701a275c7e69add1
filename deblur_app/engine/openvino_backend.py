"""The network run by OpenVINO on the CPU or an Intel GPU.

Any loaded weights (shipped, original ``.pkl``, user files) are converted once to an OpenVINO
model with a free image height and width, saved in the user cache folder under a key made of
the weights' hash, the network's shape and the app's and OpenVINO's versions; the next photo and
the next launch read it back in a few milliseconds.  One conversion serves every tile shape: a
model compiled for a free height and width runs as fast here as one compiled per shape
(bench/RESULTS.md).  The precision (bfloat16, float16 or float32) is a compile-time setting of
the same model.  Compiled Intel-GPU kernels are cached by OpenVINO itself (slow to build there).
"""
from __future__ import annotations

import functools
import hashlib
import os
import tempfile
import threading
import warnings
from pathlib import Path

import numpy as np

_PRECISION = {"fp32": "f32", "bf16": "bf16", "fp16": "f16"}
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


def _read_cached(path: Path):
    """The converted model at ``path``, or None when it is not there (or was just removed by
    another instance making room: then it is converted again)."""
    if not path.is_file():
        return None
    try:
        model = core().read_model(str(path))
    except RuntimeError:
        return None
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

    # -- one-time work --------------------------------------------------------------------------
    def cached_model_path(self) -> Path:
        cfg = self.model.config
        return cache_dir() / f"mimo-unet-w{cfg.width}-d{cfg.depth}-{model_key(self.model)}.xml"

    def prepare(self, progress) -> None:
        with self._lock:
            if self._request is None:
                self._prepare(progress)

    def _prepare(self, progress) -> None:
        path = self.cached_model_path()
        model = _read_cached(path)
        if model is None:
            progress(0, 0, "Converting the network for OpenVINO (first use only)…")
            self._convert(path)
            self.converted = True
            model = core().read_model(str(path))
        config = {"INFERENCE_PRECISION_HINT": _PRECISION[self.precision],
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
        path.parent.mkdir(parents=True, exist_ok=True)
        # written to a scratch folder, then moved into place: .bin first, the .xml (whose
        # presence means "complete") last, so a crash never leaves half a model behind
        with tempfile.TemporaryDirectory(dir=path.parent, prefix=".convert-") as tmp:
            xml = Path(tmp) / path.name
            ov.save_model(converted, str(xml), compress_to_fp16=False)
            os.replace(xml.with_suffix(".bin"), path.with_suffix(".bin"))
            os.replace(xml, path)
        _forget_old(path.parent, keep=KEEP_MODELS)

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
