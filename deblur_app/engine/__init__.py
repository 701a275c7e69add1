"""Inference: backend and device choice, tiling, the three scales, progress and cancellation."""
from .backend import available_devices
from .device import resolve_device
from .inference import Deblurrer, Restored
from .opening import default_model, open_engine
from .progress import CancelToken, Cancelled, Eta, Progress, format_seconds
from .scales import FACTORS, SCALES, TITLES, scale_size, scales_for

__all__ = ["available_devices", "resolve_device", "SCALES", "FACTORS", "TITLES", "scale_size",
           "scales_for", "Deblurrer", "Restored", "default_model", "open_engine", "CancelToken",
           "Cancelled", "Eta", "Progress", "format_seconds"]
