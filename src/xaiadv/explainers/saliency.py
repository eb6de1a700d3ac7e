"""Vanilla gradient saliency (Simonyan et al. 2014), captum ``Saliency``."""

from __future__ import annotations

from captum.attr import Saliency


def explain(model, x, target, *, abs: bool):
    """|d logit_target / d x| (or signed if ``abs`` is False); (N, C, H, W)."""
    return Saliency(model).attribute(x, target=target, abs=abs)
