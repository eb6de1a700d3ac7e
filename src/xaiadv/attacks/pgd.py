"""PGD (Madry et al. 2018): BIM from a uniformly random start in the eps ball."""

from __future__ import annotations

import torchattacks

from .base import configure


def attack(model, x, labels, *, targeted: bool = False, eps: float, alpha: float | None, steps: int, norm: str,
           random_start: bool):
    """``steps`` projected steps of ``alpha`` from a random start; see package doc for shapes."""
    alpha = alpha if alpha is not None else 2.5 * eps / steps
    if norm == "Linf":
        atk = torchattacks.PGD(model, eps=eps, alpha=alpha, steps=steps, random_start=random_start)
    else:
        atk = torchattacks.PGDL2(model, eps=eps, alpha=alpha, steps=steps, random_start=random_start)
    return configure(atk, targeted)(x, labels)
