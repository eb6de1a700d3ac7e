"""Explainers: one module per method, all with the same signature

``explain(model, x, target, **params) -> attribution``

``x`` float32 (N, C, H, W) in [0, 1]; ``target`` int64 (N,) the explained
class; attribution float32 (N, C, H, W) (pixel methods) or (N, 1, H, W)
(Grad-CAM, upsampled to the input size). captum underneath.
"""

from .base import METHODS, explain, source_file

__all__ = ["METHODS", "explain", "source_file"]
