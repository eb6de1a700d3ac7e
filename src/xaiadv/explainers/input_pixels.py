"""No-explanation baseline: the input pixels themselves, shaped like an attribution.

Lets every detector compare "features from an explanation" with "features from
the image" through the same cache and the same code (Saito & Wang extension).
"""

from __future__ import annotations


def explain(model, x, target):
    """``x`` (N, C, H, W) returned unchanged (detached, float32)."""
    return x.detach().float()
