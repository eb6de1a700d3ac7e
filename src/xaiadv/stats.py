"""Every interval the project prints, one method per statistic kind (95% unless ``alpha`` says otherwise).

- A binomial rate (k of n items, each a 0/1 outcome: accuracy, robust accuracy, TPR, FPR, attack success) gets the
  Wilson score interval (:func:`proportion_ci`, scipy's ``binomtest(...).proportion_ci(method="wilson")``): it is
  monotone in k (k + 1 of n never has a lower upper bound than k of n), never collapses to a point at 0 or n, and
  keeps close to its nominal coverage at the n of our tables (Brown, Cai & DasGupta 2001).
- Any other statistic (a mean of per-item values that are not 0/1: ranks, NDCG, L2 norms, per-image rates averaged
  over repeats; AUROC; a ratio of cluster sums) gets a percentile bootstrap through one helper
  (:func:`bootstrap_ci`, scipy's ``bootstrap``), resampling items, or whole clusters where items are not
  independent.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

MIN_CALIB = 20  # clean calibration scores needed before a threshold at a fixed FPR means anything
N_BOOT = 2000  # bootstrap resamples of every non-proportion interval
ALPHA = 0.05

_NAN = float("nan")


def proportion_ci(k: int, n: int, alpha: float = ALPHA) -> tuple[float, float]:
    """Wilson score (1 - ``alpha``) interval of a binomial proportion ``k`` of ``n`` (Wilson 1927), as (lo, hi) in
    [0, 1]; (NaN, NaN) for n = 0. Raises ``ValueError`` for k outside 0 .. n."""
    from scipy.stats import binomtest

    k, n = int(k), int(n)
    if n == 0:
        return _NAN, _NAN
    if not 0 <= k <= n:
        raise ValueError(f"proportion_ci: k = {k} outside 0 .. n = {n}")
    ci = binomtest(k, n).proportion_ci(confidence_level=1 - alpha, method="wilson")
    return float(ci.low), float(ci.high)


def bootstrap_ci(data: tuple, statistic: Callable, alpha: float = ALPHA, seed: int = 0, n_boot: int = N_BOOT,
                 paired: bool = True, vectorized: bool = True) -> tuple[float, float]:
    """Percentile-bootstrap (1 - ``alpha``) interval of ``statistic`` (scipy's ``bootstrap``). ``data``: a tuple of
    1-D arrays; ``paired``: they have one length and are resampled together, item by item; else each is resampled
    on its own (stratified: e.g. clean and adversarial scores for an AUROC). ``statistic(*arrays, axis=-1)``,
    vectorised along ``axis`` when ``vectorized``, else ``statistic(*arrays)``. Returns (lo, hi); (NaN, NaN) with
    fewer than two items in an array; data with no spread return (v, v) (the tables then print "no spread")."""
    from scipy.stats import bootstrap

    data = tuple(np.asarray(d, dtype=float) for d in data)
    if min(len(d) for d in data) < 2:
        return _NAN, _NAN

    def no_spread():  # the statistic of the data itself, as a point interval
        v = float(statistic(*[d[None] for d in data], axis=-1)[0] if vectorized else statistic(*data))
        return v, v

    if all(np.all(d == d[0]) for d in data):  # scipy warns and returns NaN for a degenerate sample
        return no_spread()
    res = bootstrap(data, statistic, paired=paired, vectorized=vectorized, n_resamples=n_boot,
                    confidence_level=1 - alpha, method="percentile", rng=np.random.default_rng(seed))
    lo, hi = res.confidence_interval.low, res.confidence_interval.high
    if lo != lo or hi != hi:  # every resample gave one value (scipy returns NaN): no spread
        return no_spread()
    return float(lo), float(hi)


def rate_ci(hits, alpha: float = ALPHA, seed: int = 0, n_boot: int = N_BOOT) -> dict:
    """A rate over items with its (1 - ``alpha``) interval: ``hits`` a 1-D array of 0/1 outcomes (Wilson,
    :func:`proportion_ci`), or of per-item rates in [0, 1] (e.g. an image rectified in 3 of 5 random draws: the
    mean with a bootstrap interval over items, :func:`bootstrap_ci`). Returns ``{"rate", "n", "lo", "hi",
    "method"}`` (rates in [0, 1], method "wilson" or "bootstrap"); NaN rate for n = 0. Raises ``ValueError`` for
    a value outside [0, 1]."""
    h = np.asarray(hits, dtype=float).ravel()
    n = len(h)
    if n == 0:
        return {"rate": _NAN, "n": 0, "lo": _NAN, "hi": _NAN, "method": "wilson"}
    if np.isnan(h).any() or h.min() < 0 or h.max() > 1:
        raise ValueError(f"rate_ci: values must lie in [0, 1] (got min {h.min()}, max {h.max()})")
    if np.all((h == 0) | (h == 1)):
        lo, hi = proportion_ci(int(h.sum()), n, alpha)
        method = "wilson"
    else:
        lo, hi = bootstrap_ci((h,), np.mean, alpha, seed, n_boot)
        method = "bootstrap"
    return {"rate": float(h.mean()), "n": n, "lo": lo, "hi": hi, "method": method}


def mean_ci(values, alpha: float = ALPHA, seed: int = 0, n_boot: int = N_BOOT) -> dict:
    """Mean of per-item values (any scale, e.g. an example's mean rank in [1, 3]) with a percentile-bootstrap
    interval over the items (:func:`bootstrap_ci`). Returns ``{"mean", "n", "lo", "hi"}``; NaN items are dropped
    first; NaN mean for n = 0."""
    v = np.asarray(values, dtype=float).ravel()
    v = v[~np.isnan(v)]
    if len(v) == 0:
        return {"mean": _NAN, "n": 0, "lo": _NAN, "hi": _NAN}
    lo, hi = bootstrap_ci((v,), np.mean, alpha, seed, n_boot)
    return {"mean": float(v.mean()), "n": len(v), "lo": lo, "hi": hi}


def _ratio(sums, counts, axis=-1):
    return np.sum(sums, axis=axis) / np.sum(counts, axis=axis)


def cluster_mean_ci(values, clusters, alpha: float = ALPHA, seed: int = 0, n_boot: int = N_BOOT) -> dict:
    """Mean of ``values`` (e.g. the ranks of all explanations) with a cluster-bootstrap interval that resamples
    whole ``clusters`` (e.g. images: the 20 sizes of one example are not independent), through
    :func:`bootstrap_ci` on the clusters' (sum, count) pairs. Returns ``{"mean", "n" (clusters), "n_items", "lo",
    "hi"}``; NaN values are dropped."""
    v = np.asarray(values, dtype=float)
    c = np.asarray(clusters)
    keep = ~np.isnan(v)
    v, c = v[keep], c[keep]
    ids, inv = np.unique(c, return_inverse=True)
    k = len(ids)
    if k == 0:
        return {"mean": _NAN, "n": 0, "n_items": 0, "lo": _NAN, "hi": _NAN}
    sums, counts = np.bincount(inv, weights=v, minlength=k), np.bincount(inv, minlength=k).astype(float)
    lo, hi = bootstrap_ci((sums, counts), _ratio, alpha, seed, n_boot)
    return {"mean": float(v.mean()), "n": k, "n_items": len(v), "lo": lo, "hi": hi}


# ---------------------------------------------------------------------------------------------- detectors
def auroc(s_clean, s_adv) -> float:
    """AUROC of a detector score (higher = more adversarial): P(score of an adversarial input > a clean one's), ties
    counted half (the Mann-Whitney U statistic; equals sklearn's ``roc_auc_score``). ``s_clean`` (n0,), ``s_adv``
    (n1,); NaN when either is empty. Negatives first, as in every call of the project."""
    from scipy.stats import rankdata

    s0, s1 = np.asarray(s_clean, float).ravel(), np.asarray(s_adv, float).ravel()
    n0, n1 = len(s0), len(s1)
    if n0 == 0 or n1 == 0:
        return _NAN
    r = rankdata(np.r_[s0, s1])
    return float((r[n0:].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def auroc_ci(s_clean, s_adv, alpha: float = ALPHA, seed: int = 0, n_boot: int = N_BOOT, groups=None) -> dict:
    """:func:`auroc` with a percentile-bootstrap interval (:func:`bootstrap_ci`). Without ``groups`` each sample
    is resampled on its own (stratified: the two sizes kept); with ``groups`` ((n0 + n1,) ids, clean first) whole
    groups are resampled (an image's clean and adversarial rows together). Returns ``{"auroc", "lo", "hi",
    "n_pos", "n_neg"}``."""
    s0, s1 = np.asarray(s_clean, float).ravel(), np.asarray(s_adv, float).ravel()
    out = {"auroc": auroc(s0, s1), "n_pos": len(s1), "n_neg": len(s0)}
    if not len(s0) or not len(s1):
        return {**out, "lo": _NAN, "hi": _NAN}
    if groups is None:  # stratified: each resample keeps n0 clean and n1 adversarial scores
        lo, hi = bootstrap_ci((s0, s1), auroc, alpha, seed, n_boot, paired=False, vectorized=False)
    else:  # whole groups: resample the group ids, score the rows they hold
        g = np.asarray(groups)
        s, y = np.r_[s0, s1], np.r_[np.zeros(len(s0), bool), np.ones(len(s1), bool)]
        uniq, inv = np.unique(g, return_inverse=True)
        rows = [np.flatnonzero(inv == u) for u in range(len(uniq))]

        def stat(ids):
            idx = np.concatenate([rows[int(u)] for u in ids])
            return auroc(s[idx][~y[idx]], s[idx][y[idx]])

        lo, hi = bootstrap_ci((np.arange(len(uniq)),), stat, alpha, seed, n_boot, vectorized=False)
    return {**out, "lo": float(lo), "hi": float(hi)}


def threshold_at_fpr(s_clean, fpr: float) -> float | None:
    """The detector threshold at false-positive rate ``fpr`` in (0, 1) from clean calibration scores ``s_clean``
    (higher = more adversarial; an input is rejected when its score is > the threshold): the (1 - fpr) quantile
    (numpy's "higher" method, so at most ``fpr`` of the calibration scores lie above it). None with fewer than
    :data:`MIN_CALIB` scores (a threshold from a handful of scores is noise). Raises ``ValueError`` for ``fpr``
    outside (0, 1)."""
    if not 0 < fpr < 1:
        raise ValueError(f"threshold_at_fpr: fpr {fpr} outside (0, 1)")
    s = np.asarray(s_clean, float).ravel()
    if len(s) < MIN_CALIB:
        return None
    return float(np.quantile(s, 1 - fpr, method="higher"))
