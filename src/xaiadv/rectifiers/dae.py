"""Denoising-autoencoder baseline of Kao et al. (2021), Table II: a convolutional autoencoder trained per
data set to map noisy images back to clean ones (x + N(0, noise^2), clipped to [0, 1]); the rectifier
classifies its reconstruction of the adversarial input. The paper does not give the architecture: ours is
a small MagNet-style conv autoencoder (two 3x3 conv layers, 2x2 pooling, mirrored decoder, sigmoid output),
trained with Adam on the MSE to the clean image (rule ``train_denoiser``). Small batches (16): with batches of 128 and a
few epochs it collapsed to an all-dark output on MNIST (MSE 0.11)."""

from __future__ import annotations

import torch
from torch import nn


class DenoisingAutoencoder(nn.Module):
    """(N, C, H, W) in [0, 1] -> (N, C, H, W) in [0, 1]; H and W even."""

    def __init__(self, channels: int, width: int = 16):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(channels, width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(width, width, 3, padding=1), nn.ReLU(),
            nn.Upsample(scale_factor=2, mode="nearest"),
            nn.Conv2d(width, width, 3, padding=1), nn.ReLU(),
            nn.Conv2d(width, channels, 3, padding=1), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


# the dae entry's keys that train_denoiser reads, not rectify (see xaiadv.rectifiers.base.method_params)
CONFIG_ONLY = ("noise", "epochs", "lr", "batch_size", "width", "n_train")


def train_denoiser(x: torch.Tensor, *, noise: float, epochs: int, lr: float, batch_size: int, width: int, seed: int = 0, device="cpu", progress: bool = True):
    """Train a :class:`DenoisingAutoencoder` on clean images ``x`` (N, C, H, W) in [0, 1]: input
    clip(x + N(0, ``noise``^2)), target x, MSE, Adam(``lr``); weights, order and noise from ``seed``. Returns ``(model, losses)`` (mean loss per
    epoch). Raises ``ValueError`` for an empty ``x`` or odd image sides."""
    from tqdm import tqdm

    if len(x) == 0:
        raise ValueError("train_denoiser: no training images")
    if x.shape[-1] % 2 or x.shape[-2] % 2:
        raise ValueError(f"train_denoiser: image sides must be even, got {tuple(x.shape[-2:])}")
    g = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):  # seeded weights without touching the caller's global RNG
        torch.manual_seed(seed)
        model = DenoisingAutoencoder(x.shape[1], width).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for epoch in range(epochs):
        order = torch.randperm(len(x), generator=g)
        total = 0.0
        for i in tqdm(range(0, len(x), batch_size), desc=f"denoiser epoch {epoch + 1}/{epochs}", mininterval=5,
                      disable=not progress):
            xb = x[order[i:i + batch_size]].to(device)
            noisy = (xb + noise * torch.randn(xb.shape, generator=g).to(device)).clamp(0, 1)
            loss = nn.functional.mse_loss(model(noisy), xb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(xb)
        losses.append(total / len(x))
    return model.eval(), losses


def save_denoiser(path, model: DenoisingAutoencoder | None, meta: dict) -> None:
    """Write the denoiser's weights (none when ``model`` is None, e.g. no training images) and ``meta``
    (channels, width, training spec, or ``skipped`` with the reason) as safetensors."""
    from ..io import save_tensors

    save_tensors(path, dict(model.state_dict()) if model is not None else {}, meta)


def load_denoiser(path, device="cpu") -> tuple[DenoisingAutoencoder | None, dict]:
    """``(model or None, metadata)`` from :func:`save_denoiser`'s file; None when it records ``skipped``."""
    from ..io import load_tensors

    tensors, meta = load_tensors(path)
    if meta.get("skipped"):
        return None, meta
    model = DenoisingAutoencoder(meta["channels"], meta["width"])
    model.load_state_dict(tensors)
    return model.to(device).eval(), meta


def rectify(model, x, label, *, generator: torch.Generator, denoiser: DenoisingAutoencoder | None = None):
    """(1, N, C, H, W) in [0, 1]: the denoiser's reconstruction of ``x`` (N, C, H, W) in [0, 1]. ``model`` and
    ``label`` are unused (same signature as every rectifier). Differentiable in ``x`` where ``x`` requires grad (an
    attacker's surrogate: the denoiser is a network, its exact gradient, no BPDA). Raises ``ValueError`` without a
    ``denoiser``."""
    if denoiser is None:
        raise ValueError("dae rectifier: no trained denoiser given (rule train_denoiser)")
    with torch.set_grad_enabled(torch.is_grad_enabled() and x.requires_grad):
        return denoiser(x).clamp(0, 1)[None]
