"""Deblur Studio: remove camera shake and motion blur from photos with MIMO-UNet."""
__version__ = "0.1.0"
