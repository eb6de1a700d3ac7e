"""Train and score detectors with an image-level split; detection accuracy, AUROC, TPR at fixed FPR."""

from __future__ import annotations

import numpy as np

from .. import stats
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


def _intervals(groups, y, s, pred, thr, seed=0) -> dict:
    """95% intervals (:mod:`xaiadv.stats`): accuracy over the test rows and TPR over the adversarial rows are
    proportions (Wilson); AUROC a bootstrap resampling test images (both rows of each). TPR's is None without a
    threshold (``thr`` None)."""
    acc = stats.proportion_ci(int(np.sum(pred == y)), len(y))
    a = stats.auroc_ci(s[y == 0], s[y == 1], seed=seed, groups=np.r_[groups[y == 0], groups[y == 1]])
    tpr = stats.proportion_ci(int(np.sum(s[y == 1] > thr)), int(np.sum(y == 1))) if thr is not None else None
    return {"accuracy": list(acc), "auroc": [a["lo"], a["hi"]], "tpr": list(tpr) if tpr is not None else None}


def run_detection(frame, attribution: np.ndarray, detectors: dict, seed: int = 0, test_size: float = 0.2,
                  calib_size: float = 0.2, fpr: float = 0.05, min_images: int = 5) -> dict:
    """Fit every detector in ``detectors`` ({name: spec with ``method``, ``features``}) on the explanation
    cache of one (dataset, model, attack, explainer) and score it.

    Uses the images whose attack succeeded (clean = 0, adversarial = 1). The TPR
    threshold is the (1 - fpr) quantile of detector scores on the *clean* images
    of a held-out calibration split; accuracy, AUROC and TPR are measured on the
    test split, with 95% intervals (:func:`_intervals`). Returns a JSON-ready dict;
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
        thr = stats.threshold_at_fpr(s_ca, fpr)
        y_te = y[m_te]
        acc = float(np.mean(pred == y_te))
        tpr = float(np.mean(s_te[y_te == 1] > thr)) if thr is not None else None
        ci = _intervals(groups[m_te], y_te, s_te, pred, thr, seed=seed)
        res = {
            "method": spec["method"], "features": spec.get("features", "flat"),
            "accuracy": acc, "auroc": stats.auroc(s_te[y_te == 0], s_te[y_te == 1]),
            "threshold": thr, "tpr": tpr, "fpr_test": float(np.mean(s_te[y_te == 0] > thr)) if thr is not None else None,
            "n_calib_clean": int(len(s_ca)),
            # every test row given one class: accuracy is the class share (50% on paired rows), its interval a point
            "one_class": bool(len(pred) and pred.min() == pred.max()),
            "tpr_note": None if thr is not None else (f"{len(s_ca)} clean calibration scores (< {stats.MIN_CALIB}): no "
                                                      f"threshold at {100 * fpr:g}% FPR"),
            "n_test_rows": int(m_te.sum()),
            "ci95": ci,
            "test_sample_id": groups[m_te].tolist(), "test_label": y_te.tolist(), "test_score": s_te.round(6).tolist(),
        }
        out["detectors"][name] = res
    return out
