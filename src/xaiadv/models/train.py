"""Classifier training and evaluation (Kao et al. 2021, Table I: Adam, batch 128), and adversarial training of the
leaderboard's robust reference (Wong et al. 2020's "fast" FGSM with a random start; Madry et al. 2018's PGD)."""

from __future__ import annotations

import torch
from torch import nn
from tqdm import tqdm


def adversarial_batch(model: nn.Module, x: torch.Tensor, y: torch.Tensor, spec: dict, scale: float = 1.0) -> torch.Tensor:
    """The training batch of adversarial training: PGD (``xaiadv.attacks.pgd``, torchattacks) from a uniformly
    random start in the L_inf or L2 ball of radius ``spec["eps"]``, ``spec["steps"]`` steps of ``spec["alpha"]``.
    One step with alpha 1.25 eps is Wong et al. (2020)'s "fast" FGSM adversarial training (Sec. 4); more steps is
    Madry et al. (2018)'s PGD training. ``x`` (N, C, H, W) in [0, 1]; returns the same shape in [0, 1]. The model
    is put in eval mode for the attack (torchattacks' default) and back in train mode after. ``scale`` in (0, 1]
    multiplies eps and alpha (the warm-up of :func:`train_classifier`)."""
    from ..attacks.pgd import attack

    eps = spec["eps"] * scale
    alpha = (spec.get("alpha") or 1.25 * spec["eps"]) * scale
    return attack(model, x, y, eps=eps, alpha=alpha, steps=spec.get("steps", 1), norm=spec.get("norm", "Linf"),
                  random_start=True).detach()


def train_classifier(model: nn.Module, x: torch.Tensor, y: torch.Tensor, epochs: int, lr: float, batch_size: int,
                     seed: int = 0, device: torch.device | str = "cpu", adversarial: dict | None = None) -> list[float]:
    """Train ``model`` with Adam and cross-entropy; returns the mean loss per epoch.

    ``x``: float32 (N, C, H, W) in [0, 1]; ``y``: int64 (N,). Shuffling is seeded. ``adversarial`` (``eps``,
    ``alpha``, ``steps``, ``norm``, ``warmup``): train on :func:`adversarial_batch` instead of the clean batch (the
    leaderboard's adversarially trained reference); eps grows linearly from 0 over the first ``warmup`` fraction of
    the batches (a curriculum against catastrophic overfitting of FGSM training; Wong et al. 2020 use none).
    """
    model.to(device).train()
    if adversarial:
        torch.manual_seed(seed)  # the attacks' random starts
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    g = torch.Generator().manual_seed(seed)
    losses = []
    n_batches, step = epochs * -(-len(y) // batch_size), 0
    for epoch in range(epochs):
        perm = torch.randperm(len(y), generator=g)
        total, count = 0.0, 0
        bar = tqdm(range(0, len(y), batch_size), desc=f"epoch {epoch + 1}/{epochs}", mininterval=5, file=None)
        for i in bar:
            idx = perm[i:i + batch_size]
            xb, yb = x[idx].to(device), y[idx].to(device)
            if adversarial:
                warm = adversarial.get("warmup", 0.0) * n_batches
                xb = adversarial_batch(model, xb, yb, adversarial, min(1.0, (step + 1) / warm) if warm else 1.0)
                model.train()
            step += 1
            opt.zero_grad(set_to_none=True)
            loss = nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
            count += len(idx)
            bar.set_postfix(loss=f"{total / count:.4f}", refresh=False)
        losses.append(total / max(count, 1))
    model.eval()
    return losses


@torch.no_grad()
def predict(model: nn.Module, x: torch.Tensor, batch_size: int = 256, device: torch.device | str = "cpu") -> torch.Tensor:
    """Predicted labels, int64 (N,), for ``x`` float32 (N, C, H, W) in [0, 1]."""
    model.to(device).eval()
    out = [model(x[i:i + batch_size].to(device)).argmax(1).cpu() for i in range(0, len(x), batch_size)]
    return torch.cat(out) if out else torch.zeros(0, dtype=torch.long)
