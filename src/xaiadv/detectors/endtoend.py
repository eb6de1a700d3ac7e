"""Beyond Kao et al. (2021): rectification behind a real detector instead of an oracle.

Kao et al. rectify inputs already known to be adversarial. Here Saito & Wang's detector (a classifier
on explanation features, xaiadv.detectors) decides which inputs get rectified: a flagged input is
replaced by its rectified version, an unflagged one is classified as it is. On the rectify job's images
(each with its clean and its adversarial version):

- adversarial end-to-end accuracy = mean over images of [flagged] x [rectified label == true label]
  (unflagged adversarial examples stay wrong: they were successful);
- clean end-to-end accuracy = mean over images of [flagged] x [rectified clean label == true label]
  + [not flagged] (the clean images were classified correctly: only those are attacked).

The detector is fitted on the same attack's other images (every successfully attacked image in the
explanation cache that is not among the rectified ones), so it never sees the images it flags.
"""

from __future__ import annotations

import numpy as np


def behind_detector(frame, attribution: np.ndarray, rectified: dict[str, dict], detector: dict, *, seed: int = 0,
                    min_images: int = 5) -> dict:
    """End-to-end accuracies of every rectifier behind ``detector``.

    ``frame``, ``attribution`` (rows, C, H, W): an explanation cache (xaiadv.cache.read_explanations) of
    one (dataset, model, attack, explainer); ``rectified``: {rectifier: the rectify JSON's ``per_image``
    ({"sample_id", "adversarial", "clean"} lists: per-image hit in [0, 1])}; ``detector``: a detectors
    spec ({"method", "features", ...}). Returns a JSON-ready dict: n (images evaluated), n_train_images,
    tpr / fpr ({rate, n, lo, hi}: flagged fraction of the adversarial / clean versions at score >= 0.5),
    and per rectifier {oracle_adversarial, adversarial, clean} as {rate, n, lo, hi}; or {"skipped": reason}
    when fewer than ``min_images`` training images or explained rectified images remain."""
    from .features import features
    from .models import build
    from ..stats import rate_ci

    ok = frame.attack_success.to_numpy()
    ids = frame.sample_id.to_numpy()
    adv = frame.variant.to_numpy() == "adversarial"
    first = next(iter(rectified.values()), {"sample_id": []})
    rect_ids = np.asarray(first["sample_id"], dtype=np.int64)
    train = ok & ~np.isin(ids, rect_ids)
    n_train = len(np.unique(ids[train]))
    explained = [i for i in rect_ids if (ok & (ids == i) & adv).any() and (ok & (ids == i) & ~adv).any()]
    if n_train < min_images or len(explained) < 1:
        return {"skipped": f"{n_train} training images, {len(explained)} explained rectified images "
                           f"(need >= {min_images} and >= 1)", "n_train_images": int(n_train), "n": len(explained)}
    X = features(attribution, detector.get("features", "flat"))
    clf = build(detector, seed).fit(X[train], adv[train].astype(int))

    def flags(is_adv):
        rows = [np.flatnonzero(ok & (ids == i) & (adv == is_adv))[0] for i in explained]
        return clf.predict_proba(X[rows])[:, 1] >= 0.5

    f_adv, f_clean = flags(True), flags(False)
    out = {"n": len(explained), "n_train_images": int(n_train), "sample_id": [int(i) for i in explained],
           "tpr": rate_ci(f_adv, seed=seed), "fpr": rate_ci(f_clean, seed=seed), "rectifiers": {}}
    for name, per in rectified.items():
        pos = {int(i): k for k, i in enumerate(per["sample_id"])}
        k = [pos[int(i)] for i in explained]
        h_adv = np.asarray(per["adversarial"], dtype=float)[k]
        h_clean = np.asarray(per["clean"], dtype=float)[k]
        out["rectifiers"][name] = {
            "oracle_adversarial": rate_ci(h_adv, seed=seed),
            "adversarial": rate_ci(f_adv * h_adv, seed=seed),
            "clean": rate_ci(np.where(f_clean, h_clean, 1.0), seed=seed),
        }
    return out
