"""The classical method: blind estimation of the camera-shake kernel, then deconvolution.

Pure numpy/scipy/OpenCV on arrays; :class:`ShakeDeblurrer` has the same ``run`` contract as the
network's :class:`~deblur_app.engine.Deblurrer`.
"""
from .engine import NO_SHAKE, ShakeDeblurrer, open_shake

__all__ = ["NO_SHAKE", "ShakeDeblurrer", "open_shake"]
