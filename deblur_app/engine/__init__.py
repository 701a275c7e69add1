"""Inference: backend and device choice, tiling, the three scales, progress and cancellation."""
from .device import available_devices, resolve_device
from .inference import SCALES, Deblurrer, Restored
from .opening import default_model, open_engine
from .progress import CancelToken, Cancelled, Eta, Progress, format_seconds

__all__ = ["available_devices", "resolve_device", "SCALES", "Deblurrer", "Restored",
           "default_model", "open_engine", "CancelToken", "Cancelled", "Eta", "Progress",
           "format_seconds"]
