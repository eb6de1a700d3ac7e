"""Expected gradients (Erion et al. 2021), the estimator of SHAP's ``GradientExplainer``.

phi(x) = E_{b ~ background, t ~ U(0,1)} [ grad f_c(b + t (x' - b)) * (x - b) ],
x' = x + N(0, local_smoothing^2) noise (the interpolant only, as in shap).
Saito & Wang (2020) call these values "SHAP Integrated Gradients"; the
explained output c is the predicted class (their ``ranked_outputs=1``).

Batched over images and samples in torch: shap loops over images in Python and
feeds one image's samples per batch; the estimator is the same (tests compare
the two with Pearson correlation).
"""

from __future__ import annotations

import torch


def explain(model, x, target, *, background: torch.Tensor, nsamples: int = 200, local_smoothing: float = 0.0,
            sample_batch: int | None = None, seed: int = 0, **_):
    """``x`` (B, C, H, W) in [0, 1]; ``target`` (B,); ``background`` (M, C, H, W) reference images.

    Returns (B, C, H, W) float32. ``sample_batch``: interpolants per forward/backward pass (default: about 4M input values).
    Raises ``ValueError`` if ``background`` is empty.
    """
    if background is None or len(background) == 0:
        raise ValueError("expected_gradients needs a non-empty background set")
    b = len(x)
    g = torch.Generator().manual_seed(seed)
    rind = torch.randint(len(background), (b, nsamples), generator=g)
    t = torch.rand(b, nsamples, generator=g)
    noise_g = torch.Generator().manual_seed(seed + 1)
    x = x.detach()
    background = background.to(x.device)
    phi = torch.zeros_like(x)
    from .base import images_per_pass

    sample_batch = sample_batch or images_per_pass(x)
    per_pass = max(1, sample_batch // max(b, 1))  # samples per image per pass
    for s in range(0, nsamples, per_pass):
        e = min(s + per_pass, nsamples)
        k = e - s
        bg = background[rind[:, s:e].to(background.device)]  # (B, k, C, H, W)
        tt = t[:, s:e].to(x.device).view(b, k, 1, 1, 1)
        xs = x[:, None].expand_as(bg)
        if local_smoothing > 0:
            xs = xs + local_smoothing * torch.randn(xs.shape, generator=noise_g).to(x.device)
        pts = (bg + tt * (xs - bg)).reshape(b * k, *x.shape[1:]).requires_grad_(True)
        out = model(pts)
        sel = out.gather(1, target.repeat_interleave(k)[:, None].to(out.device)).sum()
        (grad,) = torch.autograd.grad(sel, pts)
        phi += (grad.view(b, k, *x.shape[1:]) * (x[:, None] - bg)).sum(1)
    return phi / nsamples
