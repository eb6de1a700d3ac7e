"""Rates with n and a percentile-bootstrap 95% interval."""

from __future__ import annotations

import numpy as np


def rate_ci(hits, n_boot: int = 2000, alpha: float = 0.05, seed: int = 0) -> dict:
    """Mean of a 0/1 vector with a percentile-bootstrap (1 - alpha) interval.

    Returns ``{"rate", "n", "lo", "hi"}`` (rates in [0, 1]); NaN rate for n = 0.
    """
    hits = np.asarray(hits, dtype=float)
    n = len(hits)
    if n == 0:
        return {"rate": float("nan"), "n": 0, "lo": float("nan"), "hi": float("nan")}
    rng = np.random.default_rng(seed)
    means = hits[rng.integers(0, n, size=(n_boot, n))].mean(axis=1)
    lo, hi = np.quantile(means, [alpha / 2, 1 - alpha / 2])
    return {"rate": float(hits.mean()), "n": n, "lo": float(lo), "hi": float(hi)}
