"""Integrated gradients (Sundararajan et al. 2017), captum ``IntegratedGradients``, black baseline."""

from __future__ import annotations

from captum.attr import IntegratedGradients


def explain(model, x, target, *, n_steps: int, internal_batch_size: int | None):
    """(x - 0) * mean gradient on the straight path from 0 (Gauss-Legendre, ``n_steps``); (N, C, H, W).

    ``internal_batch_size``: images per forward/backward pass (default: 4 x the batch, at most
    about 4M input values).
    """
    from .base import images_per_pass

    ibs = internal_batch_size or min(4 * len(x), images_per_pass(x))
    return IntegratedGradients(model).attribute(x, target=target, n_steps=n_steps, internal_batch_size=ibs)
