"""Nguyen et al.'s (2018) detector as deployed: reject when f1(x) != f2(g(x)).

The attacker's surrogate (attack card: docs/attacks/lan.md): everything is differentiable (f1, the LAN g and
the mask classifier f2), so no BPDA is needed. The detector's score for the combined loss is f2's margin
against f1's current class, max_j!=c f2_j(g(x)) - f2_c(g(x)) with c = argmax f1(x): > 0 means f2 disagrees
with f1, i.e. rejected — the same decision as the real detector (its only threshold is the argmax)."""

from __future__ import annotations

import torch

from ..runtime import PASS_IMAGES
from .base import Defense


class LANDefense(Defense):
    """``g``: the trained LAN (``xaiadv.explainers.lan``), ``f2``: the mask classifier; ``model`` is f1."""

    detector = True

    def __init__(self, model, device="cpu", *, g, f2, name: str = "lan", **_):
        super().__init__(model, device)
        self.g, self.f2, self.name = g.eval(), f2.eval(), name

    @torch.no_grad()
    def _decide(self, x, seed):
        label = self.model(x).argmax(1)
        return label, self.f2(self.g.importance(x)).argmax(1) != label

    def score(self, x, batch_size=PASS_IMAGES):
        out = []
        with torch.no_grad():
            for i in range(0, len(x), batch_size):
                xb = x[i:i + batch_size].to(self.device)
                c = self.model(xb).argmax(1)
                p = torch.softmax(self.f2(self.g.importance(xb)), 1)
                out.append((1 - p.gather(1, c[:, None])[:, 0]).cpu())
        return torch.cat(out) if out else torch.zeros(0)

    def surrogate(self, x, draw=0):
        logits = self.model(x)
        c = logits.argmax(1).detach()
        z2 = self.f2(self.g.importance(x))
        own = z2.gather(1, c[:, None])[:, 0]
        other = z2.masked_fill(torch.nn.functional.one_hot(c, z2.shape[1]).bool(), float("-inf")).max(1).values
        return logits, other - own
