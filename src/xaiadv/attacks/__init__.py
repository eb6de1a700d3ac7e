"""Adversarial attacks: one module per family, all with the same signature

``attack(model, x, labels, *, targeted, **params) -> x_adv``

``x`` float32 (N, C, H, W) in [0, 1]; ``labels`` int64 (N,): the true labels
(untargeted) or the target labels (targeted); ``x_adv`` like ``x``. Budgets
(eps, alpha) are on the [0, 1] scale. Implementations come from torchattacks.
"""

from .base import METHODS, AttackResult, run_attack, source_file

__all__ = ["METHODS", "AttackResult", "run_attack", "source_file"]
