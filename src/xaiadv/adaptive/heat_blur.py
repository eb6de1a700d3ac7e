"""Adaptive attacks on Heat and Blur (Brama & Grinshpoun 2020).

* :func:`algorithm2`: the paper's Algorithm 2 - run an attack on the current image, copy its perturbation only
  into the current heatmap's pixels (the pixels Heat and Blur keeps sharp), clip, repeat until the defended
  model is fooled or ``iterations`` run out. The inner attack here: targeted PGD (L_inf) on the undefended model.
* :func:`bpda_eot_pgd`: the attack the paper did not try, by the standard of Athalye et al. (2018) and Tramèr et
  al. (2020): targeted PGD through the whole defense - the Gaussian blur is differentiable, the binary heatmap
  mask is recomputed each step and treated as a constant (BPDA), and the loss is averaged over blur sigmas drawn
  uniformly from ``sigma_range`` (EOT).

Both return the final images; success is judged by running the real defense (LRP mask of the final image, blur at
the configured sigma) on them.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..explainers.lrp import explain as lrp
from ..rectifiers.heat_and_blur import blur, heat_and_blur, heatmap_mask


def defend(model, x: torch.Tensor, sigma: float, *, k_std: float, absolute: bool, first_rule: str) -> torch.Tensor:
    """Heat and Blur (Algorithm 1) of ``x`` (N, C, H, W): the cleaned images."""
    with torch.no_grad():
        label = model(x).argmax(1)
    mask = heatmap_mask(lrp(model, x, label, first_rule=first_rule), k_std, absolute)
    return heat_and_blur(x, mask, sigma).detach()


def _step(xa, grad, x_orig, eps: float, alpha: float) -> torch.Tensor:
    """One targeted signed-gradient step of ``alpha``, projected to the L_inf ball ``eps`` around ``x_orig`` and [0, 1]."""
    xa = xa.detach() - alpha * grad.sign()
    return torch.min(torch.max(xa, x_orig - eps), x_orig + eps).clamp(0, 1)


def pgd(model, x, target, eps: float, alpha: float, steps: int, x_orig=None) -> torch.Tensor:
    """Targeted L_inf PGD on the undefended model from ``x`` (no random start), projected around ``x_orig``
    (default ``x``): the plain baseline and Algorithm 2's inner attack. Returns (N, C, H, W)."""
    x_orig = x.detach() if x_orig is None else x_orig
    xa = x.detach().clone()
    for _ in range(steps):
        xa.requires_grad_(True)
        (g,) = torch.autograd.grad(F.cross_entropy(model(xa), target), xa)
        xa = _step(xa, g, x_orig, eps, alpha)
    return xa.detach()


def algorithm2(model, x, target, *, sigma: float, eps: float, alpha: float, steps: int, iterations: int,
               k_std: float, absolute: bool, first_rule: str) -> torch.Tensor:
    """Algorithm 2 with targeted L_inf PGD (``steps`` of ``alpha``, budget ``eps`` around the original image) as
    the inner attack; at most ``iterations`` rounds. Returns (N, C, H, W)."""
    x_orig = x.detach()
    temp = x_orig.clone()
    done = torch.zeros(len(x), dtype=torch.bool, device=x.device)
    for _ in range(iterations):
        adv = pgd(model, temp, target, eps, alpha, steps, x_orig)
        with torch.no_grad():
            label = model(temp).argmax(1)
        mask = heatmap_mask(lrp(model, temp, label, first_rule=first_rule), k_std, absolute).expand_as(temp)
        new = torch.where(mask, adv, temp).clamp(0, 1)
        temp = torch.where(done[:, None, None, None], temp, new)
        with torch.no_grad():
            done |= model(defend(model, temp, sigma, k_std=k_std, absolute=absolute, first_rule=first_rule)).argmax(1) == target
        if done.all():
            break
    return temp


def bpda_eot_pgd(model, x, target, *, eps: float, alpha: float, steps: int, sigma_range: tuple[float, float], eot: int,
                 k_std: float, absolute: bool, first_rule: str, generator=None) -> torch.Tensor:
    """Targeted L_inf PGD on CE(f(HeatAndBlur_sigma(x')), target), mask constant per step, sigma ~ U(sigma_range)
    over ``eot`` draws per step. Returns (N, C, H, W) within ``eps`` of ``x`` and in [0, 1]."""
    x_orig = x.detach()
    xa = x_orig.clone()
    lo, hi = sigma_range
    for _ in range(steps):
        with torch.no_grad():
            label = model(xa).argmax(1)
        mask = heatmap_mask(lrp(model, xa, label, first_rule=first_rule), k_std, absolute).expand_as(xa)
        xa.requires_grad_(True)
        loss = 0.0
        for _ in range(eot):
            s = float(lo + (hi - lo) * torch.rand((), generator=generator))
            loss = loss + F.cross_entropy(model(torch.where(mask, xa, blur(xa, s))), target)
        (g,) = torch.autograd.grad(loss / eot, xa)
        xa = _step(xa, g, x_orig, eps, alpha)
    return xa.detach()
