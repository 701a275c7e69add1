"""Opening an engine: which weights, which device and runtime, one function for every caller
(the ``deblur`` command, the window and the self-test)."""
from __future__ import annotations

from pathlib import Path

from ..model import WeightsError, load_model
from ..model.shipped import default_model_for, shipped_weights
from .backend import choose, native_bf16
from .inference import Deblurrer


def full_net_is_fast(device: str, backend: str) -> bool:
    """Does the full network run at a few seconds per megapixel here?  On GPUs, through OpenVINO
    and with native bfloat16 it does (2-4 s/MP on two CPU cores, bench/RESULTS.md); torch in
    float32 on a CPU takes 8 s/MP or more, where the lite net stays the default."""
    name, dev = choose(device, backend)
    return name == "openvino" or not dev.startswith("cpu") or native_bf16()


def default_model(device: str, backend: str) -> str:
    """The shipped network to use when the user names none."""
    return default_model_for(full_net_is_fast(device, backend))


def open_engine(weights: str | Path | None, model: str | None, device: str, backend: str,
                tile: int | None, overlap: int, precision: str) -> Deblurrer:
    """The network ready to run.  ``weights``: a file (any supported format) or None for the
    shipped weights of ``model`` (None: the default for the device).  ``device``: auto, cpu,
    cuda[:N], mps, intel-gpu[:N]; ``backend``: auto, torch, openvino; ``tile``: pixels (None:
    the device's default, 0: whole photo); ``precision``: auto or fp32 (also fp16, bf16).

    Raises WeightsError or ValueError with a message fit for the user."""
    if weights is None:
        weights = shipped_weights(model or default_model(device, backend))
        net, variant = load_model(weights)
    else:
        net, variant = load_model(weights)
        if model and variant.name != model:
            raise WeightsError(f"{weights} holds {variant.title} ({variant.name}), not {model}: "
                               "leave out --model or pass matching weights")
    return Deblurrer(net, variant, device=device, tile=tile, overlap=overlap,
                     precision=precision, backend=backend, source=str(weights))


def open_method(method: str, *, weights: str | Path | None = None, device: str = "auto",
                tile: int | None = None, overlap: int = 64, kernel_size=None, region=None,
                detail=None, precision: str = "auto"):
    """The engine of a method of :data:`~deblur_app.engine.methods.METHODS` (every one has the
    same ``run`` contract): the network with ``weights`` on ``device``, or shake estimation
    with its settings.  A new method is one more branch here."""
    if method == "shake":
        from ..shake import open_shake           # the classical method's own package
        return open_shake(kernel_size, region, detail)
    if method == "network":
        return open_engine(weights, None, device, "auto", tile, overlap, precision)
    if method == "auto":
        from ..shake import open_shake
        from .auto import AutoDeblurrer
        return AutoDeblurrer(open_engine(weights, None, device, "auto", tile, overlap, precision),
                             open_shake(kernel_size, region, detail))
    raise ValueError(f"unknown method {method!r}")
