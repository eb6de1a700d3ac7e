"""Explainers: one module per method, all with the same signature

``explain(model, x, target, *, <the method's parameters>, [seed, background, lan]) -> attribution``

The method's parameters are its config keys (one schema per method in workflow/schemas/config.schema.yaml,
which also holds their defaults); ``seed``, ``background`` and ``lan`` are objects of the run, taken by
the methods that use them.

``x`` float32 (N, C, H, W) in [0, 1]; ``target`` int64 (N,) the explained
class; attribution float32 (N, C, H, W) (pixel methods) or (N, 1, H, W)
(Grad-CAM, upsampled to the input size). captum underneath.
"""

from .base import METHODS, explain, source_file

__all__ = ["METHODS", "explain", "source_file"]
