"""Classifier training and evaluation (Kao et al. 2021, Table I: Adam, batch 128)."""

from __future__ import annotations

import torch
from torch import nn
from tqdm import tqdm

from ..runtime import PASS_IMAGES


# images per forward/backward pass in training: the optimiser's batch stays ``batch_size`` (Kao: 128), its gradient
# accumulated over micro-batches of this size (mean loss weighted by size: the same gradient up to float rounding
# and dropout's draws). The MNIST CNN trains 1.2x faster per image at 64 than at 128 on this project's 2-core VMs
# (222 vs 183 images/s, 1 thread, measured back to back): xaiadv.runtime.PASS_IMAGES.
MICRO_BATCH = PASS_IMAGES


def accumulated_step(model: nn.Module, opt, xb: torch.Tensor, yb: torch.Tensor, micro: int = MICRO_BATCH) -> float:
    """One optimiser step on the batch ``xb`` (N, C, H, W), ``yb`` (N,): cross-entropy's gradient accumulated over
    chunks of ``micro`` images, each chunk's mean loss weighted by its share of N. Returns the batch's mean loss."""
    opt.zero_grad(set_to_none=True)
    total = 0.0
    for j in range(0, len(yb), micro):
        part = nn.functional.cross_entropy(model(xb[j:j + micro]), yb[j:j + micro]) * (len(yb[j:j + micro]) / len(yb))
        part.backward()
        total += part.item()
    opt.step()
    return total


def train_classifier(model: nn.Module, x: torch.Tensor, y: torch.Tensor, epochs: int, lr: float, batch_size: int,
                     seed: int = 0, device: torch.device | str = "cpu") -> list[float]:
    """Train ``model`` with Adam and cross-entropy; returns the mean loss per epoch.

    ``x``: float32 (N, C, H, W) in [0, 1]; ``y``: int64 (N,). Shuffling is seeded.
    """
    model.to(device).train()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    g = torch.Generator().manual_seed(seed)
    losses = []
    for epoch in range(epochs):
        perm = torch.randperm(len(y), generator=g)
        total, count = 0.0, 0
        bar = tqdm(range(0, len(y), batch_size), desc=f"epoch {epoch + 1}/{epochs}", mininterval=5, file=None)
        for i in bar:
            idx = perm[i:i + batch_size]
            xb, yb = x[idx].to(device), y[idx].to(device)
            total += accumulated_step(model, opt, xb, yb) * len(idx)
            count += len(idx)
            bar.set_postfix(loss=f"{total / count:.4f}", refresh=False)
        losses.append(total / max(count, 1))
    model.eval()
    return losses


@torch.no_grad()
def predict(model: nn.Module, x: torch.Tensor, batch_size: int = PASS_IMAGES, device: torch.device | str = "cpu") -> torch.Tensor:
    """Predicted labels, int64 (N,), for ``x`` float32 (N, C, H, W) in [0, 1]."""
    model.to(device).eval()
    out = [model(x[i:i + batch_size].to(device)).argmax(1).cpu() for i in range(0, len(x), batch_size)]
    return torch.cat(out) if out else torch.zeros(0, dtype=torch.long)
