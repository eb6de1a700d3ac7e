"""The defense interface and the helpers every defense shares (batched decisions, straight-through BPDA)."""

from __future__ import annotations

import torch

from ..runtime import PASS_IMAGES


class Defense:
    """A deployed defense around ``model`` (an ``nn.Module`` on [0, 1] images, eval mode).

    Subclasses implement :meth:`_decide` and :meth:`surrogate`; ``random`` says whether the decision draws random
    numbers (then an attack averages its loss over EOT draws); ``detector`` whether it can reject."""

    name: str = "defense"
    random: bool = False
    detector: bool = False
    # whether the attacker's score is a smoothed copy of a piecewise-constant one (a forest): the natural start then
    # runs first (xaiadv.leaderboard.pgd.attack_defense)
    smoothed_score: bool = False
    surrogate_samples: int = 1  # passes per image in one batch of :meth:`surrogate` (xaiadv.leaderboard.pgd.PASS_IMAGES)

    def __init__(self, model, device="cpu"):
        self.model = model
        self.device = device

    @torch.no_grad()
    def _decide(self, x: torch.Tensor, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def decide(self, x: torch.Tensor, batch_size: int = PASS_IMAGES, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
        """The real defense on ``x`` (N, C, H, W) in [0, 1]: ``(label, rejected)``, (N,) int64 and (N,) bool on
        CPU. ``seed`` fixes its random draws (the same images always get the same decision)."""
        labels, rejected = [], []
        for i in range(0, len(x), batch_size):
            with torch.enable_grad():  # explainers inside a defense need gradients; nothing is kept
                lab, rej = self._decide(x[i:i + batch_size].to(self.device), seed + i)
            labels.append(lab.detach().cpu())
            rejected.append(rej.detach().cpu())
        if not labels:
            return torch.zeros(0, dtype=torch.long), torch.zeros(0, dtype=torch.bool)
        return torch.cat(labels), torch.cat(rejected)

    def score(self, x: torch.Tensor, batch_size: int = PASS_IMAGES) -> torch.Tensor | None:
        """A detector's real score (N,) on CPU, higher = more adversarial (for AUROC); None for non-detectors."""
        return None

    def surrogate_info(self) -> dict | None:
        """What the attacker's surrogate is, where it was fitted to the defense (JSON-able), for the row; else None."""
        return None

    def surrogate(self, x: torch.Tensor, draw: int = 0) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Differentiable stand-in of the defense for an attacker: ``(logits (N, K), score (N,) or None)``."""
        raise NotImplementedError

    def real_logits(self, x: torch.Tensor, seed: int = 0) -> torch.Tensor:
        """The real defense's logits for a gradient-free attacker (Square), no gradient: (N, K), or (N, K + 1) for a
        detector with the rejected logit last (:func:`with_rejection`); their argmax is the
        real decision (a rectifier's: up to its vote over random repeats). ``x`` (N, C, H, W) in [0, 1] on the
        defense's device. This default: the model's own logits (a defense that only swaps the model)."""
        with torch.no_grad():
            return self.model(x)


def with_rejection(logits: torch.Tensor, score: torch.Tensor | None) -> torch.Tensor:
    """(N, K) class logits and a detector score (N,) (> 0 = rejected) -> (N, K + 1) logits whose last column wins
    the argmax exactly when the score is > 0 (Carlini & Wagner 2017's K+1-class model: z_rej = max_j z_j + score);
    ``score`` None returns ``logits`` unchanged."""
    if score is None:
        return logits
    return torch.cat([logits, (logits.max(1).values + score)[:, None]], 1)


def straight_through(x: torch.Tensor, x_out: torch.Tensor) -> torch.Tensor:
    """BPDA with the identity (Athalye et al. 2018, Sec. 4.1): the value of ``x_out`` (the non-differentiable
    step's output, same shape as ``x`` or with a leading repeat axis), the gradient of ``x``."""
    return x + (x_out - x).detach() if x_out.dim() == x.dim() else x[None] + (x_out - x[None]).detach()


def correct(label: torch.Tensor, rejected: torch.Tensor, y: torch.Tensor, adversarial: bool) -> torch.Tensor:
    """Whether the defense handled each input: an adversarial input is defended when rejected or classified as
    its true label ``y``; a clean input only when accepted and classified correctly (a rejected clean input is an
    error). (N,) bool."""
    if adversarial:
        return rejected | (label == y)
    return (~rejected) & (label == y)
