"""The undefended classifier (the leaderboard's floor; an adversarially trained model is this kind too)."""

from __future__ import annotations

import torch

from .base import Defense


class Undefended(Defense):
    """``model``'s own prediction; never rejects."""

    name = "undefended"

    def __init__(self, model, device="cpu", name: str | None = None, **_):
        super().__init__(model, device)
        self.name = name or self.name

    @torch.no_grad()
    def _decide(self, x, seed):
        return self.model(x).argmax(1), torch.zeros(len(x), dtype=torch.bool, device=x.device)

    def surrogate(self, x, draw=0):
        return self.model(x), None
