"""Rectification behind a detector (xaiadv.endtoend): detector flags combine with per-image rectifier hits."""

import numpy as np
import pandas as pd

from xaiadv.detectors.endtoend import behind_detector

FOREST = {"method": "random_forest", "features": "flat", "n_estimators": 30}


def cache(n=30, shift=3.0, seed=0):
    """A cache of n images: adversarial attributions shifted by ``shift`` (separable when large)."""
    rng = np.random.default_rng(seed)
    ids = np.repeat(np.arange(100, 100 + n), 2)
    variant = np.tile(["clean", "adversarial"], n)
    attr = rng.normal(size=(2 * n, 1, 4, 4)).astype(np.float32)
    attr[variant == "adversarial"] += shift
    frame = pd.DataFrame({"sample_id": ids, "variant": variant, "attack_success": True})
    return frame, attr


def test_separable_detector_passes_the_oracle_through():
    frame, attr = cache()
    per = {"sample_id": [100, 101, 102, 103], "adversarial": [1.0, 0.0, 1.0, 0.5], "clean": [1.0, 0.0, 1.0, 1.0]}
    r = behind_detector(frame, attr, {"r": per}, FOREST)
    assert r["n"] == 4 and r["n_train_images"] == 26 and r["tpr"]["rate"] == 1.0 and r["fpr"]["rate"] == 0.0
    v = r["rectifiers"]["r"]
    assert v["oracle_adversarial"]["rate"] == v["adversarial"]["rate"] == 0.625
    assert v["clean"]["rate"] == 1.0  # unflagged clean images keep their (correct) label


def test_flagging_everything_costs_clean_accuracy():
    frame, attr = cache()
    frame["variant"] = "adversarial"  # no clean rows to train on ...
    frame.loc[frame.index % 4 == 0, "variant"] = "clean"
    attr[:] = 0.0  # ... and nothing to separate: the forest predicts the majority (adversarial) for every row
    per = {"sample_id": [100, 102], "adversarial": [1.0, 0.0], "clean": [0.0, 1.0]}
    r = behind_detector(frame, attr, {"r": per}, FOREST)
    assert r["tpr"]["rate"] == 1.0 and r["fpr"]["rate"] == 1.0
    assert r["rectifiers"]["r"]["clean"]["rate"] == 0.5 and r["rectifiers"]["r"]["adversarial"]["rate"] == 0.5


def test_too_few_training_images_is_skipped():
    frame, attr = cache(n=5)
    r = behind_detector(frame, attr, {"r": {"sample_id": [100, 101], "adversarial": [1, 1], "clean": [1, 1]}}, FOREST)
    assert "3 training images" in r["skipped"]
