"""Nguyen et al.'s (2018) detector as deployed: f1(x) disagrees with f2(g(x)).

The paper's decision is the argmax mismatch f1(x) != argmax f2(g(x)). On the leaderboard every detector is compared
at one false-positive rate (``leaderboard.fpr``): with calibration images (:meth:`LANDefense.calibrate`) the LAN
rejects when its score, 1 - f2's probability of f1's class (:func:`xaiadv.detectors.lan.scores`), is above the
threshold set at that FPR on clean calibration images before any attack; uncalibrated it keeps the paper's argmax
rule.

The attacker's surrogate (attack card: docs/attacks/lan.md): everything is differentiable (f1, the LAN g and the
mask classifier f2), so no BPDA is needed; the detector's score is the real one minus the threshold (calibrated),
or f2's margin against f1's class, max_j!=c f2_j(g(x)) - f2_c(g(x)), under the argmax rule: > 0 means rejected in
both, the real detector's decision."""

from __future__ import annotations

import torch

from ..runtime import PASS_IMAGES
from ..stats import threshold_at_fpr
from .base import Defense, with_rejection


class LANDefense(Defense):
    """``g``: the trained LAN (``xaiadv.explainers.lan``), ``f2``: the mask classifier; ``model`` is f1."""

    detector = True

    def __init__(self, model, device="cpu", *, g, f2, name: str = "lan", **_):
        super().__init__(model, device)
        self.g, self.f2, self.name = g.eval(), f2.eval(), name
        self.threshold = None  # None: the paper's argmax rule

    def calibrate(self, x_calib: torch.Tensor, fpr: float) -> LANDefense:
        """Set the threshold at ``fpr`` on clean calibration images ``x_calib`` (N, C, H, W) in [0, 1]
        (:func:`xaiadv.stats.threshold_at_fpr`). Raises ``ValueError`` with fewer than ``stats.MIN_CALIB``."""
        t = threshold_at_fpr(self.score(x_calib).numpy(), fpr)
        if t is None:
            raise ValueError(f"LANDefense.calibrate: {len(x_calib)} calibration images; at least "
                             "xaiadv.stats.MIN_CALIB needed (leaderboard.n_calib)")
        self.threshold, self.n_calib, self.fpr = t, len(x_calib), fpr
        return self

    def _score(self, x, logits):
        c = logits.argmax(1).detach()
        z2 = self.f2(self.g.importance(x))
        if self.threshold is not None:
            return 1 - torch.softmax(z2, 1).gather(1, c[:, None])[:, 0] - self.threshold
        own = z2.gather(1, c[:, None])[:, 0]
        other = z2.masked_fill(torch.nn.functional.one_hot(c, z2.shape[1]).bool(), float("-inf")).max(1).values
        return other - own

    @torch.no_grad()
    def _decide(self, x, seed):
        logits = self.model(x)
        return logits.argmax(1), self._score(x, logits) > 0

    def score(self, x, batch_size=PASS_IMAGES):
        out = []
        with torch.no_grad():
            for i in range(0, len(x), batch_size):
                xb = x[i:i + batch_size].to(self.device)
                c = self.model(xb).argmax(1)
                p = torch.softmax(self.f2(self.g.importance(xb)), 1)
                out.append((1 - p.gather(1, c[:, None])[:, 0]).cpu())
        return torch.cat(out) if out else torch.zeros(0)

    def surrogate_info(self):
        if self.threshold is None:
            return {"decision": "argmax rule (the paper's)"}
        return {"decision": f"score > {self.threshold:.4f} (FPR {self.fpr:g} on {self.n_calib} clean images)"}

    def real_logits(self, x, seed=0):
        with torch.no_grad():
            logits = self.model(x)
            return with_rejection(logits, self._score(x, logits))

    def surrogate(self, x, draw=0):
        logits = self.model(x)
        return logits, self._score(x, logits)
