"""The CUDA path against the CPU (issue 21): the same stages on real digits and ImageNet photos on both devices,
compared within stated tolerances; strict deterministic mode on CUDA reruns bit for bit and fails on an op
without a deterministic kernel. Marker ``gpu``; skipped without CUDA (``make test-gpu`` on a GPU machine).

Tolerances: logits 1e-4 absolute (float32 kernels differ in summation order); attributions cosine similarity
>= 0.999 per image; attack success within 2 images of 64 (borderline argmax flips); randomised rectifiers (I-GOS
draws its path noise on the device, so other numbers than the CPU's) within 10 points of rectified accuracy.
"""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device visible")]
CUDA = "cuda"


def _both(model):
    return copy.deepcopy(model).cpu().eval(), copy.deepcopy(model).to(CUDA).eval()


def _cos(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-image cosine similarity; 1 where both attributions are (near) zero (a Grad-CAM map can be)."""
    a, b = a.flatten(1).double().cpu(), b.flatten(1).double().cpu()
    scale = max(float(a.abs().max()), 1e-12)
    both_zero = (a.abs().amax(1) <= 1e-6 * scale) & (b.abs().amax(1) <= 1e-6 * scale)
    return torch.where(both_zero, torch.ones(len(a), dtype=a.dtype), F.cosine_similarity(a, b, dim=1))


def test_logits_and_pgd_match_the_cpu(mnist_model, mnist_small):
    from xaiadv.attacks import run_attack

    _, _, x, y = mnist_small
    x, y = x[:64], y[:64]
    cpu, gpu = _both(mnist_model)
    with torch.no_grad():
        assert torch.allclose(cpu(x), gpu(x.to(CUDA)).cpu(), atol=1e-4)
    spec = {"method": "pgd", "norm": "Linf", "eps": 0.3, "alpha": 0.01, "steps": 20}
    rc = run_attack(cpu, x, y, spec, 64, 0, "cpu", progress=False)
    rg = run_attack(gpu, x, y, spec, 64, 0, CUDA, progress=False)
    assert rg.x_adv.device.type == "cpu" and float(rg.linf.max()) <= 0.3 + 1e-5
    assert abs(int(rc.success.sum()) - int(rg.success.sum())) <= 2


@pytest.mark.parametrize("method", ["saliency", "integrated_gradients", "guided_backprop", "grad_cam", "lrp",
                                    "expected_gradients", "input_pixels"])
def test_explainers_match_the_cpu(mnist_model, mnist_small, method):
    from conftest import method_kwargs

    from xaiadv.explainers import explain

    x_tr, _, x, y = mnist_small
    cpu, gpu = _both(mnist_model)
    spec = {"method": method, **method_kwargs("explainers", method)}
    ctx = {"background": x_tr[:50], "seed": 0}
    a = explain(cpu, x[:16], y[:16], spec, 16, "cpu", progress=False, **ctx)
    b = explain(gpu, x[:16], y[:16], spec, 16, CUDA, progress=False, **ctx)
    assert a.shape == b.shape and b.device.type == "cpu"
    assert float(_cos(a, b).min()) >= 0.999


def test_rectifiers_match_the_cpu(mnist_model, mnist_small):
    from conftest import method_kwargs

    from xaiadv.rectifiers.base import evaluate

    _, _, x, y = mnist_small
    cpu, gpu = _both(mnist_model)
    for method in ("blur", "jpeg", "igos"):
        spec = {"method": method, **method_kwargs("rectifiers", method)}
        if method == "igos":
            spec.update(iterations=3, ig_iter=4)
        label = y[:32]
        rc = evaluate(cpu, x[:32], label, y[:32], spec, batch_size=32, seed=0, device="cpu", progress=False)
        rg = evaluate(gpu, x[:32], label, y[:32], spec, batch_size=32, seed=0, device=CUDA, progress=False)
        acc_c, acc_g = (rc["pred"] == y[:32]).float().mean(), (rg["pred"] == y[:32]).float().mean()
        tol = 0.10 if method == "igos" else 1 / 32
        assert abs(float(acc_c - acc_g)) <= tol + 1e-9, (method, float(acc_c), float(acc_g))


def test_strict_mode_reruns_bit_for_bit_and_covers_imagenet_models(effnet, foolbox_images):
    """I-GOS (bilinear upsampling, blur) and the input gradient of EfficientNet-Lite0 (adaptive pooling) under
    deterministic: true on CUDA: no error, and two runs give identical bits."""
    from xaiadv import runtime
    from xaiadv.determinism import make_deterministic
    from xaiadv.rectifiers.filters import gaussian_blur
    from xaiadv.rectifiers.igos import igos_mask

    try:
        dev = runtime.setup(0, 2, "cuda", deterministic=True)
        net = make_deterministic(copy.deepcopy(effnet)).to(dev).eval()
        x, y = foolbox_images[0][:4].to(dev), foolbox_images[1][:4].to(dev)
        runs = []
        for _ in range(2):
            g = torch.Generator().manual_seed(0)
            xb = x.clone().requires_grad_(True)
            (grad,) = torch.autograd.grad(F.cross_entropy(net(xb), y), xb)
            m, _, _ = igos_mask(net, x, gaussian_blur(x, 51, 50.0), y, mask_size=28, iterations=2, ig_iter=3, l1=0.0,
                                tv=0.0, noise=0.2, noise_form="reference", objective="prob", step_max=200.0,
                                armijo=1e-4, decay=0.2, min_step=1e-5, l1_schedule=True, stop_prob=None, batch=8,
                                generator=g)
            runs.append((grad.cpu(), m.cpu()))
        assert torch.equal(runs[0][0], runs[1][0]) and torch.equal(runs[0][1], runs[1][1])
    finally:
        torch.use_deterministic_algorithms(True, warn_only=True)


def test_strict_mode_fails_on_an_op_without_a_deterministic_kernel():
    """The switch is real: PyTorch's own bilinear interpolate backward raises on CUDA in strict mode."""
    from xaiadv import runtime

    try:
        runtime.setup(0, 1, "cuda", deterministic=True)
        m = torch.rand(2, 1, 7, 7, device=CUDA, requires_grad=True)
        with pytest.raises(RuntimeError, match="deterministic"):
            F.interpolate(m, size=(28, 28), mode="bilinear", align_corners=True).sum().backward()
    finally:
        torch.use_deterministic_algorithms(True, warn_only=True)
