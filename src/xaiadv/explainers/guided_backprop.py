"""Guided backpropagation (Springenberg et al. 2015), captum ``GuidedBackprop``.

captum overrides the gradient of ``nn.ReLU`` modules only. EfficientNet-Lite
(and MobileNets) use ``nn.ReLU6``: without help they would get plain gradients
there, i.e. saliency. :func:`relu6_as_relu` swaps each ``nn.ReLU6`` for a
``nn.ReLU`` subclass computing ReLU6 for the duration of the call, so captum's
guided rule (negative gradients zeroed) applies to them too. Functional
activations are invisible to module hooks: torchvision's Inception-v3 calls
``F.relu`` in every ``BasicConv2d``, so a hook-only guided backprop silently
returns the plain gradient there. :func:`guided_functional_relu` replaces
``torch.nn.functional.relu`` and ``torch.relu`` for the duration of the call
by a ReLU whose backward pass is the guided one.
"""

from __future__ import annotations

import contextlib
import warnings

import torch
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


class _GuidedReLU(torch.autograd.Function):
    """ReLU forward; backward passes a gradient only where both the input and the gradient are positive."""

    @staticmethod
    def forward(ctx, x):
        out = x.clamp(min=0)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad.clamp(min=0) * (out > 0)


@contextlib.contextmanager
def guided_functional_relu():
    """Within the block ``F.relu`` / ``torch.relu`` (and so every ``nn.ReLU``) backpropagate the guided way.
    ``inplace=True`` calls get a new tensor (their callers use the return value). Restored on exit."""
    orig_f, orig_t = F.relu, torch.relu

    def relu(input, inplace=False):  # noqa: A002 (torch's argument name)
        return _GuidedReLU.apply(input)

    F.relu, torch.relu = relu, relu
    try:
        yield
    finally:
        F.relu, torch.relu = orig_f, orig_t


def explain(model, x, target):
    """Guided-backprop attribution (Springenberg et al. 2015) of ``target`` (N,) for ``x`` (N, C, H, W) in
    [0, 1]; (N, C, H, W), every ReLU of the model guided (modules, ReLU6 modules and functional calls)."""
    with warnings.catch_warnings(), relu6_as_relu(model), guided_functional_relu():  # captum warns on every call that it hooks ReLUs
        warnings.filterwarnings("ignore", message="Setting backward hooks on ReLU")
        return GuidedBackprop(model).attribute(x, target=target)
