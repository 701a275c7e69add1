"""Inference: device choice, tiling, the three scales, progress and cancellation."""
from .device import available_devices, resolve_device
from .inference import Deblurrer, Restored
from .progress import CancelToken, Cancelled, Eta, Progress, format_seconds
from .scales import FACTORS, SCALES, TITLES, scale_size, scales_for

__all__ = ["available_devices", "resolve_device", "SCALES", "FACTORS", "TITLES", "scale_size", "scales_for", "Deblurrer", "Restored",
           "CancelToken", "Cancelled", "Eta", "Progress", "format_seconds"]
