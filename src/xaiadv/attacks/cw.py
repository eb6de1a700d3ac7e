"""Carlini & Wagner L2 (2017), fixed ``c`` (torchattacks has no binary search over c)."""

from __future__ import annotations

import torchattacks

from .base import configure


def attack(model, x, labels, *, targeted: bool = False, c: float = 1.0, kappa: float = 0.0, steps: int = 50,
           lr: float = 0.01, **_):
    """Adam on tanh-space images for ``steps`` steps; see package doc for shapes."""
    atk = torchattacks.CW(model, c=c, kappa=kappa, steps=steps, lr=lr)
    return configure(atk, targeted)(x, labels)
