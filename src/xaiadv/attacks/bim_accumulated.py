"""Saito & Wang's released BIM variant: one signed step along an accumulated gradient.

The paper describes BIM (iterated FGSM). The authors' released code
(``generate_integrated_gradients.py``, function ``attack``) instead keeps the
clean image x as the only leaf and, for ``steps`` iterations, computes the loss
at x_0 = x, then x_i = clip_[0,1](x + d·eps·sign(g)) and back-propagates into x without ever
zeroing x.grad, so g accumulates Σ_i ∇_x L(x_i) (through the clip). The
returned image is x_steps: a single L∞ step of exactly eps from the clean
image, along the sign of the summed gradients. d = +1 untargeted (raise the
loss of the true class), -1 targeted (lower the loss of the target class).

Reproduced here as stated, batched (per-image losses are summed, which leaves
each image's gradient sign unchanged). Deviation: the authors' clip to [0, 1]
acts on ImageNet-normalised tensors (and their eps 0.2 is in that space); ours
clips and measures eps on the [0, 1] scale like every other attack here.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def attack(model, x, labels, *, targeted: bool = False, eps: float, steps: int, norm: str):
    """``x`` (N, C, H, W) in [0, 1]; ``labels`` (N,) true (untargeted) or target classes.

    Returns (N, C, H, W) in [0, 1] with ||x_adv - x||_inf <= eps. ``eps`` on the [0, 1] scale;
    ``steps`` gradient evaluations accumulated. Raises ``ValueError`` for ``norm`` other than "Linf".
    """
    if norm != "Linf":
        raise ValueError(f"bim_accumulated is an L_inf attack (sign step); got norm={norm!r}")
    d = -1.0 if targeted else 1.0
    x = x.detach().clone().requires_grad_(True)
    g = torch.zeros_like(x)
    for i in range(steps):
        # the first pass is at x itself, unclipped (clamp's gradient is 0 at pixels exactly 0 or 1)
        xi = x if i == 0 else torch.clamp(x + d * eps * g.sign(), 0, 1)
        loss = F.cross_entropy(model(xi), labels, reduction="sum")
        (grad,) = torch.autograd.grad(loss, x)
        g += grad
    return torch.clamp(x.detach() + d * eps * g.sign(), 0, 1)
