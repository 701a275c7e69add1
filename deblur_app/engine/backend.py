"""Which runtime runs the network where, and in which precision: the one place for that choice.

Devices (as the user names them): ``auto``, ``cpu``, ``cuda``/``cuda:N``, ``mps`` (Apple) and
``intel-gpu``/``intel-gpu:N`` (an Intel GPU through OpenVINO).  Backends: ``torch`` (CUDA, MPS,
CPU) and ``openvino`` (CPU, Intel GPU); ``auto`` takes OpenVINO on the CPU when it is installed
(2-4x faster than torch there, see bench/RESULTS.md) and torch on CUDA and MPS.

Precision ``auto``: float16 on CUDA and Intel GPUs, bfloat16 on CPUs that compute it natively
(AVX512-BF16 or AMX), float32 elsewhere (MPS, other CPUs).  ``fp32`` forces float32 everywhere.
``int8`` (OpenVINO on the CPU only): the network quantised once by NNCF (openvino_backend.py),
faster than bfloat16 where the CPU computes int8 natively (bench/RESULTS.md); ``auto`` takes it
only where ``INT8_IS_DEFAULT`` (the quality guard held), the CPU computes int8 natively (VNNI or
AMX) and NNCF is installed to make it.

A backend is a small object with ``device`` (text), ``kind`` (cpu, cuda, mps, gpu),
``precision``, ``prepare(progress)`` (one-time work such as converting the network, reported
through the progress protocol) and ``forward(crop) -> [coarse, mid, fine]`` on H x W x 3 arrays.
"""
from __future__ import annotations

import functools
import importlib.util
import os

import torch

from .device import mps_available, resolve_device

BACKENDS = ("auto", "torch", "openvino")
PRECISIONS = ("auto", "fp32", "bf16", "fp16", "int8")
# Does the quality guard of bench/int8_quality.py hold (agreement with float32 >= 40 dB on every
# source, PSNR against the sharp references within 0.1 dB of bfloat16)?  Not yet: on the
# synthetic validation int8 is 0.11 dB below bfloat16 (bench/RESULTS.md), so it is opt-in.
INT8_IS_DEFAULT = False
INTEL_GPU = "intel-gpu"


@functools.lru_cache(maxsize=1)
def native_bf16() -> bool:
    """Does this CPU compute bfloat16 natively (AVX512-BF16 or AMX)?  Emulated bfloat16 is
    slower than float32, so only then is it worth it.  ``DEBLUR_NO_BF16=1`` says no."""
    if os.environ.get("DEBLUR_NO_BF16") == "1":
        return False
    flags = _cpu_flags()
    if flags is not None:
        return bool(flags & {"avx512_bf16", "amx_bf16"})
    if openvino_installed():  # macOS and Windows: OpenVINO knows the CPU's capabilities
        from .openvino_backend import cpu_capabilities
        return "BF16" in cpu_capabilities()
    return False


@functools.lru_cache(maxsize=1)
def native_int8() -> bool:
    """Does this CPU compute int8 dot products natively (AVX512-VNNI, AVX-VNNI or AMX)?
    ``DEBLUR_NO_INT8=1`` says no."""
    if os.environ.get("DEBLUR_NO_INT8") == "1":
        return False
    return bool((_cpu_flags() or set()) & {"avx512_vnni", "avx_vnni", "amx_int8"})


@functools.lru_cache(maxsize=1)
def _cpu_flags() -> set[str] | None:
    """The CPU's feature flags from /proc/cpuinfo (Linux), None where there is none."""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return None


def int8_can_be_made() -> bool:
    """Is NNCF (which quantises the network once) installed?"""
    return importlib.util.find_spec("nncf") is not None


def openvino_installed() -> bool:
    return importlib.util.find_spec("openvino") is not None


def choose(device: str, backend: str) -> tuple[str, str]:
    """(backend, device) that will run, from the user's words; ValueError with a message fit
    for the user when the pair cannot run here."""
    device = (device or "auto").lower()
    backend = (backend or "auto").lower()
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend '{backend}' ({', '.join(BACKENDS)})")
    if device.startswith(INTEL_GPU):
        if backend == "torch":
            raise ValueError("Intel GPUs run through OpenVINO: use --backend openvino or auto")
        _need_openvino()
        from .openvino_backend import openvino_device
        openvino_device(device)  # raises when there is no such GPU
        return "openvino", device
    if backend == "openvino":
        _need_openvino()
        if device not in ("auto", "cpu"):
            raise ValueError(f"OpenVINO runs on the CPU and Intel GPUs, not on '{device}'")
        return "openvino", "cpu"
    dev = resolve_device(device)
    if dev.type == "cpu" and backend == "auto" and openvino_installed():
        return "openvino", "cpu"
    return "torch", str(dev)


def device_kind(device: str, backend: str = "auto") -> str:
    """cpu, cuda, mps or gpu (Intel, through OpenVINO) for the user's device words."""
    name, dev = choose(device, backend)
    if name == "openvino":
        return "cpu" if dev == "cpu" else "gpu"
    return dev.partition(":")[0]


def _need_openvino() -> None:
    if not openvino_installed():
        raise ValueError("OpenVINO is not installed here (pip install openvino); use "
                         "--backend torch")


def resolve_precision(precision: str, kind: str, runtime: str = "torch") -> str:
    """fp32, fp16, bf16 or int8 for a device kind (cpu, cuda, mps, gpu) and runtime (torch,
    openvino)."""
    precision = (precision or "auto").lower()
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision '{precision}' ({', '.join(PRECISIONS)})")
    if precision == "auto":
        if kind in ("cuda", "gpu"):
            return "fp16"
        if kind == "cpu" and runtime == "openvino" and INT8_IS_DEFAULT and native_int8() \
                and int8_can_be_made():
            return "int8"
        return "bf16" if kind == "cpu" and native_bf16() else "fp32"
    if precision == "int8":
        if kind != "cpu" or runtime != "openvino":
            raise ValueError("int8 runs through OpenVINO on the CPU only: use --device cpu "
                             "(or auto) with --backend openvino (or auto)")
        if not int8_can_be_made():
            raise ValueError("int8 needs NNCF to quantise the network once (pip install nncf)")
    if precision == "fp16" and kind not in ("cuda", "gpu"):
        raise ValueError("float16 runs on CUDA and Intel GPUs only")
    if precision == "bf16" and kind != "cpu":
        raise ValueError("bfloat16 is used on the CPU only")
    return precision


def check_precision(precision: str, device: str, backend: str) -> str:
    """The precision that will run for the user's words (ValueError with a message fit for the
    user when that device and runtime cannot run it)."""
    name, dev = choose(device, backend)
    return resolve_precision(precision, device_kind(device, backend), name)


def make_backend(model, device: str, backend: str, precision: str,
                 channels_last: bool | None = None):
    """The backend object running ``model`` (a float32 torch module on the CPU)."""
    name, dev = choose(device, backend)
    if name == "openvino":
        from .openvino_backend import OpenVINOBackend
        kind = "cpu" if dev == "cpu" else "gpu"
        return OpenVINOBackend(model, dev, resolve_precision(precision, kind, "openvino"))
    from .torch_backend import TorchBackend
    tdev = torch.device(dev)
    return TorchBackend(model, tdev, resolve_precision(precision, tdev.type), channels_last)


def available_devices() -> list[tuple[str, str]]:
    """(id, human name) of every device the app can use, best first."""
    out = []
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            out.append((f"cuda:{i}", f"GPU {i}: {torch.cuda.get_device_name(i)}"))
    if mps_available():
        out.append(("mps", "Apple GPU (Metal)"))
    if openvino_installed():
        from .openvino_backend import intel_gpus
        out.extend((dev, f"Intel GPU: {name} (OpenVINO)") for dev, name in intel_gpus())
    runtime = "OpenVINO" if openvino_installed() else "PyTorch"
    out.append(("cpu", f"CPU ({runtime}, {'bfloat16' if native_bf16() else 'float32'})"))
    return out
