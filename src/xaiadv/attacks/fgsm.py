"""FGSM (Goodfellow et al. 2015), L_inf, and its L2 form FGM (one normalised-gradient step of size eps)."""

from __future__ import annotations

import torchattacks

from .base import configure


def attack(model, x, labels, *, targeted: bool = False, eps: float, norm: str):
    """One signed (L_inf) or L2-normalised (L2) gradient step of size ``eps``; see package doc for shapes."""
    if norm == "Linf":
        atk = torchattacks.FGSM(model, eps=eps)
    else:  # FGM-L2 = one PGD-L2 step of length eps, no random start
        atk = torchattacks.PGDL2(model, eps=eps, alpha=eps, steps=1, random_start=False)
    return configure(atk, targeted)(x, labels)
