"""Dispatch, repeats and evaluation of rectifiers."""

from __future__ import annotations

import importlib
from pathlib import Path

import torch
from tqdm import tqdm

from ..runtime import PASS_IMAGES

METHODS = ("igos", "cam", "jpeg", "blur", "random_deletion", "dae", "heat_and_blur")
AGGREGATE = {"igos": "vote", "cam": "vote", "jpeg": "vote", "blur": "vote", "random_deletion": "mean", "dae": "vote",
             "heat_and_blur": "vote"}


def source_file(method: str) -> Path:
    """The module implementing ``method`` (a rule input). Raises ``ValueError`` for an unknown method."""
    if method not in METHODS:
        raise ValueError(f"unknown rectifier {method!r}; allowed: {', '.join(METHODS)}")
    return Path(__file__).with_name(f"{method}.py")


def method_params(spec: dict) -> dict:
    """A rectifier spec's keyword arguments for its method's ``rectify``: without ``method``, the config's
    data-set keys and the keys another stage reads (the method module's ``CONFIG_ONLY``, e.g. the ``dae``
    method's training parameters, read by train_denoiser)."""
    mod = importlib.import_module(f"xaiadv.rectifiers.{spec['method']}")
    skip = ("method", "datasets", "per_dataset", *getattr(mod, "CONFIG_ONLY", ()))
    return {k: v for k, v in spec.items() if k not in skip}


def rectify(model, x: torch.Tensor, label: torch.Tensor, spec: dict, *, seed: int = 0,
            extra: dict | None = None) -> torch.Tensor:
    """Rectified versions of ``x`` (N, C, H, W) in [0, 1] whose current label is ``label`` (N,), by
    ``spec["method"]`` with the spec's parameters: (R, N, C, H, W) float32 in [0, 1]. ``extra``: objects
    a method needs beyond its config (the ``dae`` method's trained ``denoiser``). ``spec``'s defaults come from
    the schema (:func:`xaiadv.config.method_spec`); raises :class:`xaiadv.config.ConfigError` for a key the
    method does not read."""
    from ..config import method_spec

    source_file(spec["method"])
    spec = method_spec("rectifiers", spec)
    method = spec["method"]
    mod = importlib.import_module(f"xaiadv.rectifiers.{method}")
    params = method_params(spec)
    g = torch.Generator(device="cpu").manual_seed(seed)
    return mod.rectify(model, x, label, generator=g, **params, **(extra or {}))


@torch.no_grad()
def predict(model, xs: torch.Tensor, batch: int = PASS_IMAGES, with_logits: bool = False):
    """Labels of (R, N, C, H, W) images: (R, N) int64; with ``with_logits`` also their logits averaged over the R
    repeats, (N, classes) float32 (for NDCG, Brama & Grinshpoun 2020). ``batch``: images per forward pass
    (:data:`xaiadv.runtime.PASS_IMAGES`)."""
    flat = xs.reshape(-1, *xs.shape[2:])
    logits = torch.cat([model(flat[i:i + batch]) for i in range(0, len(flat), batch)])
    pred = logits.argmax(1).view(xs.shape[0], xs.shape[1]).cpu()
    if not with_logits:
        return pred
    return pred, logits.view(xs.shape[0], xs.shape[1], -1).mean(0).float().cpu()


def vote(pred: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Majority label over repeats: (R, N) -> (N,); ties go to the lowest label."""
    counts = torch.zeros(pred.shape[1], num_classes, dtype=torch.long)
    counts.scatter_add_(1, pred.T, torch.ones_like(pred.T))
    return counts.argmax(1)


def evaluate(model, x: torch.Tensor, label: torch.Tensor, y: torch.Tensor, spec: dict, *, batch_size: int = 64,
             seed: int = 0, device="cpu", progress: bool = True, extra: dict | None = None) -> dict:
    """Rectify ``x`` in batches and score it against the true labels ``y``.

    Returns {"hits": bool (N,) (voted label == y, or for "mean" methods the per-repeat hits (R, N)),
    "pred": (N,) or (R, N) labels, "aggregate": "vote" | "mean", "logits": (N, classes) the rectified images'
    logits averaged over repeats}.
    """
    agg = AGGREGATE[spec["method"]]
    preds, logits = [], []
    for i in tqdm(range(0, len(x), batch_size), desc=f"rectify {spec['method']}", mininterval=5, disable=not progress):
        xb = x[i:i + batch_size].to(device)
        xs = rectify(model, xb, label[i:i + batch_size].to(device), spec, seed=seed + i, extra=extra)
        p, lg = predict(model, xs, with_logits=True)
        preds.append(p)
        logits.append(lg)
    pred = torch.cat(preds, 1) if preds else torch.zeros(1, 0, dtype=torch.long)
    logits = torch.cat(logits) if logits else torch.zeros(0, 1)
    if agg == "vote":
        voted = vote(pred, int(pred.max()) + 1 if pred.numel() else 1)  # labels above the largest seen get no votes
        return {"hits": voted == y, "pred": voted, "aggregate": agg, "logits": logits}
    return {"hits": pred == y[None], "pred": pred, "aggregate": agg, "logits": logits}
