"""Inference: device choice, tiling, the three scales, progress and cancellation."""
from .device import available_devices, resolve_device
from .inference import SCALES, Deblurrer, Restored
from .progress import CancelToken, Cancelled, Eta, Progress, format_seconds

__all__ = ["available_devices", "resolve_device", "SCALES", "Deblurrer", "Restored",
           "CancelToken", "Cancelled", "Eta", "Progress", "format_seconds"]
