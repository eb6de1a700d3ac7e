import pytest
import torch

from xaiadv.explainers import METHODS, explain


@pytest.mark.parametrize("method", METHODS)
def test_explainer_shapes_on_mnist(method, mnist_model, mnist_small):
    from xaiadv.explainers.lan import LatentAttentionNet

    x_tr, _, x, y = mnist_small
    lan = LatentAttentionNet((1, 28, 28), hidden=(16,))  # untrained: the shape contract only (tests/test_lan.py trains one)
    a = explain(mnist_model, x[:10], y[:10], {"method": method}, batch_size=4, background=x_tr[:20], seed=0, lan=lan)
    assert a.shape == ((10, 1, 28, 28)) and a.dtype == torch.float32 and torch.isfinite(a).all()
    assert a.abs().sum() > 0


def test_integrated_gradients_completeness(mnist_model, mnist_small):
    """Sum of IG attributions = f(x) - f(0) for the explained logit (Sundararajan et al. 2017, Prop. 1)."""
    _, _, x, y = mnist_small
    a = explain(mnist_model, x[:4], y[:4], {"method": "integrated_gradients", "n_steps": 64})
    with torch.no_grad():
        f = lambda z: mnist_model(z).gather(1, y[:4, None])[:, 0]  # noqa: E731
        gap = f(x[:4]) - f(torch.zeros_like(x[:4]))
    assert torch.allclose(a.flatten(1).sum(1), gap, rtol=0.05, atol=0.05)


def test_grad_cam_on_effnet_is_upsampled(effnet, foolbox_images):
    x, y = foolbox_images
    a = explain(effnet, x[:2], y[:2], {"method": "grad_cam"})
    assert a.shape == (2, 1, 224, 224) and (a >= 0).all()


def test_saliency_depends_on_the_explained_class(mnist_model, mnist_small):
    _, _, x, y = mnist_small
    a1 = explain(mnist_model, x[:4], y[:4], {"method": "saliency"})
    a2 = explain(mnist_model, x[:4], (y[:4] + 1) % 10, {"method": "saliency"})
    assert not torch.allclose(a1, a2)


def test_guided_backprop_guides_relu6_and_restores_the_model(effnet, foolbox_images):
    from xaiadv.explainers.guided_backprop import relu6_as_relu

    x, y = foolbox_images
    n_relu6 = sum(type(m) is torch.nn.ReLU6 for m in effnet.modules())
    assert n_relu6 > 0
    with relu6_as_relu(effnet) as swapped:
        assert swapped == n_relu6
    assert sum(type(m) is torch.nn.ReLU6 for m in effnet.modules()) == n_relu6
    gbp = explain(effnet, x[:1], y[:1], {"method": "guided_backprop"})
    grad = explain(effnet, x[:1], y[:1], {"method": "saliency", "abs": False})
    r = torch.corrcoef(torch.stack([gbp.flatten(), grad.flatten()]))[0, 1]
    assert r < 0.9  # guided, not the plain gradient
