"""Localized BIM (Göpfert et al. 2019 §2, after Göpfert et al. 2019b): targeted BIM whose gradient and
perturbation are confined to one region; stops per example on success or when it stops progressing.

Our own code: torchattacks' BIM has neither a perturbation mask nor per-example early stopping.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def attack(model, x: torch.Tensor, target: torch.Tensor, region: torch.Tensor, *, alpha: float, eps: float, steps: int,
           patience: int, min_gain: float) -> dict:
    """Targeted, region-confined BIM on a batch.

    ``x`` float32 (N, C, H, W) in [0, 1]; ``target`` int64 (N,) classes; ``region`` bool (N, H, W) or
    (N, 1, H, W): the only pixels (all channels) that may change. Each step moves the region's pixels by
    ``alpha`` against the sign of the gradient of the cross-entropy to ``target`` and projects to the L_inf
    ball ``eps`` (on the [0, 1] scale; 1.0 = only the box) and to [0, 1]. An example stops at the first step
    its prediction is ``target`` (success) or when its target margin (target logit minus the largest other)
    has not grown by ``min_gain`` within ``patience`` steps (stalled, a failure), at most ``steps`` steps.

    Returns ``{"x_adv" (N, C, H, W), "success" bool (N,), "steps" int64 (N,), "stalled" bool (N,)}``;
    outside ``region`` ``x_adv`` equals ``x`` bit for bit. Raises ``ValueError`` on mismatched shapes.
    """
    if region.dim() == 3:
        region = region[:, None]
    if region.shape[0] != x.shape[0] or region.shape[-2:] != x.shape[-2:] or target.shape != (x.shape[0],):
        raise ValueError(f"shapes do not match: x {tuple(x.shape)}, region {tuple(region.shape)}, target {tuple(target.shape)}")
    region = region.to(x.device, torch.bool).expand_as(x)
    x = x.detach()
    xa = x.clone()
    n = len(x)
    active = torch.ones(n, dtype=torch.bool, device=x.device)
    success = torch.zeros_like(active)
    stalled = torch.zeros_like(active)
    used = torch.zeros(n, dtype=torch.long, device=x.device)
    best = torch.full((n,), -float("inf"), device=x.device)
    since = torch.zeros(n, dtype=torch.long, device=x.device)
    for step in range(steps + 1):
        idx = torch.nonzero(active).flatten()
        if len(idx) == 0:
            break
        xi = xa[idx].clone().requires_grad_(step < steps)
        with torch.set_grad_enabled(step < steps):
            logits = model(xi)
            hit = logits.argmax(1) == target[idx]
            other = logits.detach().clone()
            other[torch.arange(len(idx)), target[idx]] = -float("inf")
            margin = logits.detach()[torch.arange(len(idx)), target[idx]] - other.amax(1)
        success[idx] |= hit
        gained = margin > best[idx] + min_gain
        best[idx] = torch.where(gained, margin, best[idx])
        since[idx] = torch.where(gained, torch.zeros_like(since[idx]), since[idx] + 1)
        stop = hit | (since[idx] > patience)
        stalled[idx] |= ~hit & (since[idx] > patience)
        if step == steps:
            break
        loss = F.cross_entropy(logits, target[idx], reduction="sum")
        (grad,) = torch.autograd.grad(loss, xi)
        with torch.no_grad():
            step_x = xi - alpha * grad.sign()
            step_x = torch.min(torch.max(step_x, x[idx] - eps), x[idx] + eps).clamp(0, 1)
            new = torch.where(region[idx], step_x, x[idx])  # exactly x outside the region
            move = idx[~stop]
            xa[move] = new[~stop]
            used[move] += 1
        active[idx[stop]] = False
    return {"x_adv": xa.detach(), "success": success, "steps": used, "stalled": stalled}
