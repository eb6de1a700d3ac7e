"""JSMA (Papernot et al. 2016), L0: saliency-map pixel pairs pushed by ``theta`` until the target class wins.

JSMA is a targeted attack; "untargeted" here means torchattacks' default target
(label + 1) mod 10, which :func:`xaiadv.attacks.base.make_targets` records.
"""

from __future__ import annotations

import torchattacks

from .base import configure


def attack(model, x, labels, *, targeted: bool = False, theta: float = 1.0, gamma: float = 0.1, **_):
    """Changes at most a ``gamma`` fraction of features; see package doc for shapes."""
    atk = torchattacks.JSMA(model, theta=theta, gamma=gamma)
    return configure(atk, True)(x, labels)
