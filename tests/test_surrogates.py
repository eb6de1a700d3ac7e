"""The explainers' differentiable surrogates (xaiadv.defenses.surrogates), on real digits: on the classifier itself
each computes the real explainer's map; on the softplus copy it stays close to it and has a gradient in x."""

from __future__ import annotations

import pytest
import torch

from conftest import method_kwargs

torch.set_num_threads(2)

EXACT = ["guided_backprop", "grad_cam", "lrp", "saliency"]


@pytest.fixture(scope="module")
def digits(mnist_model, mnist_small):
    x = mnist_small[2][:8]
    with torch.no_grad():
        return x, mnist_model(x).argmax(1)


def _real(model, x, target, method, **context):
    from xaiadv.explainers import explain

    spec = {"method": method, **method_kwargs("explainers", method)}
    return explain(model, x, target, spec, batch_size=len(x), progress=False, **context)


@pytest.mark.parametrize("method", EXACT)
def test_on_the_classifier_itself_the_surrogate_is_the_explainer(method, mnist_model, digits):
    """captum's guided backprop and Grad-CAM, zennit's LRP (our z+ rule) and saliency: the same maps, from a
    computation autograd can differentiate."""
    from xaiadv.defenses.surrogates import differentiable_attribution

    x, target = digits
    real = _real(mnist_model, x, target, method)
    sur = differentiable_attribution(mnist_model, x, target, {"method": method}).detach()
    assert sur.shape == real.shape
    assert real.abs().amax() > 0
    torch.testing.assert_close(sur, real, rtol=1e-4, atol=1e-5 * float(real.abs().amax()))


@pytest.mark.parametrize("method", EXACT)
def test_on_the_softplus_copy_it_tracks_the_explainer_and_has_a_gradient(method, mnist_model, digits):
    """What the attack differentiates: close to the real map image by image (correlation), and a finite, non-zero
    gradient in x (on the ReLU classifier, guided backprop's and saliency's would be zero: piecewise constant)."""
    from xaiadv.defenses.surrogates import differentiable_attribution, smooth_copy

    x, target = digits
    real = _real(mnist_model, x, target, method)
    smooth = smooth_copy(mnist_model)
    xi = x.clone().requires_grad_(True)
    sur = differentiable_attribution(smooth, xi, target, {"method": method})
    corr = torch.stack([torch.corrcoef(torch.stack([a, b]))[0, 1]
                        for a, b in zip(real.flatten(1), sur.detach().flatten(1))])
    assert corr.median() > 0.9 and corr.min() > 0.5, corr  # Grad-CAM: one digit's sparse map at 0.68 (beta 10)
    (g,) = torch.autograd.grad((sur * torch.randn_like(sur)).sum(), xi)
    assert torch.isfinite(g).all() and g.abs().sum() > 0


def test_lan_surrogate_is_the_mask_and_differentiable(mnist_model, digits):
    """LAN masks: the explainer's 1 - A(x) of the row's LAN, with its gradient; no LAN is a clear error."""
    from xaiadv.defenses.surrogates import differentiable_attribution
    from xaiadv.explainers.lan import LatentAttentionNet

    x, target = digits
    torch.manual_seed(0)
    lan = LatentAttentionNet((1, 28, 28), (64,)).eval()
    real = _real(mnist_model, x, target, "lan", lan=lan)
    xi = x.clone().requires_grad_(True)
    sur = differentiable_attribution(mnist_model, xi, target, {"method": "lan"}, {"lan": lan})
    torch.testing.assert_close(sur.detach(), real)
    (g,) = torch.autograd.grad(sur.sum(), xi)
    assert g.abs().sum() > 0
    with pytest.raises(ValueError, match="no LAN"):
        differentiable_attribution(mnist_model, x, target, {"method": "lan"})


def test_lrp_surrogate_refuses_what_it_cannot_propagate(digits):
    """Batch norm (not merged) and the bounded first-layer rule are refused by name, not silently mis-propagated."""
    from xaiadv.defenses.surrogates import differentiable_attribution
    from xaiadv.models.registry import build

    x, target = digits
    vgg = build("vgg_like_mnist").eval()
    with pytest.raises(ValueError, match="BatchNorm2d"):
        differentiable_attribution(vgg, x, target, {"method": "lrp"})
    with pytest.raises(ValueError, match="zbox"):
        differentiable_attribution(vgg, x, target, {"method": "lrp", "first_rule": "zbox"})


def test_leaderboard_rows_on_lrp_and_lan_features_resolve_as_the_surrogates_allow():
    """A Saito row on LAN masks runs only where the model has a LAN (and reads it); an LRP row with the bounded
    first-layer rule, which the surrogate does not propagate, fails the config check naming the key."""
    import copy

    from conftest import ROOT

    from xaiadv.config import ConfigError
    from xaiadv.config import load as load_config
    from xaiadv.defenses import config as lbconf

    cfg = load_config(ROOT / "config.yaml")
    rows = {(m, name) for _, m, name in lbconf.jobs(cfg)}
    assert ("mnist_cnn", "saito_lan_forest") in rows and ("mnist_cnn", "saito_lrp_forest") in rows
    assert lbconf.uses_lan(lbconf.defense_spec(cfg, "mnist", "saito_lan_forest"))
    no_lan = copy.deepcopy(cfg)
    no_lan["lan_detection"]["models"] = []
    assert "saito_lan_forest" not in {name for _, _, name in lbconf.jobs(no_lan)}
    zbox = copy.deepcopy(cfg)
    zbox["explainers"]["lrp"]["first_rule"] = "zbox"
    with pytest.raises(ConfigError, match=r"saito_lrp_forest\.explainer.*zbox"):
        lbconf.defense_spec(zbox, "mnist", "saito_lrp_forest")


def test_integrated_gradients_surrogate_is_the_right_riemann_sum(mnist_model, digits):
    """The surrogate is x times the mean gradient at x k/n, k = 1..n (the right Riemann sum of integrated gradients
    from a zero baseline), and keeps its gradient in x."""
    from xaiadv.defenses.surrogates import differentiable_attribution, smooth_copy

    x, target = digits
    smooth = smooth_copy(mnist_model)
    n = 8
    ref = 0
    for k in range(1, n + 1):
        xk = (x * (k / n)).requires_grad_(True)
        (g,) = torch.autograd.grad(smooth(xk).gather(1, target[:, None]).sum(), xk)
        ref = ref + g
    ref = x * ref / n
    xi = x.clone().requires_grad_(True)
    sur = differentiable_attribution(smooth, xi, target, {"method": "integrated_gradients", "n_steps": n})
    torch.testing.assert_close(sur.detach(), ref, rtol=1e-4, atol=1e-6)
    (g,) = torch.autograd.grad(sur.sum(), xi)
    assert torch.isfinite(g).all() and g.abs().sum() > 0
