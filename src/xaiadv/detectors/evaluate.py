"""Train and score detectors with an image-level split; detection accuracy, AUROC, TPR at fixed FPR."""

from __future__ import annotations

import numpy as np

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


def _bootstrap(groups, y, s, pred, thr, n_boot=1000, seed=0):
    """Percentile 95% intervals of accuracy, AUROC and TPR, resampling test images (both rows of each)."""
    rng = np.random.default_rng(seed)
    uniq = np.unique(groups)
    rows = {g: np.flatnonzero(groups == g) for g in uniq}
    acc, auc, tpr = [], [], []
    for _ in range(n_boot):
        idx = np.concatenate([rows[g] for g in rng.choice(uniq, len(uniq))])
        acc.append(np.mean(pred[idx] == y[idx]))
        auc.append(_auroc(y[idx], s[idx]))
        adv = idx[y[idx] == 1]
        tpr.append(np.mean(s[adv] > thr) if len(adv) else np.nan)
    q = lambda v: [float(np.nanquantile(v, 0.025)), float(np.nanquantile(v, 0.975))]  # noqa: E731
    return {"accuracy": q(acc), "auroc": q(auc), "tpr": q(tpr)}


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
        thr = float(np.quantile(s_ca, 1 - fpr))
        y_te = y[m_te]
        res = {
            "method": spec["method"], "features": spec.get("features", "flat"),
            "accuracy": float(np.mean(pred == y_te)), "auroc": _auroc(y_te, s_te),
            "threshold": thr, "tpr": float(np.mean(s_te[y_te == 1] > thr)), "fpr_test": float(np.mean(s_te[y_te == 0] > thr)),
            "n_test_rows": int(m_te.sum()),
            "ci95": _bootstrap(groups[m_te], y_te, s_te, pred, thr, seed=seed),
            "test_sample_id": groups[m_te].tolist(), "test_label": y_te.tolist(), "test_score": s_te.round(6).tolist(),
        }
        out["detectors"][name] = res
    return out
