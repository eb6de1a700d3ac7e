"""Feature vectors from attributions."""

from __future__ import annotations

import numpy as np

FEATURES = ("flat", "sorted")


def features(attribution: np.ndarray, mode: str = "flat") -> np.ndarray:
    """(rows, C, H, W) attributions -> (rows, C*H*W) features.

    ``flat``: the flattened attribution (Saito & Wang, Sec. 3); ``sorted``: each row's
    values in ascending order (order statistics, as the authors' released code),
    invariant to where in the image the attribution lies. Raises ``ValueError`` for another mode.
    """
    flat = np.asarray(attribution, dtype=np.float32).reshape(len(attribution), -1)
    if mode == "flat":
        return flat
    if mode == "sorted":
        return np.sort(flat, axis=1)
    raise ValueError(f"unknown feature mode {mode!r}; allowed: {', '.join(FEATURES)}")
