"""The deterministic forms of bilinear upsampling, adaptive pooling, reflection padding and the Gaussian blur
(xaiadv.determinism) give the original ops' values; the config switch reaches torch (issue 21)."""

import pytest
import torch
import torch.nn.functional as F

from xaiadv import determinism


@pytest.fixture
def forced(monkeypatch):
    """The strict-mode code paths on the CPU (on a GPU they run only under deterministic algorithms)."""
    monkeypatch.setattr(determinism, "strict", lambda t: True)


@pytest.mark.parametrize("align_corners", [True, False])
@pytest.mark.parametrize("size", [(28, 28), (224, 224), (32, 17)])
def test_bilinear_upsample_matches_interpolate_and_its_gradient(forced, align_corners, size):
    m = torch.rand(3, 1, 7, 5, requires_grad=True)
    ref = F.interpolate(m, size=size, mode="bilinear", align_corners=align_corners)
    out = determinism.bilinear_upsample(m, size, align_corners)
    assert torch.allclose(out, ref, atol=1e-6)
    w = torch.randn_like(ref)
    (g_ref,) = torch.autograd.grad((ref * w).sum(), m)
    (g_out,) = torch.autograd.grad((out * w).sum(), m)
    assert torch.allclose(g_out, g_ref, rtol=1e-4, atol=1e-4)  # sums of up to ~1,000 terms


@pytest.mark.parametrize("out_size", [1, (1, 1), (7, 7), (3, 5), (None, 2)])
def test_adaptive_pool_matches_torch_in_value_and_gradient(forced, out_size):
    x = torch.randn(2, 4, 13, 10, requires_grad=True)
    ref = torch.nn.AdaptiveAvgPool2d(out_size)(x)
    out = determinism.AdaptiveAvgPool2d(out_size)(x)
    assert out.shape == ref.shape and torch.allclose(out, ref, atol=1e-6)
    w = torch.randn_like(ref)
    assert torch.allclose(torch.autograd.grad((out * w).sum(), x)[0], torch.autograd.grad((ref * w).sum(), x)[0],
                          atol=1e-6)


def test_make_deterministic_swaps_every_adaptive_pool_and_keeps_the_weights(effnet):
    import copy

    net = copy.deepcopy(effnet)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    determinism.make_deterministic(net)
    pools = [m for m in net.modules() if isinstance(m, torch.nn.AdaptiveAvgPool2d)]
    assert pools and all(type(m) is determinism.AdaptiveAvgPool2d for m in pools)
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())


def test_reflect_pad_and_blur_match_torch_and_torchvision(forced):
    from torchvision.transforms.functional import gaussian_blur

    x = torch.rand(2, 3, 12, 9)
    assert torch.equal(determinism.reflect_pad(x, (2, 3, 4, 1)), F.pad(x, [2, 3, 4, 1], mode="reflect"))
    for k, s in ((5, 1.0), (9, 2.0), (3, 0.5)):
        assert torch.allclose(determinism.gaussian_blur(x, k, s), gaussian_blur(x, [k, k], [s, s]), atol=1e-6)


def test_off_cuda_the_original_ops_run():
    """Outside strict CUDA mode nothing changes: the CPU outputs of every stage stay bit-for-bit what they were."""
    m = torch.rand(2, 1, 7, 7)
    assert torch.equal(determinism.bilinear_upsample(m, (28, 28), True),
                       F.interpolate(m, size=(28, 28), mode="bilinear", align_corners=True))


def test_the_config_switch_reaches_torch(monkeypatch):
    from xaiadv import runtime

    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    try:
        runtime.setup(0, 1, "cpu", deterministic=True)
        assert torch.are_deterministic_algorithms_enabled()
        assert not torch.is_deterministic_algorithms_warn_only_enabled()  # fails, not warns
        import os

        assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"
        runtime.setup(0, 1, "cpu", deterministic=False)
        assert not torch.are_deterministic_algorithms_enabled()
    finally:
        torch.use_deterministic_algorithms(True, warn_only=True)


def test_layer_split_still_traces_a_model_with_the_deterministic_pool(effnet):
    """Expected gradients at a layer cuts the model with torch.fx: the replaced pooling is a leaf, as torch's is."""
    import copy

    from xaiadv.explainers.layers import split_at

    net = determinism.make_deterministic(copy.deepcopy(effnet))
    head, tail = split_at(net, "_blocks.3")
    x = torch.rand(2, 3, 224, 224)
    with torch.no_grad():
        assert torch.allclose(tail(head(x)), net(x), atol=1e-5)


def test_setup_sets_deterministic_algorithms_without_importing_inductor():
    """runtime.setup turns torch's deterministic flag on and off as the config says, without importing TorchInductor
    (torch.use_deterministic_algorithms does: ~2 s of CPU per job, issue 18); checked in a fresh interpreter."""
    import subprocess
    import sys

    code = ("import sys, torch; from xaiadv import runtime; runtime.setup(0, 1, 'cpu', True); "
            "a = torch.are_deterministic_algorithms_enabled(); runtime.setup(0, 1, 'cpu', False); "
            "print(a, torch.are_deterministic_algorithms_enabled(), 'torch._inductor' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", "False", "False"]
