"""Carlini & Wagner L2 (2017), fixed ``c`` (torchattacks has no binary search over c)."""

from __future__ import annotations

import torchattacks

from .base import configure


def attack(model, x, labels, *, targeted: bool = False, c: float, kappa: float, steps: int, lr: float, norm: str):
    """Adam on tanh-space images for ``steps`` steps; see package doc for shapes. Raises ``ValueError`` for
    ``norm`` other than "L2"."""
    if norm != "L2":
        raise ValueError(f"norm = {norm!r}: {__name__.rsplit('.', 1)[1]} is an L2 attack")
    atk = torchattacks.CW(model, c=c, kappa=kappa, steps=steps, lr=lr)
    return configure(atk, targeted)(x, labels)
