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
each image's gradient sign unchanged). ``space`` chooses where the step and the
clip act: "pixel" (our default) clips and measures eps on the [0, 1] scale like
every other attack here; "normalized" is the released code as it runs: the step
of eps and the clip to [0, 1] act on the model's normalised tensor
z = (x - mean) / std, so eps is in normalised units (about eps x std in pixels)
and every pixel of the result lies in [mean, mean + std] of its channel — no
normalised value below 0, which a clean photo has in about a fifth of its
pixels (issue 20: a pixel statistic that detects the attack without any
explanation). Models without a normalisation layer: both spaces coincide.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def attack(model, x, labels, *, targeted: bool = False, eps: float, steps: int, norm: str, space: str):
    """``x`` (N, C, H, W) in [0, 1]; ``labels`` (N,) true (untargeted) or target classes.

    Returns (N, C, H, W) in [0, 1]. ``space`` "pixel": ||x_adv - x||_inf <= eps on the [0, 1] scale;
    "normalized": the step and the clip in the model's normalised space (module docstring), eps in its units.
    ``steps`` gradient evaluations accumulated. Raises ``ValueError`` for ``norm`` other than "Linf" or an
    unknown ``space``.
    """
    if norm != "Linf":
        raise ValueError(f"bim_accumulated is an L_inf attack (sign step); got norm={norm!r}")
    if space not in ("pixel", "normalized"):
        raise ValueError(f"bim_accumulated space {space!r}: must be pixel or normalized")
    d = -1.0 if targeted else 1.0
    norm_layer = getattr(model, "normalize", None) if space == "normalized" else None
    if norm_layer is not None:
        mean, std = norm_layer.mean.to(x), norm_layer.std.to(x)
        to, back = (lambda p: (p - mean) / std), (lambda z: z * std + mean)  # noqa: E731
    else:
        to = back = lambda p: p  # noqa: E731
    z = to(x.detach().clone()).requires_grad_(True)
    g = torch.zeros_like(z)
    for i in range(steps):
        # the first pass is at x itself, unclipped (clamp's gradient is 0 at values exactly 0 or 1)
        zi = z if i == 0 else torch.clamp(z + d * eps * g.sign(), 0, 1)
        loss = F.cross_entropy(model(back(zi)), labels, reduction="sum")
        (grad,) = torch.autograd.grad(loss, z)
        g += grad
    out = back(torch.clamp(z.detach() + d * eps * g.sign(), 0, 1))
    return out if norm_layer is None else out.clamp(0, 1)  # [mean, mean + std] lies in [0, 1]; rounding only
