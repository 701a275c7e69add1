"""The paper's training loss: multi-scale content loss plus multi-scale frequency reconstruction.

For each output scale k (coarse 1/4, mid 1/2, fine 1/1), against the sharp image downscaled to
that scale:  L1(out_k, sharp_k) + 0.1 * L1(FFT(out_k), FFT(sharp_k)).  The FFT term compares real
and imaginary parts of the 2-D FFT of every channel.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

FREQ_WEIGHT = 0.1


def sharp_pyramid(sharp: torch.Tensor) -> list[torch.Tensor]:
    """Targets at 1/4, 1/2 and full size (bilinear, as in the original training code)."""
    half = F.interpolate(sharp, scale_factor=0.5, mode="bilinear", align_corners=False)
    quarter = F.interpolate(half, scale_factor=0.5, mode="bilinear", align_corners=False)
    return [quarter, half, sharp]


def frequency_l1(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    fa = torch.view_as_real(torch.fft.fft2(a.float()))
    fb = torch.view_as_real(torch.fft.fft2(b.float()))
    return F.l1_loss(fa, fb)


def mimo_loss(outputs: list[torch.Tensor], sharp: torch.Tensor,
              freq_weight: float = FREQ_WEIGHT) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Total loss and its parts (content, frequency) for logging, as detached tensors: turning
    them into numbers waits for the device, so the training loop does that only when it logs."""
    content = torch.zeros((), device=sharp.device)
    freq = torch.zeros((), device=sharp.device)
    for out, target in zip(outputs, sharp_pyramid(sharp.float())):
        content = content + F.l1_loss(out.float(), target)
        freq = freq + frequency_l1(out, target)
    total = content + freq_weight * freq
    return total, {"content": content.detach(), "freq": freq.detach()}
