"""A Normalize layer first, so models take [0, 1] input (as torchattacks expects)."""

from __future__ import annotations

import torch
from torch import nn


class Normalize(nn.Module):
    """``(x - mean) / std`` per channel; ``x`` (N, C, H, W) in [0, 1]."""

    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std


class Classifier(nn.Module):
    """``Normalize`` then ``net``. ``cam_layer`` names the net's last convolutional layer (for Grad-CAM).

    Input (N, C, H, W) float in [0, 1]; output logits (N, num_classes). ``channels_last``: set by
    :func:`xaiadv.models.registry.fast_layout` when the net's weights are in channels_last.
    """

    channels_last = False

    def __init__(self, net: nn.Module, mean, std, cam_layer: str):
        super().__init__()
        self.normalize = Normalize(mean, std)
        self.net = net
        self.cam_layer_name = cam_layer

    @property
    def cam_layer(self) -> nn.Module:
        return self.net.get_submodule(self.cam_layer_name)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.normalize(x)
        if self.channels_last and isinstance(h, torch.Tensor) and h.requires_grad:
            # a net in channels_last (models.registry.fast_layout) hands back input gradients in NHWC strides;
            # callers view them as (N, C, H, W)-contiguous (and safetensors saves only contiguous tensors). Not
            # while torch.fx traces (h a Proxy: explainers.layers.split_at), where no gradient flows
            h.register_hook(torch.Tensor.contiguous)
        return self.net(h)
