"""Rates with n and a percentile-bootstrap 95% interval."""

from __future__ import annotations

import numpy as np


MIN_CALIB = 20  # clean calibration scores needed before a threshold at a fixed FPR means anything (issue 20)


def rate_ci(hits, n_boot: int = 2000, alpha: float = 0.05, seed: int = 0) -> dict:
    """Mean of a 0/1 vector (or of per-item rates in [0, 1]) with a percentile-bootstrap (1 - alpha) interval.

    Where every item is a hit (or every item a miss) the bootstrap collapses to [1, 1] ([0, 0]), which
    would claim certainty from n items; there the interval is the exact Clopper-Pearson one instead:
    [(alpha / 2)^(1/n), 1] (and [0, 1 - (alpha / 2)^(1/n)]), e.g. [93.1, 100] % for 52 of 52.
    Returns ``{"rate", "n", "lo", "hi"}`` (rates in [0, 1]); NaN rate for n = 0.
    """
    hits = np.asarray(hits, dtype=float)
    n = len(hits)
    if n == 0:
        return {"rate": float("nan"), "n": 0, "lo": float("nan"), "hi": float("nan")}
    if (hits == 1).all() or (hits == 0).all():
        edge = (alpha / 2) ** (1 / n)
        lo, hi = (edge, 1.0) if hits[0] == 1 else (0.0, 1.0 - edge)
        return {"rate": float(hits.mean()), "n": n, "lo": float(lo), "hi": float(hi)}
    rng = np.random.default_rng(seed)
    means = hits[rng.integers(0, n, size=(n_boot, n))].mean(axis=1)
    lo, hi = np.quantile(means, [alpha / 2, 1 - alpha / 2])
    return {"rate": float(hits.mean()), "n": n, "lo": float(lo), "hi": float(hi)}


def mean_ci(values, n_boot: int = 2000, alpha: float = 0.05, seed: int = 0) -> dict:
    """Mean of per-item values (any scale, e.g. an example's mean rank in [1, 3]) with a percentile-bootstrap
    (1 - alpha) interval over the items. Returns ``{"mean", "n", "lo", "hi"}``; NaN mean for n = 0 (NaN items
    are dropped first)."""
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    n = len(v)
    if n == 0:
        return {"mean": float("nan"), "n": 0, "lo": float("nan"), "hi": float("nan")}
    rng = np.random.default_rng(seed)
    means = v[rng.integers(0, n, size=(n_boot, n))].mean(axis=1)
    lo, hi = np.quantile(means, [alpha / 2, 1 - alpha / 2])
    return {"mean": float(v.mean()), "n": n, "lo": float(lo), "hi": float(hi)}


def cluster_mean_ci(values, clusters, n_boot: int = 2000, alpha: float = 0.05, seed: int = 0) -> dict:
    """Mean of ``values`` (e.g. the ranks of all explanations) with a cluster-bootstrap (1 - alpha) interval that
    resamples whole ``clusters`` (e.g. adversarial examples: the 20 sizes of one example are not independent).
    Returns ``{"mean", "n" (clusters), "n_items", "lo", "hi"}``; NaN values are dropped."""
    v = np.asarray(values, dtype=float)
    c = np.asarray(clusters)
    keep = ~np.isnan(v)
    v, c = v[keep], c[keep]
    ids, inv = np.unique(c, return_inverse=True)
    k = len(ids)
    if k == 0:
        return {"mean": float("nan"), "n": 0, "n_items": 0, "lo": float("nan"), "hi": float("nan")}
    sums, counts = np.bincount(inv, weights=v, minlength=k), np.bincount(inv, minlength=k).astype(float)
    rng = np.random.default_rng(seed)
    draw = rng.integers(0, k, size=(n_boot, k))
    means = sums[draw].sum(axis=1) / counts[draw].sum(axis=1)
    lo, hi = np.quantile(means, [alpha / 2, 1 - alpha / 2])
    return {"mean": float(v.mean()), "n": k, "n_items": len(v), "lo": float(lo), "hi": float(hi)}
