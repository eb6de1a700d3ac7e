"""Heat and Blur (Brama & Grinshpoun 2020, Algorithm 1): keep the pixels of the LRP heatmap above mean + 2 std
(Eq. 2), Gaussian-blur the rest of the image with sigma = p_blur, classify again.

The heatmap is the relevance of the class the model gives the input (one-hot start, deep Taylor z+;
:mod:`xaiadv.explainers.lrp`), summed over colour channels; §2.2 reads the pixels "with the highest absolute
values" (``absolute``, our reading of Eq. 2's P_i). The kept pixels are restored in all channels.
Cost: one forward and one backward pass for the heatmap, one forward pass to classify (the paper's count).
"""

from __future__ import annotations

import math

import torch


def heatmap_mask(heat: torch.Tensor, k_std: float = 2.0, absolute: bool = True) -> torch.Tensor:
    """Eq. 2: bool (N, 1, H, W), pixels whose heatmap value (N, 1, H, W) exceeds its image's mean + ``k_std`` std."""
    h = heat.abs() if absolute else heat
    flat = h.flatten(1)
    thr = flat.mean(1) + k_std * flat.std(1)
    return h > thr.view(-1, 1, 1, 1)


def blur(x: torch.Tensor, sigma: float, truncate: float = 4.0) -> torch.Tensor:
    """Gaussian blur of ``x`` (N, C, H, W) with std ``sigma`` pixels, kernel 2 * ceil(truncate * sigma) + 1
    (scipy's default extent), reflect padding; differentiable."""
    from .filters import gaussian_blur

    if sigma <= 0:
        return x
    return gaussian_blur(x, 2 * math.ceil(truncate * sigma) + 1, sigma)


def heat_and_blur(x: torch.Tensor, mask: torch.Tensor, sigma: float) -> torch.Tensor:
    """Algorithm 1 steps 4-5: the blurred image with the masked pixels (N, 1, H, W) restored from ``x``."""
    return torch.where(mask.expand_as(x), x, blur(x, sigma))


def rectify(model, x, label, *, generator=None, sigma: float, k_std: float, absolute: bool, first_rule: str):
    """Heat and Blur of ``x`` (N, C, H, W) in [0, 1] whose current label is ``label`` (N,): (1, N, C, H, W). Where
    ``x`` requires grad (an attacker's surrogate) the output is differentiable in ``x`` through the blur and the
    kept pixels, the LRP mask a constant of x (BPDA for the one non-differentiable step)."""
    from ..explainers.lrp import explain as lrp

    mask = heatmap_mask(lrp(model, x.detach(), label, first_rule=first_rule), k_std, absolute)
    out = heat_and_blur(x, mask, sigma)[None]
    return out if x.requires_grad and torch.is_grad_enabled() else out.detach()
