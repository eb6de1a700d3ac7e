"""The detector -> rectifier pipeline as deployed (``endtoend``): a detector flags, the rectifier corrects what it
flags, everything gets a label (nothing is rejected in the end).

The attacker's surrogate (attack card: docs/attacks/pipeline.md): per example, whichever of two attacks succeeds
on the real pipeline — evade the detector (the detector's combined loss, its score pushed below 0) or survive
the rectifier (the rectifier's BPDA + EOT surrogate); :meth:`surrogate` returns the detector branch's, and
:attr:`branches` both, for :func:`xaiadv.leaderboard.pgd.adaptive_pgd` to run each and keep the better per example."""

from __future__ import annotations

import torch

from .base import Defense


class Pipeline(Defense):
    """``detector``: a fitted detector defense; ``rectifier``: a rectifier defense (same ``model``)."""

    def __init__(self, model, device="cpu", *, detector, rectifier, name: str | None = None, **_):
        super().__init__(model, device)
        self.det, self.rect = detector, rectifier
        self.name = name or f"{detector.name}->{rectifier.name}"
        self.random = detector.random or rectifier.random
        self.branches = (detector, rectifier)

    def _decide(self, x, seed):
        label, flagged = self.det._decide(x, seed)
        if flagged.any():
            rl, _ = self.rect._decide(x[flagged], seed)
            label = label.clone()
            label[flagged] = rl
        return label, torch.zeros(len(x), dtype=torch.bool, device=x.device)

    def real_logits(self, x, seed=0):
        """The rectifier's logits where the detector rejects, the classifier's elsewhere (K columns)."""
        z = self.det.real_logits(x, seed)
        k = z.shape[1] - 1
        flagged = z.argmax(1) == k
        out = z[:, :k].clone()
        if flagged.any():
            out[flagged] = self.rect.real_logits(x[flagged], seed).to(out)
        return out

    def surrogate_info(self):
        return self.det.surrogate_info()

    def surrogate(self, x, draw=0):
        return self.det.surrogate(x, draw)
