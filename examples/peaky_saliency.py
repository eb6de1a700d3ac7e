"""A toy explanation-based detector, written outside the package as a researcher would: reject an input whose
saliency map is too concentrated (its largest pixel's share of the total |gradient|).

It implements the defense interface of ``xaiadv.defenses.base.Defense`` (docs/extending.md): ``_decide`` for the
deployed detector, ``surrogate`` for the attacker (double backpropagation reaches the input), ``real_logits`` for the
gradient-free attack."""

from __future__ import annotations

import torch

from xaiadv.defenses.base import Defense
from xaiadv.leaderboard.module import with_rejection
from xaiadv.stats import threshold_at_fpr


class PeakySaliency(Defense):
    """Rejects when max |d z_c / d x| / sum |d z_c / d x| exceeds a threshold set at ``fpr`` on clean images
    (:meth:`calibrate`). ``model``: a classifier on [0, 1] images."""

    detector = True
    # the config keys this class reads (its entry's ``params``), validated before any job runs
    params_schema = {"type": "object", "additionalProperties": False,
                     "properties": {"absolute": {"type": "boolean", "description": "|gradient| (else its positive part)"}}}

    def __init__(self, model, device="cpu", *, name: str = "peaky_saliency", absolute: bool = True):
        super().__init__(model, device)
        self.name, self.threshold, self.absolute = name, None, absolute

    def _peak(self, x: torch.Tensor, create_graph: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """(logits (N, K), peak share (N,) in (0, 1])."""
        with torch.enable_grad():
            xx = x if x.requires_grad else x.detach().requires_grad_(True)
            logits = self.model(xx)
            (g,) = torch.autograd.grad(logits.max(1).values.sum(), xx, create_graph=create_graph)
        a = (g.abs() if self.absolute else g.clamp(min=0)).flatten(1)
        return logits, a.max(1).values / (a.sum(1) + 1e-12)

    def calibrate(self, x_clean: torch.Tensor, fpr: float = 0.05) -> PeakySaliency:
        """Fix the threshold at ``fpr`` on clean images ``x_clean`` (N, C, H, W), before any attack."""
        _, peak = self._peak(x_clean, create_graph=False)
        self.threshold = threshold_at_fpr(peak.detach().numpy(), fpr)
        if self.threshold is None:
            raise ValueError("PeakySaliency.calibrate: too few clean images for a threshold")
        return self

    def _decide(self, x, seed):
        logits, peak = self._peak(x, create_graph=False)
        return logits.argmax(1).detach(), (peak > self.threshold).detach()

    def score(self, x, batch_size=64):
        return torch.cat([self._peak(x[i:i + batch_size], False)[1].detach() for i in range(0, len(x), batch_size)])

    def real_logits(self, x, seed=0):
        logits, peak = self._peak(x, create_graph=False)
        return with_rejection(logits.detach(), (peak - self.threshold).detach())

    def surrogate(self, x, draw=0):
        logits, peak = self._peak(x, create_graph=True)
        return logits, peak - self.threshold
