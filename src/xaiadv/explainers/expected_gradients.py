"""Expected gradients (Erion et al. 2021), the estimator of SHAP's ``GradientExplainer``.

phi(x) = E_{b ~ background, t ~ U(0,1)} [ grad f_c(b + t (x' - b)) * (x - b) ],
x' = x + N(0, local_smoothing^2) noise (the interpolant only, as in shap).
Saito & Wang (2020) call these values "SHAP Integrated Gradients"; the
explained output c is the predicted class (their ``ranked_outputs=1``).

Batched over images and samples in torch: shap loops over images in Python and
feeds one image's samples per batch; the estimator is the same (tests compare
the two with Pearson correlation).

At a layer (``layer``, the authors explain Inception-v3's ``Conv2d_4a_3x3``):
the same estimator on the sub-network after the layer, with x and b replaced
by their layer inputs h(x), h(b). The layers before run once per image and
once per background image, not once per sample. Deviation from shap's
``GradientExplainer((model, layer))``: shap interpolates in pixel space, runs
the whole model per sample and multiplies the layer-input gradient by the
interpolant's layer input h(b + t(x - b)) rather than by h(x) - h(b); ours is
expected gradients of the tail network proper (the test checks it against
shap's explainer run on that tail).
"""

from __future__ import annotations

import torch

_SPLITS: dict = {}  # (id(model), layer) -> (head, tail); one model per job
_BACKGROUND: dict = {}  # (id(model), layer, data_ptr, shape) -> h(background)


def _layer_parts(model, layer: str, background: torch.Tensor, batch: int):
    from .layers import layer_input, split_at

    key = (id(model), layer)
    if key not in _SPLITS:
        _SPLITS.clear()
        _SPLITS[key] = split_at(model, layer)
    head, tail = _SPLITS[key]
    bkey = (*key, background.data_ptr(), tuple(background.shape))
    if bkey not in _BACKGROUND:
        _BACKGROUND.clear()
        _BACKGROUND[bkey] = layer_input(head, background, batch)
    return head, tail, _BACKGROUND[bkey]


def explain(model, x, target, *, background: torch.Tensor, nsamples: int, local_smoothing: float,
            sample_batch: int | None, layer: str | dict | None, seed: int = 0):
    """``x`` (B, C, H, W) in [0, 1]; ``target`` (B,); ``background`` (M, C, H, W) reference images.

    ``layer``: None (attribute to the pixels), a layer name of the model's net, or a mapping
    {arch: layer name} (models whose ``arch`` is not in it are explained at the pixels).
    Returns float32 (B, C, H, W), or (B, *layer input shape) at a layer. ``sample_batch``:
    interpolants per forward/backward pass (default: about 4M input values).
    Raises ``ValueError`` if ``background`` is empty or the layer is not a cut of the model.
    """
    if background is None or len(background) == 0:
        raise ValueError("expected_gradients needs a non-empty background set")
    from .base import images_per_pass

    from .layers import layer_for

    layer = layer_for(layer, getattr(model, "arch", None))
    b = len(x)
    x = x.detach()
    background = background.to(x.device)
    f = model
    if layer:
        head, f, background = _layer_parts(model, layer, background, images_per_pass(x))
        x = head(x).detach() if b else x
    g = torch.Generator().manual_seed(seed)
    rind = torch.randint(len(background), (b, nsamples), generator=g)
    t = torch.rand(b, nsamples, generator=g)
    noise_g = torch.Generator(device=x.device).manual_seed(seed + 1)  # smoothing noise drawn where x lives
    phi = torch.zeros_like(x)
    sample_batch = sample_batch or images_per_pass(x)
    per_pass = max(1, sample_batch // max(b, 1))  # samples per image per pass
    for s in range(0, nsamples, per_pass):
        e = min(s + per_pass, nsamples)
        k = e - s
        bg = background[rind[:, s:e].to(background.device)]  # (B, k, *shape)
        tt = t[:, s:e].to(x.device).view(b, k, *([1] * (x.dim() - 1)))
        xs = x[:, None].expand_as(bg)
        if local_smoothing > 0:
            xs = xs + local_smoothing * torch.randn(xs.shape, generator=noise_g, device=x.device)
        pts = (bg + tt * (xs - bg)).reshape(b * k, *x.shape[1:]).requires_grad_(True)
        out = f(pts)
        sel = out.gather(1, target.repeat_interleave(k)[:, None].to(out.device)).sum()
        (grad,) = torch.autograd.grad(sel, pts)
        phi += (grad.view(b, k, *x.shape[1:]) * (x[:, None] - bg)).sum(1)
    return phi / nsamples
