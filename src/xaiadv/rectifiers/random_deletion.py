"""Baseline: delete (set to 0) a random ``percentage`` of the pixels of the whole image, ``repeats``
times (Kao et al. 2021, Table II prints mean and spread over the repeats)."""

from __future__ import annotations

import torch


def rectify(model, x, label, *, generator: torch.Generator, percentage: float, repeats: int):
    """(repeats, N, C, H, W): each repeat zeroes an independent random ``percentage`` in [0, 1] of pixel
    positions (all channels) of ``x`` (N, C, H, W) in [0, 1]."""
    n, _, h, w = x.shape
    keep = torch.rand((repeats, n, 1, h, w), generator=generator) >= percentage
    return x[None] * keep.to(x.device, x.dtype)
