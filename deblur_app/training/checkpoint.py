"""What training writes and reads back: full checkpoints, weights, and the compact optimiser state
that travels between GPU sessions.  Every file is written through the project's one atomic writer
(a temporary name, fsync, rename), so a crash never leaves half a checkpoint.

Compact optimiser state (``*.train-state.safetensors``): a device lent for one chunk receives only
the working tree and a few carried paths (64 MiB in all), so Adam's two moments in float32 (54 MB
for the full net) do not fit.  The first moment rebuilds in ~10 steps (beta1 = 0.9) and is not
kept; the second moment (beta2 = 0.999, ~1000 steps to rebuild) is kept as 8-bit codes of its
base-2 logarithm, per-tensor range, about 4 % relative error on sqrt(v): 6.8 MB for the full net.
The file names the sha256 of the weights it belongs to; with other weights it is ignored.
"""
from __future__ import annotations

import hashlib
import io
from pathlib import Path

import torch

from ..atomic import atomic_write_bytes

STATE_SUFFIX = ".train-state.safetensors"


def save_checkpoint(path: Path, state: dict) -> None:
    buf = io.BytesIO()
    torch.save(state, buf)
    atomic_write_bytes(path, buf.getvalue())


def load_checkpoint(path: Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=False)  # our own file


def weights_bytes(state: dict[str, torch.Tensor], config, half: bool = False,
                  metadata: dict[str, str] | None = None) -> bytes:
    """A model's weights as safetensors (the shipped format), with width/depth metadata as
    :func:`deblur_app.model.save_safetensors` writes them."""
    from safetensors.torch import save
    sd = {k: (v.half() if half else v.float()).contiguous().cpu() for k, v in state.items()}
    meta = {"width": str(config.width), "depth": str(config.depth)}
    meta.update(metadata or {})
    return save(sd, metadata=meta)


def save_weights(path: Path, state: dict[str, torch.Tensor], config, half: bool = False,
                 metadata: dict[str, str] | None = None) -> str:
    """Write weights atomically; returns their sha256 (the compact state refers to it)."""
    data = weights_bytes(state, config, half, metadata)
    atomic_write_bytes(path, data)
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def weights_metadata(path: Path) -> dict[str, str]:
    from safetensors import safe_open
    if Path(path).suffix.lower() != ".safetensors":
        return {}
    with safe_open(str(path), "pt") as f:
        return dict(f.metadata() or {})


# --- compact Adam state -------------------------------------------------------------------------

def encode_log8(v: torch.Tensor) -> tuple[torch.Tensor, float, float]:
    """Non-negative ``v`` as uint8 codes: 0 for zero, 1..255 for log2(v) spread over its range."""
    v = v.detach().float().cpu()
    pos = v > 0
    if not pos.any():
        return torch.zeros(v.shape, dtype=torch.uint8), 0.0, 1.0
    lg = torch.log2(v[pos])
    lo, hi = float(lg.min()), float(lg.max())
    scale = max(hi - lo, 1e-6) / 254
    codes = torch.zeros(v.shape, dtype=torch.uint8)
    codes[pos] = (1 + torch.round((lg - lo) / scale)).clamp(1, 255).to(torch.uint8)
    return codes, lo, scale


def decode_log8(codes: torch.Tensor, lo: float, scale: float) -> torch.Tensor:
    v = torch.exp2(lo + (codes.float() - 1) * scale)
    return torch.where(codes > 0, v, torch.zeros_like(v))


def state_bytes(opt: torch.optim.Optimizer, model: torch.nn.Module, step: int,
                weights_sha: str) -> bytes:
    """Adam's second moments of ``model``'s parameters in the compact form (see above)."""
    from safetensors.torch import save
    tensors = {}
    for name, p in model.named_parameters():
        st = opt.state.get(p, {})
        if "exp_avg_sq" not in st:
            continue
        codes, lo, scale = encode_log8(st["exp_avg_sq"])
        tensors[name] = codes
        tensors[name + ".range"] = torch.tensor([lo, scale], dtype=torch.float64)
    return save(tensors, metadata={"step": str(step), "weights_sha256": weights_sha,
                                   "kind": "adam exp_avg_sq, log2 8-bit"})


def load_state_into(path: Path, opt: torch.optim.Optimizer, model: torch.nn.Module,
                    weights_sha: str) -> str | None:
    """Restore Adam's second moments from a compact state file.  Returns None when loaded, or
    why not (missing file, other weights)."""
    from safetensors import safe_open
    path = Path(path)
    if not path.is_file():
        return f"{path.name}: not there"
    with safe_open(str(path), "pt") as f:
        meta = f.metadata() or {}
        if meta.get("weights_sha256") != weights_sha:
            return f"{path.name}: belongs to other weights"
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    step = float(meta.get("step", "0"))
    sd = opt.state_dict()
    names = [n for n, _ in model.named_parameters()]
    index = {n: i for i, n in enumerate(names)}  # one param group, in named_parameters order
    for name, p in model.named_parameters():
        if name not in tensors:
            continue
        lo, scale = tensors[name + ".range"].tolist()
        v = decode_log8(tensors[name], lo, scale).to(p.device)
        sd["state"][index[name]] = {"step": torch.tensor(step),
                                    "exp_avg": torch.zeros_like(p, dtype=torch.float32),
                                    "exp_avg_sq": v.view_as(p)}
    opt.load_state_dict(sd)
    return None
