"""Guided backpropagation (Springenberg et al. 2015), captum ``GuidedBackprop``.

captum overrides the gradient of ``nn.ReLU`` modules only. EfficientNet-Lite
(and MobileNets) use ``nn.ReLU6``: without help they would get plain gradients
there, i.e. saliency. :func:`relu6_as_relu` swaps each ``nn.ReLU6`` for a
``nn.ReLU`` subclass computing ReLU6 for the duration of the call, so captum's
guided rule (negative gradients zeroed) applies to them too. Functional
activations (``F.relu`` in forward) remain unguided.
"""

from __future__ import annotations

import contextlib
import warnings

import torch.nn.functional as F
from captum.attr import GuidedBackprop
from torch import nn


class _ReLU6AsReLU(nn.ReLU):
    """ReLU6 forward, recognised as a ReLU by captum's guided-backprop hooks."""

    def forward(self, x):
        return F.relu6(x)


@contextlib.contextmanager
def relu6_as_relu(model: nn.Module):
    """Temporarily replace every ``nn.ReLU6`` in ``model`` (restored on exit)."""
    swapped = []
    for parent in model.modules():
        for name, child in list(parent.named_children()):
            if type(child) is nn.ReLU6:
                setattr(parent, name, _ReLU6AsReLU())
                swapped.append((parent, name, child))
    try:
        yield len(swapped)
    finally:
        for parent, name, child in swapped:
            setattr(parent, name, child)


def explain(model, x, target, **_):
    """Guided-backprop attribution; (N, C, H, W)."""
    with warnings.catch_warnings(), relu6_as_relu(model):  # captum warns on every call that it hooks ReLUs
        warnings.filterwarnings("ignore", message="Setting backward hooks on ReLU")
        return GuidedBackprop(model).attribute(x, target=target)
