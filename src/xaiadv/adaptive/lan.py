"""Beyond Nguyen et al. (2018): an adaptive attack that knows the LAN detector.

f1, the LAN g and the mask classifier f2 are all differentiable, so a white-box attacker can push f1 to a
target class t *and* the mask classifier to the same class: targeted L_inf PGD (Madry et al. 2018) on

    CE(f1(x'), t) + weight * CE(f2(g(x')), t)

(the detector flags only disagreement, so f1 = f2 = t evades it). ``weight = 0`` is plain targeted PGD
on f1, the non-adaptive baseline. An image is frozen the first step both conditions hold (f1 = t and
f2(g) = t; plain PGD: f1 = t), so the attack returns the first evading point, not a later one.

Our own code (a few lines of PGD): torchattacks' PGD takes one model, and the joint loss needs three.
"""

from __future__ import annotations

import torch
from torch import nn


def attack(f1: nn.Module, x: torch.Tensor, labels: torch.Tensor, *, g: nn.Module, f2: nn.Module, eps: float,
           alpha: float, steps: int, weight: float) -> torch.Tensor:
    """Targeted PGD against f1 and the LAN detector. ``x`` (N, C, H, W) in [0, 1]; ``labels`` (N,) int64 the
    target classes; ``eps`` / ``alpha`` the L_inf budget and step on the [0, 1] scale.
    Returns x_adv like ``x``, within ``eps`` of ``x`` and in [0, 1]."""
    for m in (f1, g, f2):
        m.eval()
    x = x.detach()
    x_adv = x.clone()
    active = torch.ones(len(x), dtype=torch.bool, device=x.device)
    ce = nn.CrossEntropyLoss(reduction="none")
    for _ in range(steps):
        if not active.any():
            break
        xa = x_adv[active].clone().requires_grad_(True)
        t = labels[active]
        loss = ce(f1(xa), t)
        if weight > 0:
            loss = loss + weight * ce(f2(g.importance(xa)), t)
        grad, = torch.autograd.grad(loss.sum(), xa)
        with torch.no_grad():
            step = xa - alpha * grad.sign()
            step = torch.min(torch.max(step, x[active] - eps), x[active] + eps).clamp_(0, 1)
            x_adv[active] = step
            done = f1(step).argmax(1) == t
            if weight > 0:
                done &= f2(g.importance(step)).argmax(1) == t
            idx = torch.nonzero(active).flatten()
            active[idx[done]] = False
    return x_adv.detach()
