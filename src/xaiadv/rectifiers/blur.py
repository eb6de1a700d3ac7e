"""Baseline: Gaussian blur of the whole image (Kao et al. 2021, Table II; kernel and sigma in config)."""

from __future__ import annotations

from .filters import gaussian_blur


def rectify(model, x, label, *, generator=None, kernel: int, sigma: float):
    """(1, N, C, H, W): ``x`` (N, C, H, W) in [0, 1] blurred (``kernel`` pixels, std ``sigma`` pixels)."""
    return gaussian_blur(x, kernel, sigma)[None]
