"""Baseline: JPEG compression of the whole image (Kao et al. 2021, Table II; quality in config)."""

from __future__ import annotations

from .filters import jpeg


def rectify(model, x, label, *, generator=None, quality: int):
    """(1, N, C, H, W): ``x`` (N, C, H, W) in [0, 1] JPEG-compressed at ``quality``."""
    return jpeg(x, quality)[None]
