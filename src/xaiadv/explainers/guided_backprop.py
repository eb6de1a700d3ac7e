"""Guided backpropagation (Springenberg et al. 2015), captum ``GuidedBackprop``.

captum overrides the gradient of ``nn.ReLU`` modules only; models whose
activations are functional calls or other modules (e.g. EfficientNet-Lite's
ReLU6) get plain gradients through those.
"""

from __future__ import annotations

import warnings

from captum.attr import GuidedBackprop


def explain(model, x, target, **_):
    """Guided-backprop attribution; (N, C, H, W)."""
    with warnings.catch_warnings():  # captum warns on every call that it hooks ReLUs
        warnings.filterwarnings("ignore", message="Setting backward hooks on ReLU")
        return GuidedBackprop(model).attribute(x, target=target)
