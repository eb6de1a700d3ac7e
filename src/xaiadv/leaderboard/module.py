"""A defense as a ``torch.nn.Module`` returning logits, so that any attack runs against any defense.

A detector's decision is folded into one more logit, Carlini & Wagner's (2017) K+1-class model: with the classifier's
logits z (N, K) and the detector's score s (N,; > 0 = rejected, its threshold already subtracted),

    z_rej = max_j z_j + s,

so the argmax over the K+1 logits is "rejected" exactly when the detector rejects, and otherwise the classifier's
class. An attacker wants neither the true class y nor "rejected": :func:`fold_rejection` merges the two into one
"defended" logit log(e^{z_y} + e^{z_rej}) (the softmax probability of being defended is p_y + p_rej), which turns
any untargeted or targeted K-class attack (cross-entropy, DLR, margin) into an attack on the whole defense.

- :class:`SurrogateModule`: the attacker's differentiable surrogate (:meth:`xaiadv.defenses.base.Defense.surrogate`:
  exact gradients where a step is differentiable, BPDA where it is not), a new EOT draw per forward call;
- :class:`RealModule`: the real, deployed defense's logits (:meth:`~xaiadv.defenses.base.Defense.real_logits`), no
  gradient: what a gradient-free attack (Square) queries.
"""

from __future__ import annotations

import torch
from torch import nn

from ..defenses.base import with_rejection

__all__ = ["RealModule", "SurrogateModule", "fold_rejection", "with_rejection"]


def fold_rejection(logits: torch.Tensor, y: torch.Tensor, num_classes: int) -> torch.Tensor:
    """(N, K + 1) logits of a detector (:func:`with_rejection`) and true labels ``y`` (N,) -> (N, K) logits where
    the true class's logit is log(e^{z_y} + e^{z_rej}): argmax != y exactly when the input is accepted and
    misclassified. (N, K) logits (``num_classes`` columns: nothing to fold) are returned as they are."""
    if logits.shape[1] == num_classes:
        return logits
    if logits.shape[1] != num_classes + 1:
        raise ValueError(f"fold_rejection: {logits.shape[1]} logits for {num_classes} classes (K or K + 1 expected)")
    z = logits[:, :num_classes]
    merged = torch.logaddexp(z.gather(1, y[:, None]), logits[:, num_classes:])
    return z.scatter(1, y[:, None], merged)


class SurrogateModule(nn.Module):
    """``defense``'s surrogate (or ``branch``'s, one stage of a pipeline) as logits: (N, C, H, W) in [0, 1] ->
    (N, K) for a defense that cannot reject, (N, K + 1) for a detector (:func:`with_rejection`, the detector's score
    times ``weight``). Each call is a new EOT draw of a random defense (``draw`` counts the calls, from
    ``first_draw``); ``calls`` counts the images passed (the attack's cost in surrogate evaluations)."""

    def __init__(self, defense, branch=None, weight: float = 1.0, first_draw: int = 0):
        super().__init__()
        self.defense, self.branch = defense, branch or defense
        self.model = defense.model  # torchattacks reads the device from the module's parameters
        self.weight = float(weight)
        self.draw, self.calls = int(first_draw), 0

    @property
    def rejects(self) -> bool:
        return bool(self.branch.detector)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits, score = self.branch.surrogate(x, draw=self.draw)
        self.draw += 1
        self.calls += len(x)
        return with_rejection(logits, None if score is None else self.weight * score)


class RealModule(nn.Module):
    """The real defense's logits, (N, K) or (N, K + 1) for a detector (:meth:`Defense.real_logits`), without
    gradient, the random draws fixed by ``seed`` (the same image in the same batch position gets the same draw);
    ``calls`` counts the images passed (queries)."""

    def __init__(self, defense, seed: int = 0):
        super().__init__()
        self.defense, self.seed = defense, seed
        self.model = defense.model
        self.calls = 0

    @property
    def rejects(self) -> bool:
        return bool(self.defense.detector)

    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += len(x)
        with torch.enable_grad():  # an explainer inside the defense needs autograd; nothing is kept
            z = self.defense.real_logits(x, seed=self.seed)
        return z.detach()
