"""The learning rate for an open-ended chain of short training chunks, and the weights' EMA.

Why inverse square root, not cosine: GPU time comes in chunks of ~10 minutes, one per lent session,
and nobody knows how many chunks will follow.  A cosine (or any schedule with an end) needs the
total length up front; re-starting it every chunk would jump the rate back up and undo the last
chunk's annealing, and stretching it would change the rate of steps already taken.  Here the rate is
a pure function of the global step (carried in the shipped weights' metadata):

    lr(step) = base * min(1, (step + 1) / warmup) * sqrt(plateau / max(step, plateau))

continuous across chunk boundaries by construction, decaying slowly and never reaching zero, so
every chunk still learns; the small-step-size benefit that a final cosine anneal gives is provided
by the exponential moving average of the weights instead (that is what is evaluated and shipped).

One local exception: when a chunk starts without the optimiser's state (none shipped), Adam's
moment estimates are empty and its first updates are as large as the rate itself in every
parameter; :func:`resume_ramp` scales the rate up linearly over the chunk's first steps.
"""
from __future__ import annotations

import math

import torch


def lr_at(step: int, base: float, warmup: int = 300, plateau: int = 1000) -> float:
    """The learning rate at global ``step`` (see the module's documentation)."""
    warm = min(1.0, (step + 1) / max(1, warmup))
    return base * warm * math.sqrt(plateau / max(step, plateau))


def resume_ramp(local_step: int, ramp: int) -> float:
    """Factor for the ``local_step``-th step of a chunk that started without optimiser state."""
    return 1.0 if ramp <= 0 else min(1.0, (local_step + 1) / ramp)


class EMA:
    """Exponential moving average of a model's floating-point state (parameters and buffers),
    kept in float32 on the model's device: ``ema = decay * ema + (1 - decay) * current``."""

    def __init__(self, model: torch.nn.Module, decay: float = 0.999):
        self.decay = decay
        self.shadow = {k: v.detach().clone().float() for k, v in model.state_dict().items()
                       if v.is_floating_point()}

    @torch.no_grad()
    def update(self, model: torch.nn.Module) -> None:
        pairs = self.__dict__.get("_pairs")
        if pairs is None or pairs[0] is not model:  # the lists once: a step is short on a GPU
            cur = model.state_dict()
            keys = list(self.shadow)
            pairs = (model, [self.shadow[k] for k in keys], [cur[k] for k in keys])
            self._pairs = pairs
        _, ema, live = pairs
        if all(t.dtype == torch.float32 for t in live):
            torch._foreach_lerp_(ema, live, 1 - self.decay)
        else:
            torch._foreach_lerp_(ema, [t.float() for t in live], 1 - self.decay)

    def state_dict(self) -> dict[str, torch.Tensor]:
        return dict(self.shadow)

    def load_state_dict(self, sd: dict[str, torch.Tensor]) -> None:
        for k, v in sd.items():
            self.shadow[k].copy_(v)

    def copy_to(self, model: torch.nn.Module) -> None:
        model.load_state_dict(self.shadow, strict=False)
