"""JSMA (Papernot et al. 2016, "The limitations of deep learning in adversarial settings"), L0.

Each iteration picks the pixel pair (p, q) maximising the saliency map of Eq. 8–10
(alpha = d logit_t/dx_p + d logit_t/dx_q > 0, beta = sum of the other classes' < 0,
score alpha * |beta|) and pushes both by ``theta``, until the target class wins,
``gamma`` of the features have been changed, or no feature is left.

Our own implementation, not torchattacks.JSMA: that one loops over images in
Python and computes each Jacobian with one backward pass per class per image
(about 1 s per MNIST digit on 2 CPU cores; 280 s for the default config's 300
digits). This is the same algorithm with the same tie-breaking (logit
Jacobian, search domain, first argmax), batched over images; it agrees with
torchattacks image for image (tests/test_attacks.py).
JSMA is targeted by construction; "untargeted" callers pass (y + 1) mod C as
torchattacks does (see xaiadv.attacks.base.make_targets).
"""

from __future__ import annotations

import math

import torch

PAIR_BUDGET = 16_000_000  # elements of one (batch, F, F) saliency tensor per chunk


def saliency_pairs(jac: torch.Tensor, target: torch.Tensor, domain: torch.Tensor, increasing: bool):
    """The best pixel pair per image. ``jac`` (B, K, F) logit Jacobian, ``target`` (B,),
    ``domain`` (B, F) bool (features still allowed). Returns ``(p, q)``, int64 (B,) each."""
    b, _, f = jac.shape
    tgt = jac[torch.arange(b), target]
    others = jac.sum(1) - tgt
    coef = 2.0 * (~domain).float() * (1.0 if increasing else -1.0)
    t = tgt - coef * tgt.abs().amax(1, keepdim=True)
    o = others + coef * others.abs().amax(1, keepdim=True)
    alpha = t[:, None, :] + t[:, :, None]
    beta = o[:, None, :] + o[:, :, None]
    if increasing:  # alpha * |beta| where alpha > 0 and beta < 0, else 0: in place, no mask tensors
        score = alpha.clamp_(min=0).mul_(beta.clamp_(max=0).neg_())
        score.diagonal(dim1=1, dim2=2).zero_()
    else:  # as in the paper's decreasing variant (and torchattacks): masked alpha * |beta|
        mask = (alpha < 0) & (beta > 0)
        mask &= ~torch.eye(f, dtype=torch.bool, device=jac.device)
        score = alpha * beta.abs() * mask
    idx = score.view(b, -1).argmax(1)
    p = torch.div(idx, f, rounding_mode="floor")
    return p, idx - p * f


def attack(model, x, labels, *, targeted: bool = True, theta: float, gamma: float):
    """``labels`` are the target classes. x (N, C, H, W) in [0, 1] -> x_adv like x.

    Raises ``ValueError`` when the pairwise map (F x F per image, F = C*H*W) cannot fit
    (ImageNet-size inputs), as for the original algorithm.
    """
    n = len(x)
    f = x[0].numel()
    if f * f > PAIR_BUDGET:
        raise ValueError(f"JSMA needs a {f}x{f} saliency map per image; inputs of {f} features are too large")
    chunk = max(1, PAIR_BUDGET // (f * f))
    increasing = theta > 0
    x = x.detach().clone()
    flat = x.view(n, f)
    domain = flat < 0.99 if increasing else flat > 0.01
    max_iters = int(math.ceil(f * gamma / 2.0))
    with torch.no_grad():
        pred = model(x).argmax(1)
    active = (pred != labels) & domain.any(1)
    for _ in range(max_iters):
        idx = active.nonzero().flatten()
        if len(idx) == 0:
            break
        for part in idx.split(chunk):
            xa = x[part].clone().requires_grad_(True)
            logits = model(xa)
            k = logits.shape[1]
            jac = torch.stack([torch.autograd.grad(logits[:, c].sum(), xa, retain_graph=c < k - 1)[0].reshape(len(part), f)
                               for c in range(k)], 1)
            with torch.no_grad():
                p, q = saliency_pairs(jac, labels[part], domain[part], increasing)
                rows = torch.arange(len(part), device=x.device)
                v = flat[part]
                v[rows, p] += theta
                v[rows, q] += theta
                flat[part] = v.clamp(0.0, 1.0)
                d = domain[part]
                d[rows, p] = False
                d[rows, q] = False
                domain[part] = d
        with torch.no_grad():
            pred[idx] = model(x[idx]).argmax(1)
        active &= (pred != labels) & domain.any(1)
    return x
