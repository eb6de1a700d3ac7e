"""CAM-based rectifiers (Kao et al. 2021): Grad-CAM or Integrated Grad-CAM of the adversarial label at
the last convolutional layer; the key area is the heatmap at or above ``intensity`` (heatmap scaled to
[0, 1] per image); ``percentage`` of the key-area pixels, drawn at random, are deleted (set to 0) or
replaced by the Gaussian-blurred image; ``repeats`` draws, final label by majority vote.

Integrated Grad-CAM (Sattarzadeh et al. 2021): Grad-CAM's gradient replaced by the path integral of
the gradient from a black baseline, i.e. channel weights w_k = sum_ij IG_k,ij at the layer (captum's
``LayerIntegratedGradients``: (A(x) - A(0)) times the mean gradient on the straight path), heatmap
ReLU(sum_k w_k A_k(x)).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..runtime import PASS_IMAGES
from .filters import gaussian_blur


def heatmap(model, x: torch.Tensor, label: torch.Tensor, cam: str = "grad_cam", n_steps: int = 20) -> torch.Tensor:
    """(N, 1, H, W) in [0, 1]: the CAM of class ``label`` (N,) for ``x`` (N, C, H, W), bilinearly upsampled and
    divided by its per-image maximum (all-zero maps stay 0). ``cam``: "grad_cam" or "ig_grad_cam".
    Raises ``ValueError`` for another ``cam``."""
    from captum.attr import LayerActivation, LayerGradCam, LayerIntegratedGradients

    from ..explainers.base import images_per_pass

    # IG's path images per pass: images_per_pass (64 MNIST digits, 26 ImageNet images), not 4 x the batch: 136
    # EfficientNet-Lite0 images per pass took 12.7 GB and was killed on a 24 GB VM (config/reference.yaml's
    # rectify_clean), and on MNIST 64 ran 1.7x faster than 256 (0.57 vs 0.95 s for 64 digits x 20 steps, 1 thread)
    layer = model.cam_layer
    if cam == "grad_cam":
        m = LayerGradCam(model, layer).attribute(x, target=label, relu_attributions=True)
    elif cam == "ig_grad_cam":
        ig = LayerIntegratedGradients(model, layer).attribute(x, baselines=torch.zeros_like(x), target=label,
                                                              n_steps=n_steps, internal_batch_size=images_per_pass(x))
        act = LayerActivation(model, layer).attribute(x)
        w = ig.sum(dim=(2, 3), keepdim=True)
        m = F.relu((w * act).sum(1, keepdim=True))
    else:
        raise ValueError(f"cam = {cam!r}: allowed grad_cam, ig_grad_cam")
    m = F.interpolate(m.detach(), size=x.shape[-2:], mode="bilinear", align_corners=False)
    peak = m.flatten(1).amax(1).clamp_min(1e-12).view(-1, 1, 1, 1)
    return (m / peak).clamp(0, 1)


def select(key: torch.Tensor, percentage: float, repeats: int, generator: torch.Generator) -> torch.Tensor:
    """(repeats, N, 1, H, W) bool: for each repeat, round(``percentage`` x |key area|) pixels of the key area
    ``key`` (N, 1, H, W) bool, drawn uniformly at random without replacement."""
    n = key.shape[0]
    flat = key.view(n, -1).cpu()
    r = torch.rand((repeats, *flat.shape), generator=generator)
    r[:, ~flat] = 2.0  # outside the key area: never among the k smallest
    k = (percentage * flat.sum(1)).round().long()  # (N,)
    srt = r.sort(-1).values
    thr = srt.gather(-1, (k - 1).clamp_min(0).view(1, n, 1).expand(repeats, n, 1))
    chosen = (r <= thr) & flat[None] & (k > 0).view(1, n, 1)
    return chosen.view(repeats, *key.shape).to(key.device)


def rectify(model, x, label, *, generator: torch.Generator, cam: str, fill: str, intensity: float, percentage: float,
            repeats: int, n_steps: int, blur_kernel: int, blur_sigma: float, cache: dict | None = None):
    """(repeats, N, C, H, W) in [0, 1]. ``fill``: "gaussian" (blurred pixels) or "deletion" (zeros);
    ``intensity``, ``percentage`` in [0, 1]. ``cache``: a dict the caller keeps for this very ``x`` (and label):
    the heatmap and fill image, deterministic, are computed on the first call and reused by the next (the
    adaptive attack's EOT draws of one step differ only in the key-area draws). Raises ``ValueError`` for another
    ``fill``."""
    if cache is not None and "maps" in cache:
        hm, fill_img = cache["maps"]
    else:
        hm, fill_img = _heatmap_and_fill(model, x, label, cam, fill, n_steps, blur_kernel, blur_sigma)
        if cache is not None:
            cache["maps"] = (hm, fill_img)
    chosen = select(hm >= intensity, percentage, repeats, generator)
    return torch.where(chosen, fill_img[None], x[None])


def _heatmap_and_fill(model, x, label, cam, fill, n_steps, blur_kernel, blur_sigma):
    """The heatmap (N, 1, H, W) and the replacement image (N, C, H, W) of :func:`rectify` and :func:`grid`."""
    if fill not in ("gaussian", "deletion"):
        raise ValueError(f"fill = {fill!r}: allowed gaussian, deletion")
    with torch.enable_grad():
        hm = heatmap(model, x.detach(), label, cam, n_steps)
    return hm, gaussian_blur(x, blur_kernel, blur_sigma) if fill == "gaussian" else torch.zeros_like(x)


def grid(model, x, label, y, *, generator: torch.Generator, intensities, percentages, cam: str, fill: str, repeats: int,
         n_steps: int, blur_kernel: int, blur_sigma: float, batch: int = PASS_IMAGES) -> torch.Tensor:
    """Kao et al. Figures 6-7: rectified accuracy of the CAM rectifier over an intensity x percentage grid.

    ``x`` (N, C, H, W) in [0, 1] with current labels ``label`` (N,) and true labels ``y`` (N,); the heatmap and
    the fill image are computed once, then every (intensity, percentage) cell draws ``repeats`` random choices
    and votes as :func:`rectify`. Returns hits (len(intensities), len(percentages), N) bool: voted label == y.
    Raises ``ValueError`` for an unknown ``cam`` or ``fill``."""
    from .base import predict, vote

    hm, fill_img = _heatmap_and_fill(model, x, label, cam, fill, n_steps, blur_kernel, blur_sigma)
    hits = torch.zeros(len(intensities), len(percentages), len(x), dtype=torch.bool)
    for i, level in enumerate(intensities):
        key = hm >= level
        for j, pct in enumerate(percentages):
            chosen = select(key, pct, repeats, generator)
            pred = predict(model, torch.where(chosen, fill_img[None], x[None]), batch)
            hits[i, j] = vote(pred, int(pred.max()) + 1) == y.cpu()
    return hits
