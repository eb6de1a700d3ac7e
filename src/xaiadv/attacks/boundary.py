"""Boundary attack (Brendel et al. 2018), foolbox 3's ``BoundaryAttack``: a decision-based attack that starts from
an adversarial point (foolbox's blended-uniform-noise line search) and walks along the decision boundary towards
the original image. Brama & Grinshpoun (2020) run it untargeted.

Every step is model calls only (no gradients); the result is adversarial from the start, and ``steps`` decides how
small its perturbation gets (foolbox's default 25,000; ours in config).
"""

from __future__ import annotations

import warnings

import torch


def attack(model, x, labels, *, targeted: bool = False, steps: int, spherical_step: float, source_step: float,
           step_adaptation: float, init_directions: int, init_steps: int, norm: str):
    """Boundary attack on ``x`` (N, C, H, W) in [0, 1]; ``labels`` (N,) the true classes (untargeted) or the
    targets (``targeted``). The starting point: foolbox's ``LinearSearchBlendedUniformNoiseAttack`` with
    ``init_directions`` noise draws and ``init_steps`` blending steps (foolbox's defaults 1,000 / 1,000). Returns the (clipped) adversarial images (N, C, H, W); an image whose starting point
    could not be found is returned unchanged (its attack then counts as failed). Raises ``ValueError`` for
    ``norm`` other than "L2"."""
    if norm != "L2":
        raise ValueError(f"norm = {norm!r}: {__name__.rsplit('.', 1)[1]} is an L2 attack")
    import foolbox as fb

    fmodel = fb.PyTorchModel(model.eval(), bounds=(0, 1), device=x.device)
    crit = fb.criteria.TargetedMisclassification(labels) if targeted else fb.criteria.Misclassification(labels)
    init = fb.attacks.LinearSearchBlendedUniformNoiseAttack(directions=init_directions, steps=init_steps)
    atk = fb.attacks.BoundaryAttack(init_attack=init, steps=steps, spherical_step=spherical_step,
                                    source_step=source_step, step_adaptation=step_adaptation)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*init_attack failed.*")
        _, clipped, success = atk(fmodel, x.detach(), crit, epsilons=None)
    return torch.where(success.view(-1, 1, 1, 1), clipped, x.detach())
