"""A Kao et al. (2021) rectifier (or Heat and Blur) applied to every input, as a deployed defense.

Deployed: no detector in front (no oracle), so its cost on clean inputs is part of the row; the label is the
majority vote over the rectifier's repeats (``xaiadv.rectifiers.base.vote``), whatever its Table II aggregate.

The attacker's surrogate (attack card: docs/attacks/rectifier.md): the rectifier's output with

- the exact gradient where the rectifier is differentiable in its input (:data:`DIFFERENTIABLE`: blur, random
  deletion's pixel mask applied to x, I-GOS's blurred baseline and mask fusion x * M + blur(x) * (1 - M), the DAE
  (a network), Heat and Blur's blur and kept pixels);
- BPDA (Athalye et al. 2018) for every non-differentiable step: I-GOS's mask optimisation and Heat and Blur's LRP
  mask (constants of x), and with the identity JPEG and the CAM rectifiers' key-area selection;
- EOT over the rectifier's own repeats (the logits averaged over them) and over ``draw`` (a new seed per draw).
"""

from __future__ import annotations

import torch

from ..rectifiers.base import rectify, vote
from .base import Defense, straight_through

DIFFERENTIABLE = ("blur", "random_deletion", "igos", "dae", "heat_and_blur")
RANDOM = ("random_deletion", "cam", "igos")


class RectifierDefense(Defense):
    """``spec``: a ``rectifiers`` config entry (method + parameters); ``extra``: the objects its method needs
    (``{"denoiser": ...}`` for ``dae``)."""

    def __init__(self, model, device="cpu", *, spec: dict, extra: dict | None = None, name: str | None = None,
                 num_classes: int = 10, **_):
        super().__init__(model, device)
        self.spec, self.extra, self.num_classes = spec, extra or {}, num_classes
        self.name = name or spec["method"]
        self.random = spec["method"] in RANDOM
        self._cam_for = None  # (x, its version, cache): the surrogate's CAM maps of the last input

    def _rectified(self, x, seed, grad: bool, extra: dict | None = None):
        with torch.no_grad():
            label = self.model(x).argmax(1)
        extra = {**self.extra, **(extra or {})}
        if grad and self.spec["method"] in DIFFERENTIABLE:
            return rectify(self.model, x, label, self.spec, seed=seed, extra=extra)
        return rectify(self.model, x.detach(), label, self.spec, seed=seed, extra=extra).detach()

    def _decide(self, x, seed):
        xs = self._rectified(x, seed, grad=False)  # (R, N, C, H, W)
        with torch.no_grad():
            pred = torch.stack([self.model(r).argmax(1) for r in xs]).cpu()
        return vote(pred, self.num_classes).to(x.device), torch.zeros(len(x), dtype=torch.bool, device=x.device)

    def real_logits(self, x, seed=0):
        """The classifier's logits on the rectified images, averaged over the rectifier's repeats."""
        with torch.enable_grad():  # a CAM or I-GOS rectifier differentiates inside, even under no_grad
            xs = self._rectified(x, seed, grad=False)
        with torch.no_grad():
            return torch.stack([self.model(r) for r in xs]).mean(0)

    def surrogate(self, x, draw=0):
        extra = None
        if self.spec["method"] == "cam":  # the EOT draws of one step share x: its CAM once, the key-area draws new
            if self._cam_for is None or self._cam_for[0] is not x or self._cam_for[1] != x._version:
                self._cam_for = (x, x._version, {})  # a new input, or this one changed in place
            extra = {"cache": self._cam_for[2]}
        xs = self._rectified(x, 1_000_003 * (draw + 1), grad=True, extra=extra)
        if not xs.requires_grad:
            xs = straight_through(x, xs)
        logits = torch.stack([self.model(r) for r in xs]).mean(0)
        return logits, None
