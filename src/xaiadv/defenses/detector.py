"""Saito & Wang's (2020) detector as deployed: a scikit-learn classifier on one explainer's attribution of the
predicted class, its threshold set at a fixed FPR on clean calibration images before any attack runs.

The attacker's surrogate (attack card: docs/attacks/saito.md), Carlini & Wagner's (2017) combined model: the
classifier's logits and the detector's logit minus its threshold, both differentiable in x:

- the features by double backpropagation through the explainer (:mod:`xaiadv.defenses.surrogates`: every
  explainer of :data:`xaiadv.defenses.SURROGATE_EXPLAINERS`, others refused with a ``ValueError``), on a copy of
  the classifier whose ReLUs are softplus (beta :data:`SOFTPLUS_BETA`; Dombrowski et al. 2019): a ReLU network's
  input gradient is piecewise constant, so its own second derivative is zero and would mask the gradient;
- a random forest (piecewise constant: no gradient) smoothed, the deployed forest itself with every split
  1[f <= t] replaced by a sigmoid (:class:`xaiadv.defenses.soft_forest.SoftForest`; its temperature the smoothest
  whose decisions agree with the forest's on 95% of the fit rows): score logit(p) minus the threshold's logit. The
  real forest still judges every example. ``surrogate="logreg"`` keeps the earlier stand-in, a logistic
  regression fitted on the same rows and labels with its own threshold at the same FPR (measured on the
  leaderboard: it does not carry over to the forest);
- a random explainer (expected gradients: background images and interpolation points) averaged by EOT, a new
  draw of :data:`EG_SURROGATE_SAMPLES` samples per image each time.
"""

from __future__ import annotations

import numpy as np
import torch

from ..detectors.features import features
from ..detectors.models import build as build_detector
from ..stats import threshold_at_fpr
from ..explainers import explain
from ..runtime import PASS_IMAGES
from .base import Defense, with_rejection
from .surrogates import (EG_SURROGATE_SAMPLES, SOFTPLUS_BETA, differentiable_attribution, eg_surrogate_samples,
                         smooth_copy)

__all__ = ["EG_SURROGATE_SAMPLES", "SOFTPLUS_BETA", "SaitoDetector", "differentiable_attribution",
           "eg_surrogate_samples", "smooth_copy"]


class SaitoDetector(Defense):
    """``explainer``: an ``explainers`` config entry; ``detector``: a ``detectors`` entry (method, features,
    parameters); ``fpr``: the calibration FPR. Fit with :meth:`fit` (clean and adversarial training images and a
    clean calibration set) before :meth:`decide`."""

    detector = True

    def __init__(self, model, device="cpu", *, explainer: dict, detector: dict, fpr: float = 0.05, name: str | None = None,
                 context: dict | None = None, seed: int = 0, surrogate: str = "smooth", **_):
        super().__init__(model, device)
        if surrogate not in ("smooth", "logreg"):
            raise ValueError(f"Saito detector surrogate {surrogate!r}; allowed: smooth, logreg")
        self.espec, self.dspec, self.fpr, self.seed, self.surrogate_kind = explainer, dict(detector), fpr, seed, surrogate
        self.feat = self.dspec.pop("features", "flat")
        self.context = context or {}
        self.name = name or f"saito_{explainer['method']}_{detector['method']}"
        self.random = explainer["method"] in ("expected_gradients", "lime")
        if explainer["method"] == "expected_gradients":  # the surrogate batches its samples with the images
            self.surrogate_samples = eg_surrogate_samples(explainer)
        self._smooth = None
        self.soft = None  # the smoothed forest (fit), the attacker's score where the detector is a forest

    # ------------------------------------------------------------------ real detector
    def _features(self, x: torch.Tensor, seed: int = 0) -> np.ndarray:
        with torch.no_grad():
            label = self.model(x).argmax(1)
        a = explain(self.model, x, label, self.espec, batch_size=len(x), device=self.device, progress=False,
                    seed=seed, **self.context)
        return features(a.numpy(), self.feat)

    def features_of(self, x: torch.Tensor, batch_size: int = PASS_IMAGES) -> np.ndarray:
        """Feature rows (N, D) of ``x`` (N, C, H, W) in [0, 1]."""
        return np.concatenate([self._features(x[i:i + batch_size].to(self.device), i) for i in range(0, len(x), batch_size)])

    @staticmethod
    def _threshold(scores, fpr: float) -> float:
        t = threshold_at_fpr(scores, fpr)
        if t is None:
            raise ValueError(f"SaitoDetector.fit: {len(scores)} clean calibration images; a threshold at FPR {fpr} "
                             "needs at least xaiadv.stats.MIN_CALIB (leaderboard.n_calib)")
        return t

    def fit(self, x_clean: torch.Tensor, x_adv: torch.Tensor, x_calib: torch.Tensor) -> SaitoDetector:
        """Train on clean vs adversarial rows (same images; the adversarial ones from an attack on the undefended
        model, the papers' setting) and set the threshold: the (1 - fpr) quantile of the clean calibration
        images' scores. The surrogate logistic regression (for a forest) is fitted and calibrated alike."""
        fc, fa, fcal = self.features_of(x_clean), self.features_of(x_adv), self.features_of(x_calib)
        X, Y = np.concatenate([fc, fa]), np.r_[np.zeros(len(fc)), np.ones(len(fa))]
        self.clf = build_detector(self.dspec, self.seed).fit(X, Y)
        self.threshold = self._threshold(self.clf.predict_proba(fcal)[:, 1], self.fpr)
        if self.dspec["method"] == "logistic_regression":
            self.lr = self.clf
            self.lr_threshold = self.threshold
        else:
            self.lr = build_detector({"method": "logistic_regression", "C": 1.0, "max_iter": 1000}, self.seed).fit(X, Y)
            self.lr_threshold = self._threshold(self.lr.predict_proba(fcal)[:, 1], self.fpr)
        self.soft = None
        if self.dspec["method"] == "random_forest" and self.surrogate_kind == "smooth":
            from .soft_forest import SoftForest

            self.soft = SoftForest(self.clf).calibrate(X, self.clf)
            t = min(max(self.threshold, 1e-6), 1 - 1e-6)
            self._soft_b = float(np.log(t / (1 - t)))
        scaler, lr = self.lr.named_steps["standardscaler"], self.lr.named_steps["logisticregression"]
        w = lr.coef_[0] / scaler.scale_
        b = lr.intercept_[0] - float((scaler.mean_ / scaler.scale_) @ lr.coef_[0])
        t = min(max(self.lr_threshold, 1e-6), 1 - 1e-6)
        self._w = torch.tensor(w, dtype=torch.float32, device=self.device)
        self._b = float(b - np.log(t / (1 - t)))  # logit minus the threshold's logit: > 0 = rejected
        self.n_calib = len(fcal)
        return self

    @property
    def smoothed_score(self) -> bool:
        return self.soft is not None

    def score(self, x, batch_size=PASS_IMAGES):
        return torch.from_numpy(self.clf.predict_proba(self.features_of(x, batch_size))[:, 1]).float()

    def _decide(self, x, seed):
        with torch.no_grad():
            label = self.model(x).argmax(1)
        s = self.clf.predict_proba(self._features(x, seed))[:, 1]
        return label, torch.from_numpy(s > self.threshold).to(x.device)

    def real_logits(self, x, seed=0):
        with torch.no_grad():
            logits = self.model(x)
        with torch.enable_grad():  # a gradient explainer inside, even when called under no_grad; nothing is kept
            f = self._features(x, seed)
        s = self.clf.predict_proba(f)[:, 1] - self.threshold
        return with_rejection(logits, torch.from_numpy(s).to(logits))

    # ------------------------------------------------------------------ attacker's surrogate
    def surrogate_info(self):
        if self.soft is not None:
            return {"detector": "smoothed forest", "tau": self.soft.tau, "agreement_on_fit_rows": self.soft.agreement}
        return {"detector": "logistic regression" + ("" if self.clf is self.lr else " stand-in (fitted on the same rows)")}

    def surrogate(self, x, draw=0):
        if self._smooth is None:
            self._smooth = smooth_copy(self.model)
        logits = self.model(x)
        target = logits.argmax(1).detach()
        a = differentiable_attribution(self._smooth, x, target, self.espec, self.context, seed=1_000_003 * (draw + 1))
        f = a.flatten(1)
        if self.feat == "sorted":
            f = f.sort(dim=1).values
        if self.soft is not None:
            return logits, self.soft.log_odds(f) - self._soft_b
        return logits, f @ self._w + self._b
