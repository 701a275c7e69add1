"""The MIMO-UNet network, its registered variants and weight loading."""
from .network import MIMOUNet, NetConfig
from .registry import VARIANTS, Variant, build, get_variant
from .weights import WeightsError, detect_variant, load_model, read_state_dict, save_safetensors

__all__ = ["MIMOUNet", "NetConfig", "VARIANTS", "Variant", "build", "get_variant", "WeightsError",
           "detect_variant", "load_model", "read_state_dict", "save_safetensors"]
