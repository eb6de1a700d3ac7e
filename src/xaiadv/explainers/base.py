"""Dispatch to one explainer module, batched."""

from __future__ import annotations

import importlib
from pathlib import Path

import torch
from tqdm import tqdm

METHODS = ("saliency", "integrated_gradients", "guided_backprop", "grad_cam", "expected_gradients", "input_pixels", "lan", "lime", "lrp")
NEEDS_BACKGROUND = ("expected_gradients",)


def images_per_pass(x: torch.Tensor, cap: int = 512) -> int:
    """A memory-safe number of images per forward/backward pass: about 4M input values
    (26 ImageNet images at 224x224, ``cap`` MNIST digits)."""
    return int(min(cap, max(8, 4_000_000 // max(1, x[0].numel()))))


def source_file(method: str) -> Path:
    """The module implementing ``method`` (a rule input)."""
    if method not in METHODS:
        raise ValueError(f"unknown explainer {method!r}; allowed: {', '.join(METHODS)}")
    return Path(__file__).with_name(f"{method}.py")


def explain(model, x: torch.Tensor, target: torch.Tensor, spec: dict, batch_size: int = 64,
            device: torch.device | str = "cpu", progress: bool = True, **context) -> torch.Tensor:
    """Attributions of ``model`` for ``x`` (N, C, H, W) in [0, 1] and classes ``target`` (N,), by ``spec["method"]``.

    ``context`` (e.g. ``background``, ``seed``) is passed to every method, which ignores what it does not use.
    Returns float32 (N, C or 1, H, W) on CPU. Raises ``ValueError`` for an unknown method.
    """
    method = spec["method"]
    source_file(method)
    mod = importlib.import_module(f"xaiadv.explainers.{method}")
    params = {k: v for k, v in spec.items() if k not in ("method", "background_size", "stages")}
    params.update(context)
    model.eval().to(device)
    out = []
    for i in tqdm(range(0, len(x), batch_size), desc=f"explain {method}", mininterval=5, disable=not progress):
        xb = x[i:i + batch_size].to(device).requires_grad_(True)
        if "seed" in context:
            params["seed"] = context["seed"] + i
        a = mod.explain(model, xb, target[i:i + batch_size].to(device), **params)
        out.append(a.detach().float().cpu())
    if not out:  # no images: an empty attribution of the method's shape
        return torch.zeros((0, 1 if method in ("grad_cam", "lan", "lime", "lrp") else x.shape[1], *x.shape[2:]))
    return torch.cat(out)
