"""Train and score detectors with an image-level split; detection accuracy, AUROC, TPR at fixed FPR."""

from __future__ import annotations

import numpy as np

from ..stats import MIN_CALIB
from .features import features
from .models import build


def split_images(ids: np.ndarray, test_size: float, calib_size: float, seed: int):
    """Seeded split of image ids into (train, calibration, test) sets, so an image's clean and
    adversarial versions always land on the same side."""
    rng = np.random.default_rng(seed)
    ids = rng.permutation(np.unique(ids))
    n_test = max(1, int(round(test_size * len(ids))))
    n_cal = max(1, int(round(calib_size * len(ids))))
    return set(ids[n_test + n_cal:]), set(ids[n_test:n_test + n_cal]), set(ids[:n_test])


def _auroc(y, s):
    """AUROC as the Mann-Whitney U statistic (average ranks for ties); equals sklearn's
    roc_auc_score, without its per-call overhead inside the bootstrap loop."""
    from scipy.stats import rankdata

    y = np.asarray(y)
    n1 = int(y.sum())
    n0 = len(y) - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    r = rankdata(s)
    return float((r[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))




def _exact_edge(rate: float, n: int, interval: list[float], alpha: float = 0.05) -> list[float]:
    """``interval``, or where ``rate`` is 0 or 1 (the bootstrap collapses to a point) the exact Clopper-Pearson
    interval over ``n`` items: [(alpha / 2)^(1/n), 1] or [0, 1 - (alpha / 2)^(1/n)]."""
    if n <= 0 or rate != rate or 0.0 < rate < 1.0:
        return interval
    edge = (alpha / 2) ** (1 / n)
    return [float(edge), 1.0] if rate == 1.0 else [0.0, float(1.0 - edge)]


def _bootstrap(groups, y, s, pred, thr, n_boot=1000, seed=0):
    """Percentile 95% intervals of accuracy, AUROC and TPR, resampling test images (both rows of each); TPR's is
    None without a threshold (``thr`` None)."""
    rng = np.random.default_rng(seed)
    uniq = np.unique(groups)
    rows = {g: np.flatnonzero(groups == g) for g in uniq}
    acc, auc, tpr = [], [], []
    for _ in range(n_boot):
        idx = np.concatenate([rows[g] for g in rng.choice(uniq, len(uniq))])
        acc.append(np.mean(pred[idx] == y[idx]))
        auc.append(_auroc(y[idx], s[idx]))
        adv = idx[y[idx] == 1]
        tpr.append(np.mean(s[adv] > thr) if len(adv) and thr is not None else np.nan)
    q = lambda v: [float(np.nanquantile(v, 0.025)), float(np.nanquantile(v, 0.975))]  # noqa: E731
    return {"accuracy": q(acc), "auroc": q(auc), "tpr": q(tpr) if thr is not None else None}


def run_detection(frame, attribution: np.ndarray, detectors: dict, seed: int = 0, test_size: float = 0.2,
                  calib_size: float = 0.2, fpr: float = 0.05, min_images: int = 5) -> dict:
    """Fit every detector in ``detectors`` ({name: spec with ``method``, ``features``}) on the explanation
    cache of one (dataset, model, attack, explainer) and score it.

    Uses the images whose attack succeeded (clean = 0, adversarial = 1). The TPR
    threshold is the (1 - fpr) quantile of detector scores on the *clean* images
    of a held-out calibration split; accuracy, AUROC and TPR are measured on the
    test split, with image-level bootstrap intervals. Returns a JSON-ready dict;
    with fewer than ``min_images`` usable images, ``{"skipped": reason}`` per detector.
    """
    ok = frame.attack_success.to_numpy()
    groups = frame.sample_id.to_numpy()[ok]
    y = (frame.variant.to_numpy()[ok] == "adversarial").astype(int)
    attribution = attribution[ok]
    n_images = len(np.unique(groups))
    out = {"n_images": int(n_images), "detectors": {}}
    if n_images < min_images:
        for name in detectors:
            out["detectors"][name] = {"skipped": f"{n_images} successfully attacked images (< {min_images})"}
        return out
    train, calib, test = split_images(groups, test_size, calib_size, seed)
    m_tr = np.isin(groups, list(train))
    m_ca = np.isin(groups, list(calib)) & (y == 0)
    m_te = np.isin(groups, list(test))
    out.update(n_train=len(train), n_calib=len(calib), n_test=len(test))
    feats = {}  # feature matrices by mode, shared by the detectors that use the same one
    for name, spec in detectors.items():
        mode = spec.get("features", "flat")
        if mode not in feats:
            feats[mode] = features(attribution, mode)
        X = feats[mode]
        clf = build(spec, seed).fit(X[m_tr], y[m_tr])
        s_ca = clf.predict_proba(X[m_ca])[:, 1]
        s_te = clf.predict_proba(X[m_te])[:, 1]
        pred = (s_te >= 0.5).astype(int)
        # a threshold at a fixed FPR from a handful of clean scores is noise: none below MIN_CALIB
        thr = float(np.quantile(s_ca, 1 - fpr)) if len(s_ca) >= MIN_CALIB else None
        y_te = y[m_te]
        acc = float(np.mean(pred == y_te))
        tpr = float(np.mean(s_te[y_te == 1] > thr)) if thr is not None else None
        ci = _bootstrap(groups[m_te], y_te, s_te, pred, thr, seed=seed)
        ci["accuracy"] = _exact_edge(acc, int(m_te.sum()), ci["accuracy"])
        if tpr is not None:
            ci["tpr"] = _exact_edge(tpr, int((y_te == 1).sum()), ci["tpr"])
        res = {
            "method": spec["method"], "features": spec.get("features", "flat"),
            "accuracy": acc, "auroc": _auroc(y_te, s_te),
            "threshold": thr, "tpr": tpr, "fpr_test": float(np.mean(s_te[y_te == 0] > thr)) if thr is not None else None,
            "n_calib_clean": int(len(s_ca)),
            # every test row given one class: accuracy is the class share (50% on paired rows), its interval a point
            "one_class": bool(len(pred) and pred.min() == pred.max()),
            "tpr_note": None if thr is not None else (f"{len(s_ca)} clean calibration scores (< {MIN_CALIB}): no "
                                                      f"threshold at {100 * fpr:g}% FPR"),
            "n_test_rows": int(m_te.sum()),
            "ci95": ci,
            "test_sample_id": groups[m_te].tolist(), "test_label": y_te.tolist(), "test_score": s_te.round(6).tolist(),
        }
        out["detectors"][name] = res
    return out
