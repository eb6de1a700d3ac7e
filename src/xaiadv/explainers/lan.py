"""Latent Attention Network (LAN), Grimm et al. 2017 (arXiv 1706.00536), as Nguyen et al. (2018) use it.

A fully connected network g maps an image x (N, C, H, W) in [0, 1] to a map A(x) in [0, 1] of the
input's spatial shape (one value per pixel, or per pixel and channel with ``per_channel``). g is
trained with the classifier f1 frozen to minimise (LAN paper Eq. 1-2, Nguyen §2)

    E_eta[ L(f1(A * eta + (1 - A) * x), f1(x)) ] - beta * mean(A)

with eta a randomly drawn *training image* ("bootstrapped noise", LAN paper §3.2) and L f1's training
loss (cross-entropy, against f1's own class probabilities on x). A ~ 1 marks pixels that noise can
replace without changing f1's output. **What we show, cache and classify is the importance mask
1 - A** (high = the pixel matters to f1); Nguyen et al.'s "attention mask" m.

Our own code: no maintained library implements LAN (the authors' TensorFlow code is not released).
Not given in either paper, our choices (config ``lan_detection.lan``, each a marked deviation): hidden
widths, leaky-ReLU slope, beta, optimiser (Adam), epochs, batch size, training subset, per-pixel mask.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
from torch import nn
from tqdm import tqdm


class LatentAttentionNet(nn.Module):
    """g: x (N, C, H, W) in [0, 1] -> A (N, 1 or C, H, W) in [0, 1] (sigmoid output).

    ``shape`` = (C, H, W) of the input; ``hidden`` the widths of the hidden layers (Nguyen: 3 linear
    layers = 2 hidden; LAN paper: 2-5 layers, < 1000 units each, leaky ReLU).
    """

    def __init__(self, shape, hidden=(500, 500), leak: float = 0.2, per_channel: bool = False):
        super().__init__()
        self.shape = tuple(int(s) for s in shape)
        self.hidden = tuple(int(h) for h in hidden)
        self.leak = float(leak)
        self.per_channel = bool(per_channel)
        c, h, w = self.shape
        self.out_shape = (c if per_channel else 1, h, w)
        dims = [c * h * w, *self.hidden, math.prod(self.out_shape)]
        layers: list[nn.Module] = []
        for i in range(len(dims) - 1):
            layers.append(nn.Linear(dims[i], dims[i + 1]))
            if i < len(dims) - 2:
                layers.append(nn.LeakyReLU(self.leak))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if tuple(x.shape[1:]) != self.shape:
            raise ValueError(f"LAN built for inputs of shape {self.shape}, got {tuple(x.shape[1:])}")
        a = torch.sigmoid(self.net((x - 0.5).flatten(1)))
        return a.view(len(x), *self.out_shape)

    def importance(self, x: torch.Tensor) -> torch.Tensor:
        """The mask Nguyen et al. classify and show: 1 - A(x), (N, 1 or C, H, W) in [0, 1]."""
        return 1.0 - self(x)

    def meta(self) -> dict:
        return {"arch": "lan", "shape": list(self.shape), "hidden": list(self.hidden), "leak": self.leak,
                "per_channel": self.per_channel}


def corrupt(x: torch.Tensor, a: torch.Tensor, eta: torch.Tensor) -> torch.Tensor:
    """``A * eta + (1 - A) * x``: the LAN's noisy input (all (N, C, H, W); A broadcast over channels)."""
    return a * eta + (1.0 - a) * x


def lan_loss(f1: nn.Module, g: LatentAttentionNet, x: torch.Tensor, eta: torch.Tensor, p_clean: torch.Tensor,
             beta: float) -> tuple[torch.Tensor, float, float]:
    """The LAN objective on one batch: ``(loss, classification term, mean A)``.

    ``x``, ``eta`` (N, C, H, W) in [0, 1]; ``p_clean`` (N, K) f1's softmax on ``x`` (the target);
    ``beta`` >= 0 the weight of the mask-size reward (LAN paper's beta).
    """
    a = g(x)
    logits = f1(corrupt(x, a, eta))
    ce = nn.functional.cross_entropy(logits, p_clean)
    size = a.mean()
    return ce - beta * size, float(ce.detach()), float(size.detach())


@torch.inference_mode()
def soft_targets(f1: nn.Module, x: torch.Tensor, batch_size: int = 1024, device="cpu") -> torch.Tensor:
    """f1's class probabilities (N, K) for ``x`` (N, C, H, W), computed once: f1 is frozen, so LAN training
    needs no f1 forward pass on the clean batch."""
    out = [torch.softmax(f1(x[i:i + batch_size].to(device)), 1).cpu() for i in range(0, len(x), batch_size)]
    return torch.cat(out)


def train_lan(f1: nn.Module, x: torch.Tensor, *, hidden: list[int], leak: float, per_channel: bool, beta: float,
              epochs: int, lr: float, batch_size: int, seed: int = 0,
              device: torch.device | str = "cpu", progress: bool = True,
              on_epoch=None) -> tuple[LatentAttentionNet, list[dict]]:
    """Train a LAN for the frozen classifier ``f1`` on images ``x`` (N, C, H, W) in [0, 1] with Adam.

    The noise image of each example is another training image of the same shuffled epoch (the batch
    rolled by one: every image is someone's noise once per epoch). Returns ``(g in eval mode, history)``
    with one ``{"epoch", "loss", "ce", "mean_A"}`` per epoch (plus what ``on_epoch(g)``, if given, returns
    as a dict after each epoch, e.g. a held-out probe). Raises ``ValueError`` for fewer than 2 images.
    """
    if len(x) < 2:
        raise ValueError(f"LAN training needs at least 2 images (bootstrapped noise), got {len(x)}")
    torch.manual_seed(seed)
    g = LatentAttentionNet(x.shape[1:], hidden, leak, per_channel).to(device)
    f1 = f1.to(device).eval()
    for p in f1.parameters():
        p.requires_grad_(False)
    p_all = soft_targets(f1, x, device=device).clone()  # out of inference mode: a plain tensor
    opt = torch.optim.Adam(g.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    history = []
    for epoch in range(epochs):
        perm = torch.randperm(len(x), generator=gen)
        noise_perm = perm.roll(1)
        tot = {"loss": 0.0, "ce": 0.0, "mean_A": 0.0}
        count = 0
        bar = tqdm(range(0, len(x), batch_size), desc=f"LAN epoch {epoch + 1}/{epochs}", mininterval=5,
                   disable=not progress)
        for i in bar:
            idx, nidx = perm[i:i + batch_size], noise_perm[i:i + batch_size]
            xb, eb, pb = x[idx].to(device), x[nidx].to(device), p_all[idx].to(device)
            opt.zero_grad(set_to_none=True)
            loss, ce, size = lan_loss(f1, g, xb, eb, pb, beta)
            loss.backward()
            opt.step()
            n = len(idx)
            tot["loss"] += float(loss.detach()) * n
            tot["ce"] += ce * n
            tot["mean_A"] += size * n
            count += n
            bar.set_postfix(ce=f"{tot['ce'] / count:.3f}", mean_A=f"{tot['mean_A'] / count:.3f}", refresh=False)
        history.append({"epoch": epoch + 1, **{k: v / count for k, v in tot.items()}})
        if on_epoch is not None:
            g.eval()
            with torch.no_grad():
                history[-1].update(on_epoch(g) or {})
            g.train()
    return g.eval(), history


def save_lan(path: str | Path, g: LatentAttentionNet, extra: dict | None = None) -> None:
    """Write g's weights as safetensors with its architecture in the metadata (no pickle)."""
    from ..io import save_tensors

    save_tensors(path, {k: v.detach().cpu() for k, v in g.state_dict().items()}, {**g.meta(), **(extra or {})})


def load_lan(path: str | Path, device: torch.device | str = "cpu") -> LatentAttentionNet:
    """Load a LAN written by :func:`save_lan`, in eval mode. Raises ``ValueError`` naming the file when it
    holds no LAN."""
    from ..io import load_tensors

    sd, meta = load_tensors(path)
    if meta.get("arch") != "lan":
        raise ValueError(f"{path}: not a LAN written by xaiadv (metadata arch = {meta.get('arch')!r})")
    g = LatentAttentionNet(meta["shape"], meta["hidden"], meta["leak"], meta["per_channel"])
    g.load_state_dict(sd)
    return g.eval().to(device)


def explain(model, x, target, *, lan=None):
    """The explainer signature: LAN importance mask 1 - A(x), float32 (N, 1 or C, H, W) in [0, 1].

    ``lan``: a trained :class:`LatentAttentionNet` for ``model`` (or a path to its safetensors; the
    explain stage passes the ``train_lan`` rule's output). ``model`` and ``target`` are not used:
    the mask does not depend on the class explained (it was trained against ``model``).
    Raises ``ValueError`` when no LAN is given.
    """
    if lan is None:
        raise ValueError("the lan explainer needs a trained LAN (rule train_lan): pass lan=<LatentAttentionNet or path>")
    if not isinstance(lan, nn.Module):
        lan = load_lan(lan, x.device)
    with torch.no_grad():
        return lan.to(x.device).importance(x.detach())
