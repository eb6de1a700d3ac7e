import numpy as np
import pandas as pd
import pytest
import torch

from xaiadv.attacks import run_attack
from xaiadv.detectors import build, features
from xaiadv.detectors.evaluate import run_detection, split_images
from xaiadv.explainers import explain


@pytest.fixture(scope="module")
def saliency_cache(mnist_model, mnist_small):
    """Clean and FGSM saliency of 120 real digits, in the explanation cache's frame layout."""
    _, _, x, y = mnist_small
    x, y = x[:120], y[:120]
    r = run_attack(mnist_model, x, y, {"method": "fgsm", "norm": "Linf", "eps": 0.3}, batch_size=60)
    xs = torch.cat([x, r.x_adv])
    target = torch.cat([r.pred_clean, r.pred_adv])
    attr = explain(mnist_model, xs, target, {"method": "saliency"}).numpy()
    n = len(y)
    frame = pd.DataFrame({"sample_id": np.concatenate([np.arange(n)] * 2), "variant": ["clean"] * n + ["adversarial"] * n,
                          "attack_success": np.concatenate([r.success.numpy()] * 2)})
    return frame, attr


def test_detectors_find_fgsm_in_saliency(saliency_cache):
    frame, attr = saliency_cache
    dets = {"lr": {"method": "logistic_regression", "features": "flat"},
            "rf": {"method": "random_forest", "features": "sorted", "n_estimators": 50}}
    res = run_detection(frame, attr, dets, seed=0)
    assert res["n_images"] >= 60 and res["n_test"] >= 10
    for name, r in res["detectors"].items():
        assert r["accuracy"] > 0.7, (name, r["accuracy"])
        assert r["auroc"] > 0.75 and r["ci95"]["auroc"][0] <= r["auroc"] <= r["ci95"]["auroc"][1]
        assert 0 <= r["tpr"] <= 1 and r["fpr_test"] <= 0.5
        test_ids = set(r["test_sample_id"])
        assert len(r["test_label"]) == 2 * len(test_ids)  # both versions of every test image


def test_split_never_straddles_an_image():
    ids = np.repeat(np.arange(50), 2)
    tr, ca, te = split_images(ids, 0.2, 0.2, seed=0)
    assert not (tr & te or tr & ca or ca & te) and len(tr | ca | te) == 50 and len(te) == 10


def test_too_few_images_is_skipped_not_crashed(saliency_cache):
    frame, attr = saliency_cache
    small = frame[frame.sample_id < 3]
    res = run_detection(small.reset_index(drop=True), attr[small.index], {"lr": {"method": "logistic_regression"}})
    assert "skipped" in res["detectors"]["lr"]


def test_features_and_unknown_names():
    a = np.array([[[[3.0, 1.0], [2.0, 0.0]]]], np.float32)
    assert features(a, "flat").tolist() == [[3.0, 1.0, 2.0, 0.0]]
    assert features(a, "sorted").tolist() == [[0.0, 1.0, 2.0, 3.0]]
    with pytest.raises(ValueError, match="unknown feature mode"):
        features(a, "fft")
    with pytest.raises(ValueError, match="unknown detector 'svm'"):
        build({"method": "svm"})


def test_auroc_matches_sklearn():
    from sklearn.metrics import roc_auc_score

    from xaiadv.stats import auroc

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    s = np.round(rng.random(200) + 0.3 * y, 1)  # with ties
    assert auroc(s[y == 0], s[y == 1]) == pytest.approx(roc_auc_score(y, s))


def test_no_tpr_from_a_handful_of_calibration_scores_and_no_collapsed_interval(saliency_cache):
    """Issue 20: a threshold at 5% FPR from fewer than 20 clean calibration scores is not reported ("—" in the
    table, with the count); a 100% accuracy does not print [100, 100] but the exact interval over the test rows."""
    from xaiadv.stats import MIN_CALIB

    frame, attr = saliency_cache
    ids = np.sort(frame.sample_id.unique())[:50]
    small = frame[frame.sample_id.isin(ids)]
    res = run_detection(small.reset_index(drop=True), attr[small.index],
                        {"lr": {"method": "logistic_regression", "features": "flat"}}, seed=0)
    r = res["detectors"]["lr"]
    assert r["n_calib_clean"] < MIN_CALIB and r["tpr"] is None and r["threshold"] is None
    assert r["ci95"]["tpr"] is None and f"(< {MIN_CALIB})" in r["tpr_note"]
    if r["accuracy"] == 1.0:
        assert r["ci95"]["accuracy"][0] < 1.0
    if r["accuracy"] == 0.0:
        assert r["ci95"]["accuracy"][1] > 0.0


def test_a_detector_that_gives_every_row_one_class_is_marked(saliency_cache):
    """A constant classifier scores exactly 50% on paired rows and its bootstrap interval is a point: the result
    says so instead of printing 50.0 [50.0, 50.0]."""
    frame, attr = saliency_cache
    res = run_detection(frame, np.zeros_like(attr), {"lr": {"method": "logistic_regression", "features": "flat"}})
    r = res["detectors"]["lr"]
    assert r["one_class"] is True and r["accuracy"] == pytest.approx(0.5)
    assert run_detection(frame, attr, {"lr": {"method": "logistic_regression"}})["detectors"]["lr"]["one_class"] is False
