"""I-GOS (Qi, Khorram & Li 2019/2020) and Kao et al.'s I-GOS rectifier (Kao et al. 2021, Eq. 3).

I-GOS finds a low-resolution mask M in [0, 1] (bilinearly upsampled) minimising (paper Eq. 2)

    f_c(I * M + I_blur * (1 - M)) + l1 * mean|1 - M| + tv * TV_beta(M)

with f_c the softmax score of class c and I_blur the Gaussian-blurred image, by descending along the
*integrated* gradient of f_c over the mask path (t/N) M, t = 1..N (``ig_iter``), with Gaussian noise
on each path image, and a backtracking (Armijo) line search for the step. Faithful to the reference
implementation (``Integrated_Mask``, github.com/zhongangqi/IGOS): 15 iterations, 20 path points,
l1 = 0.01 * 300, tv = 0.2 * 300, TV exponent 2, step from 200 down by x0.2 while
loss(new) > loss(old) - 1e-4 * step * ||g||^2 (stops below 1e-5), Gaussian noise on every path image in
the model's normalised input space (``noise_form``, below), and its l1 schedule: at iteration int(iters / 2) l1 /= 10 if the class score
has moved <= 0.001 since the start, at int(iters / 1.25) l1 /= 5 if it has moved <= 0.01.
Ours is batched over images (per-image steps and schedules) and runs on CPU or GPU.

The path noise, ``noise_form``:

* ``"reference"`` (default): what the reference code computes. Its line
  ``noise = noise + cv2.randn(noise, 0, 0.2)`` on an H x W x 3 float32 array fills only the first channel
  (OpenCV reads the scalar 0.2 as the per-channel std (0.2, 0, 0, 0)) and, since ``cv2.randn`` fills
  ``noise`` in place and returns it, the sum doubles it: N(0, (2 * 0.2)^2) on the first input channel and
  no noise on the others (measured with OpenCV 4.10 and 5.0).
* ``"documented"``: N(0, 0.2^2) on every channel, as the reference's comment and the I-GOS paper describe it.

With the documented noise the integrated gradient of a saturated adversarial class was ~8x smaller and
the mask barely moved (issue 10: on 6 EfficientNet-Lite0 ImageNet images the first-iteration gradient norm
was 0.0074 vs the reference's 0.060).

Kao's rectifier (Eq. 3): the "no-penalty" objective (l1 = tv = 0), the mask of the adversarial image
for its adversarial label, iterations stopped for an image once its adversarial-class probability of the
composite has dropped to ``stop_prob``; rectified image phi = I_a * M + I_g * (1 - M), I_g the
Gaussian-blurred adversarial image. ``jpeg_quality``: JPEG-compress first ("I-GOS with JPEG").
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..determinism import bilinear_upsample
from .filters import gaussian_blur, jpeg


def tv_norm(m: torch.Tensor, beta: float = 2.0) -> torch.Tensor:
    """Total variation of masks ``m`` (B, 1, s, s): mean |vertical diff|^beta + mean |horizontal diff|^beta, (B,)."""
    a = (m[:, 0, :-1, :] - m[:, 0, 1:, :]).abs().pow(beta).flatten(1).mean(1)
    b = (m[:, 0, :, :-1] - m[:, 0, :, 1:]).abs().pow(beta).flatten(1).mean(1)
    return a + b


NOISE_FORMS = ("reference", "documented")


def _noise_std(model, x: torch.Tensor, noise: float, form: str = "reference") -> torch.Tensor:
    """Per-channel std (1, C, 1, 1) on the [0, 1] scale of the path noise: ``noise`` is a std in the model's
    normalised input space, as in the reference. ``form`` "reference": 2 * noise on the first channel, 0 on
    the others (what its ``cv2.randn`` line computes); "documented": ``noise`` on every channel.
    Raises ``ValueError`` for another ``form``."""
    if form not in NOISE_FORMS:
        raise ValueError(f"I-GOS noise_form {form!r}: must be one of {', '.join(NOISE_FORMS)}")
    c = x.shape[1]
    per = torch.full((c,), float(noise), dtype=x.dtype, device=x.device)
    if form == "reference":
        per = torch.zeros_like(per)
        per[0] = 2.0 * float(noise)
    std = getattr(getattr(model, "normalize", None), "std", None)
    if std is not None:
        per = per * std.to(device=x.device, dtype=x.dtype).flatten().expand(c)
    return per.view(1, c, 1, 1)


def default_batch(x: torch.Tensor) -> int:
    """Path images per forward+backward pass for inputs like ``x`` (N, C, H, W): 512 on a GPU; on a CPU
    about 2**17 input pixels per pass, at most 128 images (128 MNIST digits, 2 images at 224 x 224), where
    benchmarks/bench_igos.py measured the fastest pass per image (cache-bound: larger batches were up to
    2.5x slower per image on EfficientNet-Lite0)."""
    if x.is_cuda:
        return 512
    return max(1, min(128, 2 ** 17 // (x.shape[-1] * x.shape[-2])))


def igos_mask(model, x: torch.Tensor, baseline: torch.Tensor, label: torch.Tensor, *, mask_size: int = 28,
              iterations: int = 15, ig_iter: int = 20, l1: float = 3.0, tv: float = 60.0, tv_beta: float = 2.0,
              noise: float = 0.2, noise_form: str = "reference", objective: str = "prob", step_max: float = 200.0, armijo: float = 1e-4, decay: float = 0.2,
              min_step: float = 1e-5, l1_schedule: bool = True, stop_prob: float | None = None,
              batch: int | None = None, generator: torch.Generator | None = None):
    """I-GOS masks for ``x`` (B, C, H, W) in [0, 1], baseline images ``baseline`` (same shape) and classes
    ``label`` (B,). Returns ``(mask, score, iters)``: mask (B, 1, mask_size, mask_size) in [0, 1]; the class
    probability of the final composite (B,); iterations run per image (B,) int64.
    ``stop_prob``: stop an image once its composite's class probability is <= this (Kao); None: all iterations.
    ``noise`` / ``noise_form``: the path noise (module docstring; "reference" = the reference code's effective
    noise). ``objective``: "prob" (the reference: the softmax probability of the class) or "log_prob" (its log,
    beyond the reference: no vanishing gradient where the softmax saturates at 1); the stop test always
    compares the probability with ``stop_prob``. ``batch``: path images per forward+backward pass (None: :func:`default_batch`); it changes speed,
    not the result beyond floating-point summation order."""
    b, c, h, w = x.shape
    dev = x.device
    x, baseline = x.detach(), baseline.detach()
    up = lambda m: bilinear_upsample(m, (h, w), align_corners=True)  # noqa: E731 (UpsamplingBilinear2d)
    sigma = _noise_std(model, x, noise, noise_form)
    if objective not in ("prob", "log_prob"):
        raise ValueError(f"I-GOS objective {objective!r}: must be prob or log_prob")
    score = (lambda z: F.softmax(z, 1)) if objective == "prob" else (lambda z: F.log_softmax(z, 1))  # noqa: E731
    stop = None if stop_prob is None else (stop_prob if objective == "prob" else float(torch.tensor(stop_prob).log()))
    rows = torch.arange(b, device=dev)

    def prob(m, idx):  # class probability of the composite with masks m for images idx, no grad
        with torch.no_grad():
            um = up(m)
            return score(model(x[idx] * um + baseline[idx] * (1 - um)))[rows[: len(idx)], label[idx]]

    def reg(m, idx):
        return l1s[idx] * (1 - m).abs().flatten(1).mean(1) + tv * tv_norm(m, tv_beta)

    mask = torch.ones(b, 1, mask_size, mask_size, device=dev)
    l1s = torch.full((b,), float(l1), device=dev)
    p_first = prob(mask, rows)
    p_cur = p_first.clone()  # class probability of each image's current composite (reused, not recomputed)
    history = [p_first]  # reference: curve2 = [p_0, p_0, p_1, ...], so curve2[i] = p_(i-1)
    iters = torch.zeros(b, dtype=torch.long, device=dev)
    active = torch.ones(b, dtype=torch.bool, device=dev)
    if stop is not None:
        active &= p_first > stop
    ts = torch.arange(1, ig_iter + 1, device=dev, dtype=x.dtype) / ig_iter
    per = batch or default_batch(x)
    if generator is not None and dev.type != "cpu" and generator.device.type == "cpu":
        # path noise drawn on the model's device (not on the CPU and copied per chunk), seeded from ``generator``
        seed = int(torch.randint(2**62, (1,), generator=generator))
        generator = torch.Generator(device=dev).manual_seed(seed)
    for i in range(iterations):
        idx = active.nonzero().flatten()
        if len(idx) == 0:
            break
        n = len(idx)
        m = mask[idx].clone().requires_grad_(True)
        p_ori = p_cur[idx]
        loss_ori = reg(m, idx).detach() + p_ori
        # integrated gradient of the class score along the mask path: the n x ig_iter path images are
        # cut into chunks of ``per`` path images whatever the image boundaries (the fastest forward+backward
        # batch depends on the model, not on ig_iter; see benchmarks/bench_igos.py)
        grad = torch.autograd.grad(reg(m, idx).sum(), m)[0]
        img = torch.arange(n, device=dev).repeat_interleave(ig_iter)
        tt = ts.repeat(n)
        for s in range(0, n * ig_iter, per):
            j, t = img[s:s + per], tt[s:s + per]
            ms = m.detach().requires_grad_(True)
            um = up(ms[j]) * t.view(-1, 1, 1, 1)
            path = x[idx[j]] * um + baseline[idx[j]] * (1 - um)
            path = path + sigma * torch.randn(path.shape, generator=generator, device=dev)
            out = score(model(path)).gather(1, label[idx[j]].view(-1, 1))
            grad += torch.autograd.grad(out.sum() / ig_iter, ms)[0]
        # backtracking line search (revised Armijo), per image
        step = torch.full((n,), float(step_max), device=dev)
        g2 = grad.pow(2).flatten(1).sum(1)
        todo = torch.ones(n, dtype=torch.bool, device=dev)
        p_new = torch.full((n,), float("nan"), device=dev)  # probability at the accepted step
        while True:
            k = todo.nonzero().flatten()
            cand = (m[k].detach() - step[k].view(-1, 1, 1, 1) * grad[k]).clamp(0, 1)
            p_ls = prob(cand, idx[k])
            bad = reg(cand, idx[k]) + p_ls > loss_ori[k] - armijo * step[k] * g2[k]
            todo[k] = bad
            p_new[k[~bad]] = p_ls[~bad]
            if not bad.any():
                break
            step[k[bad]] *= decay
            todo &= step >= min_step  # the reference stops shrinking below 1e-5 (after one more shrink)
            if not todo.any():
                break
        mask[idx] = (m.detach() - step.view(-1, 1, 1, 1) * grad).clamp(0, 1)
        unknown = p_new.isnan()  # line search gave up: the final (shrunk) step was never evaluated
        if unknown.any():
            p_new[unknown] = prob(mask[idx[unknown]], idx[unknown])
        p_cur[idx] = p_new
        iters[idx] += 1
        history.append(torch.zeros(b, device=dev).index_copy(0, idx, p_ori))
        if l1_schedule and iterations > 3 and i > 0:
            moved = (p_first - history[i]).abs()  # curve2[0] vs curve2[i] = p_(i-1)
            if i == int(iterations / 2):
                l1s[idx] = torch.where(moved[idx] <= 0.001, l1s[idx] / 10, l1s[idx])
            elif i == int(iterations / 1.25):
                l1s[idx] = torch.where(moved[idx] <= 0.01, l1s[idx] / 5, l1s[idx])
        if stop is not None:
            active[idx] = p_new > stop
    return mask, (p_cur if objective == "prob" else p_cur.exp()), iters


def rectify(model, x, label, *, generator: torch.Generator, mask_size: int, iterations: int, ig_iter: int, l1: float,
            tv: float, stop_prob: float | None, blur_kernel: int, blur_sigma: float, jpeg_quality: int | None,
            noise: float, noise_form: str, objective: str, path_batch: int | None = None):
    """Kao's I-GOS rectifier: (1, N, C, H, W) in [0, 1], phi = I_a * M + I_g * (1 - M) for ``x`` (N, C, H, W)
    in [0, 1] and its (adversarial) ``label`` (N,). Defaults: the no-penalty objective (l1 = tv = 0).
    ``path_batch``: path images per forward+backward pass (the model's ``batch.igos_path``; None: see
    :func:`default_batch`), a matter of speed and memory only.

    Given an ``x`` that requires grad (an attacker's surrogate, issue 19's attack card docs/attacks/rectifier.md),
    the output is differentiable in ``x`` through the blur and the fusion, with the mask optimisation replaced by
    BPDA (M a constant of x: Athalye et al. 2018) and JPEG by the identity; the value is the same."""
    if jpeg_quality:
        xj = jpeg(x, jpeg_quality)
        x = x + (xj - x).detach() if x.requires_grad else xj  # BPDA with the identity for the compression
    blurred = gaussian_blur(x, blur_kernel, blur_sigma)
    with torch.enable_grad():
        m, _, _ = igos_mask(model, x, blurred, label, mask_size=mask_size, iterations=iterations, ig_iter=ig_iter,
                            l1=l1, tv=tv, stop_prob=stop_prob, noise=noise, noise_form=noise_form, objective=objective,
                            batch=path_batch, generator=generator)  # it detaches both: no gradient through M
    um = bilinear_upsample(m, tuple(x.shape[-2:]), align_corners=True)
    return (x * um + blurred * (1 - um))[None]
