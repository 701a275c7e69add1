"""MIMO-UNet (Cho et al., ICCV 2021): one U-Net with multi-scale inputs and outputs.

The module layout and attribute names reproduce the published implementation exactly, so its
``state_dict`` keys (and therefore the original checkpoints) match without any remapping.  Width
(base channels) and depth (residual blocks per encoder/decoder stage) are parameters: MIMO-UNet is
width 32 / depth 8, MIMO-UNet+ width 32 / depth 20 with dropout after the feature fusions, and the
lite variant is simply a smaller configuration of the same code.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class NetConfig:
    width: int = 32
    depth: int = 8
    dropout: float = 0.0


class BasicConv(nn.Module):
    """Conv (or stride-2 transposed conv) + optional ReLU, stored as ``.main`` like the original."""

    def __init__(self, cin: int, cout: int, k: int, stride: int = 1, relu: bool = True,
                 transpose: bool = False):
        super().__init__()
        if transpose:
            conv = nn.ConvTranspose2d(cin, cout, k, stride=stride, padding=k // 2 - 1)
        else:
            conv = nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2)
        layers: list[nn.Module] = [conv]
        if relu:
            layers.append(nn.ReLU(inplace=True))
        self.main = nn.Sequential(*layers)

    def forward(self, x):
        return self.main(x)


class ResBlock(nn.Module):
    def __init__(self, ch: int):
        super().__init__()
        self.main = nn.Sequential(BasicConv(ch, ch, 3), BasicConv(ch, ch, 3, relu=False))

    def forward(self, x):
        return self.main(x) + x


class ResStage(nn.Module):
    """A stack of residual blocks: the original's EBlock and DBlock (identical modules)."""

    def __init__(self, ch: int, depth: int):
        super().__init__()
        self.layers = nn.Sequential(*[ResBlock(ch) for _ in range(depth)])

    def forward(self, x):
        return self.layers(x)


class SCM(nn.Module):
    """Shallow convolutional module: features of a downscaled input image."""

    def __init__(self, ch: int):
        super().__init__()
        self.main = nn.Sequential(
            BasicConv(3, ch // 4, 3),
            BasicConv(ch // 4, ch // 2, 1),
            BasicConv(ch // 2, ch // 2, 3),
            BasicConv(ch // 2, ch - 3, 1),
        )
        self.conv = BasicConv(ch, ch, 1, relu=False)

    def forward(self, x):
        return self.conv(torch.cat([x, self.main(x)], dim=1))


class FAM(nn.Module):
    """Feature attention module: merges encoder features with SCM features."""

    def __init__(self, ch: int):
        super().__init__()
        self.merge = BasicConv(ch, ch, 3, relu=False)

    def forward(self, x, s):
        return x + self.merge(x * s)


class AFF(nn.Module):
    """Asymmetric feature fusion: encoder features of all three scales into one skip.

    The original concatenates the three feature maps, resized to this scale, and applies a 1x1
    convolution.  A 1x1 convolution commutes with nearest-neighbour resizing, so each input's
    share of it is computed at that input's own (smaller) size and resized afterwards: the same
    function, without ever holding the 7x-wide concatenation at full resolution (it dominated
    the network's peak memory), and with fewer operations.
    """

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.conv = nn.Sequential(BasicConv(cin, cout, 1), BasicConv(cout, cout, 3, relu=False))

    def forward(self, *feats: tuple[torch.Tensor, float]):
        """``feats``: (feature map, resize factor to this scale) for each scale, in order."""
        conv = self.conv[0].main[0]
        out, c0 = None, 0
        for x, factor in feats:
            w = conv.weight[:, c0:c0 + x.shape[1]]
            c0 += x.shape[1]
            if factor < 1:
                x = _resize(x, factor)
            y = F.conv2d(x, w)
            if factor > 1:
                y = _resize(y, factor)
            out = y if out is None else out.add_(y)
        out = F.relu(out + conv.bias.view(1, -1, 1, 1))
        return self.conv[1](out)


def _resize(x, factor: float):
    # The original uses F.interpolate's default (nearest) everywhere; parity depends on it.
    return F.interpolate(x, scale_factor=factor)


class MIMOUNet(nn.Module):
    """Returns ``[coarse, mid, fine]``: restorations at 1/4, 1/2 and full size.

    Input height and width must be multiples of 4 (the engine pads).
    """

    def __init__(self, config: NetConfig = NetConfig()):
        super().__init__()
        self.config = config
        w, d = config.width, config.depth
        self.Encoder = nn.ModuleList([ResStage(w, d), ResStage(2 * w, d), ResStage(4 * w, d)])
        self.feat_extract = nn.ModuleList([
            BasicConv(3, w, 3),
            BasicConv(w, 2 * w, 3, stride=2),
            BasicConv(2 * w, 4 * w, 3, stride=2),
            BasicConv(4 * w, 2 * w, 4, stride=2, transpose=True),
            BasicConv(2 * w, w, 4, stride=2, transpose=True),
            BasicConv(w, 3, 3, relu=False),
        ])
        self.Decoder = nn.ModuleList([ResStage(4 * w, d), ResStage(2 * w, d), ResStage(w, d)])
        self.Convs = nn.ModuleList([BasicConv(4 * w, 2 * w, 1), BasicConv(2 * w, w, 1)])
        self.ConvsOut = nn.ModuleList([BasicConv(4 * w, 3, 3, relu=False),
                                       BasicConv(2 * w, 3, 3, relu=False)])
        self.AFFs = nn.ModuleList([AFF(7 * w, w), AFF(7 * w, 2 * w)])
        self.FAM1 = FAM(4 * w)
        self.SCM1 = SCM(4 * w)
        self.FAM2 = FAM(2 * w)
        self.SCM2 = SCM(2 * w)
        self.drop = nn.Dropout2d(config.dropout) if config.dropout > 0 else nn.Identity()

    def forward(self, x):
        x2 = _resize(x, 0.5)
        x4 = _resize(x2, 0.5)
        s2 = self.SCM2(x2)
        s4 = self.SCM1(x4)

        e1 = self.Encoder[0](self.feat_extract[0](x))
        e2 = self.Encoder[1](self.FAM2(self.feat_extract[1](e1), s2))
        e3 = self.Encoder[2](self.FAM1(self.feat_extract[2](e2), s4))

        skip2 = self.drop(self.AFFs[1]((e1, 0.5), (e2, 1), (e3, 2)))
        skip1 = self.drop(self.AFFs[0]((e1, 1), (e2, 2), (e3, 4)))

        z = self.Decoder[0](e3)
        coarse = self.ConvsOut[0](z) + x4
        z = self.Convs[0](torch.cat([self.feat_extract[3](z), skip2], dim=1))
        z = self.Decoder[1](z)
        mid = self.ConvsOut[1](z) + x2
        z = self.Convs[1](torch.cat([self.feat_extract[4](z), skip1], dim=1))
        fine = self.feat_extract[5](self.Decoder[2](z)) + x
        return [coarse, mid, fine]
