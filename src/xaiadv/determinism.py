"""Deterministic forms of the ops the stages differentiate that have no deterministic CUDA backward.

With ``deterministic: true`` (config) :func:`xaiadv.runtime.setup` turns on
``torch.use_deterministic_algorithms(True)`` without ``warn_only``, so such an op fails the job instead of
changing a success flag between reruns. PyTorch raises for these backward passes on CUDA (its
``use_deterministic_algorithms`` docstring): bilinear ``interpolate`` (I-GOS's mask upsampling), adaptive average
pooling (the pooling head of ResNet-50, Inception-v3, VGG19, EfficientNet-Lite0) and reflection padding (the
Gaussian blur of I-GOS's baseline and of Heat and Blur). Each is linear and separable, so here it is a product
with small matrices (``A_h @ x @ A_w.T``) or an ``index_select``, whose CUDA backward is deterministic: the same
numbers up to floating-point summation order. The replacements run only in that strict mode on a CUDA tensor;
everywhere else the original op runs, so CPU outputs are unchanged.
"""

from __future__ import annotations

import functools
import math

import torch
import torch.nn.functional as F
from torch import nn


def strict(t: torch.Tensor) -> bool:
    """True when ``t`` is on CUDA and deterministic algorithms are enforced (not ``warn_only``)."""
    return (t.is_cuda and torch.are_deterministic_algorithms_enabled()
            and not torch.is_deterministic_algorithms_warn_only_enabled())


@functools.lru_cache(maxsize=64)
def _interp_matrix(n_in: int, n_out: int, align_corners: bool, device: str) -> torch.Tensor:
    """(n_out, n_in) float32: 1-D linear interpolation as PyTorch's bilinear mode computes it (obtained by
    interpolating the unit vectors with ``F.interpolate``'s forward, which is deterministic)."""
    eye = torch.eye(n_in, device=device).view(n_in, 1, n_in, 1)
    cols = F.interpolate(eye, size=(n_out, 1), mode="bilinear", align_corners=align_corners)
    return cols.view(n_in, n_out).T.contiguous()


def bilinear_upsample(m: torch.Tensor, size: tuple[int, int], align_corners: bool) -> torch.Tensor:
    """``F.interpolate(m, size, mode="bilinear", align_corners=...)`` for ``m`` (N, C, h, w); in strict mode
    on CUDA the separable product ``A_h @ m @ A_w.T`` (same values, deterministic backward)."""
    if not strict(m):
        return F.interpolate(m, size=size, mode="bilinear", align_corners=align_corners)
    a_h = _interp_matrix(m.shape[-2], int(size[0]), align_corners, str(m.device)).to(m.dtype)
    a_w = _interp_matrix(m.shape[-1], int(size[1]), align_corners, str(m.device)).to(m.dtype)
    return a_h @ m @ a_w.T


@functools.lru_cache(maxsize=64)
def _pool_matrix(n_in: int, n_out: int, device: str) -> torch.Tensor:
    """(n_out, n_in): row i averages input cells floor(i n_in / n_out) .. ceil((i + 1) n_in / n_out) - 1, the
    windows of ``adaptive_avg_pool``."""
    p = torch.zeros(n_out, n_in, device=device)
    for i in range(n_out):
        lo, hi = (i * n_in) // n_out, math.ceil((i + 1) * n_in / n_out)
        p[i, lo:hi] = 1.0 / (hi - lo)
    return p


class AdaptiveAvgPool2d(nn.AdaptiveAvgPool2d):
    """``nn.AdaptiveAvgPool2d`` whose strict-mode CUDA path is ``P_h @ x @ P_w.T`` (deterministic backward)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not strict(x):
            return super().forward(x)
        size = self.output_size if isinstance(self.output_size, (tuple, list)) else (self.output_size,) * 2
        oh, ow = (x.shape[-2] if size[0] is None else size[0]), (x.shape[-1] if size[1] is None else size[1])
        p_h = _pool_matrix(x.shape[-2], int(oh), str(x.device)).to(x.dtype)
        p_w = _pool_matrix(x.shape[-1], int(ow), str(x.device)).to(x.dtype)
        return p_h @ x @ p_w.T


def make_deterministic(model: nn.Module) -> nn.Module:
    """Replace every ``nn.AdaptiveAvgPool2d`` in ``model`` (in place) by :class:`AdaptiveAvgPool2d` (no weights:
    the state dict is unchanged). Returns ``model``."""
    for name, child in list(model.named_children()):
        if type(child) is nn.AdaptiveAvgPool2d:
            setattr(model, name, AdaptiveAvgPool2d(child.output_size))
        else:
            make_deterministic(child)
    return model


def reflect_pad(x: torch.Tensor, pad: tuple[int, int, int, int]) -> torch.Tensor:
    """``F.pad(x, pad, mode="reflect")`` for ``x`` (N, C, H, W), ``pad`` = (left, right, top, bottom); in strict
    mode on CUDA by ``index_select`` (deterministic backward)."""
    if not strict(x):
        return F.pad(x, list(pad), mode="reflect")
    left, right, top, bottom = pad

    def index(n: int, a: int, b: int) -> torch.Tensor:
        i = torch.arange(-a, n + b, device=x.device).abs()
        return torch.where(i >= n, 2 * (n - 1) - i, i)

    return x.index_select(-1, index(x.shape[-1], left, right)).index_select(-2, index(x.shape[-2], top, bottom))


def gaussian_blur(x: torch.Tensor, kernel: int, sigma: float) -> torch.Tensor:
    """torchvision's ``gaussian_blur(x, [kernel] * 2, [sigma] * 2)`` (reflect padding, normalised 1-D Gaussian
    ``exp(-t^2 / 2 sigma^2)`` at t = -(k-1)/2 .. (k-1)/2, outer product) written with :func:`reflect_pad`."""
    half = (kernel - 1) * 0.5
    t = torch.linspace(-half, half, steps=kernel, device=x.device, dtype=x.dtype)
    k1 = torch.exp(-0.5 * (t / sigma).pow(2))
    k1 = k1 / k1.sum()
    k2 = (k1[:, None] * k1[None, :]).expand(x.shape[1], 1, kernel, kernel)
    p = kernel // 2
    return F.conv2d(reflect_pad(x, (p, p, p, p)), k2, groups=x.shape[1])
