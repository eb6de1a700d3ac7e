"""BIM / I-FGSM (Kurakin et al. 2017): iterated FGSM steps of size ``alpha``, projected to the eps ball, no random start."""

from __future__ import annotations

import torchattacks

from .base import configure


def attack(model, x, labels, *, targeted: bool = False, eps: float, alpha: float | None, steps: int, norm: str):
    """``steps`` steps of ``alpha`` (default eps/steps·2.5 as in Madry et al.); see package doc for shapes."""
    alpha = alpha if alpha is not None else 2.5 * eps / steps
    if norm == "Linf":
        atk = torchattacks.BIM(model, eps=eps, alpha=alpha, steps=steps)
    else:
        atk = torchattacks.PGDL2(model, eps=eps, alpha=alpha, steps=steps, random_start=False)
    return configure(atk, targeted)(x, labels)
