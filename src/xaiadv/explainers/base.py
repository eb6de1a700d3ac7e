"""Dispatch to one explainer module, batched."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import torch
from tqdm import tqdm

from ..runtime import PASS_IMAGES

METHODS = ("saliency", "integrated_gradients", "guided_backprop", "grad_cam", "expected_gradients", "input_pixels", "lan", "lime", "lrp")
NEEDS_BACKGROUND = ("expected_gradients",)
# an explainer entry's keys that the workflow reads, not the method's ``explain`` (background_size: the explain
# stage draws that many background images for expected gradients)
CONFIG_KEYS = ("method", "stages", "background_size")


def images_per_pass(x: torch.Tensor, cap: int = PASS_IMAGES) -> int:
    """A fast, memory-safe number of images per forward/backward pass: at most about 4M input values (26 ImageNet
    images at 224x224) and at most ``cap`` (:data:`xaiadv.runtime.PASS_IMAGES`; it was 512, and IG went from 0.68
    to ~1.0 of its floor at 64)."""
    return int(min(cap, max(8, 4_000_000 // max(1, x[0].numel()))))


# explainer methods whose spec has a key for the images per forward/backward pass
PASS_BATCH_KEYS = {"integrated_gradients": "internal_batch_size", "expected_gradients": "sample_batch"}


def with_pass_batch(spec: dict, n: int | None) -> dict:
    """``spec`` with its method's per-pass batch key (:data:`PASS_BATCH_KEYS`) set to ``n`` (the model's
    ``batch.explain_pass``) where the explainer entry leaves it unset; other methods and ``n`` None: unchanged."""
    key = PASS_BATCH_KEYS.get(spec["method"])
    if key is None or n is None or spec.get(key) is not None:
        return spec
    return {**spec, key: n}


def source_file(method: str) -> Path:
    """The module implementing ``method`` (a rule input)."""
    if method not in METHODS:
        raise ValueError(f"unknown explainer {method!r}; allowed: {', '.join(METHODS)}")
    return Path(__file__).with_name(f"{method}.py")


def explain(model, x: torch.Tensor, target: torch.Tensor, spec: dict, batch_size: int = 64,
            device: torch.device | str = "cpu", progress: bool = True, **context) -> torch.Tensor:
    """Attributions of ``model`` for ``x`` (N, C, H, W) in [0, 1] and classes ``target`` (N,), by ``spec["method"]``.

    ``spec``: a config entry (``method`` and the method's parameters; the schema's defaults are filled in by
    :func:`xaiadv.config.method_spec`). ``context`` (``background``, ``seed``, ``lan``): objects of the run,
    passed to the methods whose ``explain`` takes them.
    Returns float32 (N, C or 1, H, W) on CPU. Raises ``ValueError`` for an unknown method,
    :class:`xaiadv.config.ConfigError` for a key the method does not read.
    """
    from ..config import method_spec

    source_file(spec["method"])
    spec = method_spec("explainers", spec)
    method = spec["method"]
    mod = importlib.import_module(f"xaiadv.explainers.{method}")
    params = {k: v for k, v in spec.items() if k not in CONFIG_KEYS}
    takes = inspect.signature(mod.explain).parameters
    params.update({k: v for k, v in context.items() if k in takes})
    model.eval().to(device)
    out = []
    for i in tqdm(range(0, len(x), batch_size), desc=f"explain {method}", mininterval=5, disable=not progress):
        xb = x[i:i + batch_size].to(device).requires_grad_(True)
        if "seed" in params:
            params["seed"] = context["seed"] + i
        a = mod.explain(model, xb, target[i:i + batch_size].to(device), **params)
        out.append(a.detach().float().cpu())
    if not out:  # no images: an empty attribution of the method's shape
        return torch.zeros((0, 1 if method in ("grad_cam", "lan", "lime", "lrp") else x.shape[1], *x.shape[2:]))
    return torch.cat(out)
