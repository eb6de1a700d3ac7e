"""Nguyen et al. (2018), "Where classification fails, interpretation rises": the mask classifier f2 and the
classification-interpretation contrast detector.

f1 classifies the image, the LAN g (``xaiadv.explainers.lan``) maps it to its importance mask m = 1 - A(x),
f2 (LeNet) classifies the mask. **Adversarial iff argmax f1(x) != argmax f2(g(x))** (Nguyen §2). Beyond the
paper: a continuous score, 1 - f2's probability of f1's class, for AUROC and TPR at a fixed FPR.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


@torch.no_grad()
def masks_of(g: nn.Module, x: torch.Tensor, batch_size: int = 256, device="cpu") -> torch.Tensor:
    """Importance masks 1 - A(x), float32 (N, 1 or C, H, W) in [0, 1] on CPU, for ``x`` (N, C, H, W) in [0, 1]."""
    g = g.to(device).eval()
    out = [g.importance(x[i:i + batch_size].to(device)).cpu() for i in range(0, len(x), batch_size)]
    return torch.cat(out) if out else torch.zeros((0, *g.out_shape))


def train_mask_classifier(masks: torch.Tensor, y: torch.Tensor, *, epochs: int, lr: float, batch_size: int, seed: int = 0,
                          device="cpu"):
    """f2: LeNet trained with Adam and cross-entropy on ``masks`` (N, c, H, W) in [0, 1] with the images'
    labels ``y`` (N,) int64 (Nguyen §3: "trained on the masks produced by g from the training set").
    Returns ``(f2 in eval mode, loss per epoch)``."""
    from ..models import build
    from ..models.train import train_classifier

    torch.manual_seed(seed)
    f2 = build("lenet", None, int(y.max()) + 1 if len(y) else 10, in_channels=masks.shape[1])
    losses = train_classifier(f2, masks, y, epochs, lr, batch_size, seed, device)
    return f2.eval(), losses


@torch.no_grad()
def lan_outputs(f1: nn.Module, g: nn.Module, f2: nn.Module, x: torch.Tensor, batch_size: int = 256,
                device="cpu") -> dict:
    """What the detector sees for images ``x`` (N, C, H, W) in [0, 1]: ``{"pred_f1", "pred_f2"}`` int64 (N,),
    ``"prob_f2"`` float32 (N, K) (f2's softmax on the mask), ``"mask"`` float32 (N, c, H, W), all on CPU."""
    f1, g, f2 = f1.to(device).eval(), g.to(device).eval(), f2.to(device).eval()
    p1, p2, m = [], [], []
    for i in range(0, len(x), batch_size):
        xb = x[i:i + batch_size].to(device)
        mb = g.importance(xb)
        p1.append(f1(xb).argmax(1).cpu())
        p2.append(torch.softmax(f2(mb), 1).cpu())
        m.append(mb.cpu())
    if not p1:
        return {"pred_f1": torch.zeros(0, dtype=torch.long), "pred_f2": torch.zeros(0, dtype=torch.long),
                "prob_f2": torch.zeros((0, 10)), "mask": torch.zeros((0, *g.out_shape))}
    prob = torch.cat(p2)
    return {"pred_f1": torch.cat(p1), "pred_f2": prob.argmax(1), "prob_f2": prob, "mask": torch.cat(m)}


def flags(out: dict) -> torch.Tensor:
    """Nguyen et al.'s decision, bool (N,): True (adversarial) iff f1's class != f2's class of the mask."""
    return out["pred_f1"] != out["pred_f2"]


def scores(out: dict) -> torch.Tensor:
    """Beyond the paper: a continuous score in [0, 1], float32 (N,): 1 - f2's probability of f1's class
    (high = interpretation disagrees with classification). Thresholding at f2's argmax is not the same
    decision (f2 may split its mass); the paper's decision is :func:`flags`."""
    p = out["prob_f2"]
    return 1.0 - p[torch.arange(len(p)), out["pred_f1"]]
