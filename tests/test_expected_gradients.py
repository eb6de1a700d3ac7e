import numpy as np
import pytest
import torch

from xaiadv.explainers import explain


@pytest.fixture(scope="module")
def setup(mnist_model, mnist_small):
    x_tr, _, x, _ = mnist_small
    g = torch.Generator().manual_seed(0)
    background = x_tr[torch.randperm(len(x_tr), generator=g)[:50]]
    with torch.no_grad():
        target = mnist_model(x[:4]).argmax(1)
    return mnist_model, x[:4], target, background


def test_agrees_with_shap_gradient_explainer(setup):
    """Same estimator as shap.GradientExplainer (ranked_outputs=1): per-image Pearson r >= 0.95 at large nsamples."""
    shap = pytest.importorskip("shap")
    model, x, target, background = setup
    ours = explain(model, x, target, {"method": "expected_gradients", "nsamples": 3000},
                   background=background, seed=0).numpy()
    torch.manual_seed(0)
    np.random.seed(0)
    values, index = shap.GradientExplainer(model, background).shap_values(x, ranked_outputs=1, nsamples=3000)
    assert np.array_equal(np.asarray(index)[:, 0], target.numpy())
    theirs = np.asarray(values)[..., 0] if np.asarray(values).shape[-1] == 1 else np.asarray(values)[0]
    theirs = theirs.reshape(len(x), -1)
    for i in range(len(x)):
        r = np.corrcoef(ours[i].ravel(), theirs[i])[0, 1]
        assert r >= 0.95, f"image {i}: Pearson r = {r:.3f}"


def test_completeness_on_average(setup):
    """E[sum phi] = f(x) - E_b f(b) (expected gradients' efficiency property), up to Monte-Carlo error."""
    model, x, target, background = setup
    phi = explain(model, x, target, {"method": "expected_gradients", "nsamples": 2000}, background=background, seed=1)
    with torch.no_grad():
        fx = model(x).gather(1, target[:, None])[:, 0]
        fb = model(background)[:, target].mean(0)
    assert torch.allclose(phi.flatten(1).sum(1), fx - fb, rtol=0.1, atol=0.5)


def test_seeded_and_needs_background(setup):
    model, x, target, background = setup
    spec = {"method": "expected_gradients", "nsamples": 16}
    a = explain(model, x, target, spec, background=background, seed=3)
    b = explain(model, x, target, spec, background=background, seed=3)
    assert torch.equal(a, b) and a.shape == x.shape
    with pytest.raises(ValueError, match="background"):
        explain(model, x, target, spec, background=background[:0], seed=3)


def test_layer_split_reproduces_the_model(setup, effnet, foolbox_images):
    """tail(head(x)) == model(x) at the MNIST CNN's second block and inside EfficientNet-Lite0;
    a layer with a skip connection around it is refused with its name."""
    from xaiadv.explainers.layers import split_at
    from xaiadv.models import build

    model, x, _, _ = setup
    head, tail = split_at(model, "1")
    with torch.no_grad():
        assert torch.allclose(tail(head(x)), model(x), atol=1e-5)
        xi = foolbox_images[0][:2]
        h, t = split_at(effnet, "_blocks.3")
        assert torch.allclose(t(h(xi)), effnet(xi), atol=1e-4)
    with pytest.raises(ValueError, match="layer2.0.conv2.*skip connection"):
        split_at(build("resnet50").eval(), "layer2.0.conv2")
    with pytest.raises(ValueError, match="'nope': no such module"):
        split_at(model, "nope")


def test_layer_attributions_agree_with_shap_on_the_tail(setup):
    """At a layer, ours is expected gradients of the network after it with background h(b): it agrees with
    shap.GradientExplainer run on that tail network (per-image Pearson r >= 0.95), has the layer input's shape,
    and is complete on average (sum phi ~ f(x) - E f(b))."""
    shap = pytest.importorskip("shap")
    from xaiadv.explainers.layers import split_at

    model, x, target, background = setup
    spec = {"method": "expected_gradients", "nsamples": 3000, "layer": {"kao_mnist_cnn": "1"}}
    model.arch = "kao_mnist_cnn"
    ours = explain(model, x, target, spec, background=background, seed=0)
    head, tail = split_at(model, "1")
    with torch.no_grad():
        hx, hb = head(x), head(background)
    assert ours.shape == hx.shape
    np.random.seed(0)
    values, index = shap.GradientExplainer(tail, hb).shap_values(hx, ranked_outputs=1, nsamples=3000)
    assert np.array_equal(np.asarray(index)[:, 0], target.numpy())
    theirs = np.asarray(values)[..., 0] if np.asarray(values).shape[-1] == 1 else np.asarray(values)[0]
    for i in range(len(x)):
        r = np.corrcoef(ours[i].numpy().ravel(), theirs[i].ravel())[0, 1]
        assert r >= 0.95, f"image {i}: Pearson r = {r:.3f}"
    with torch.no_grad():
        gap = model(x).gather(1, target[:, None])[:, 0] - model(background)[:, target].mean(0)
    assert torch.allclose(ours.flatten(1).sum(1), gap, rtol=0.1, atol=0.5)
    other = explain(model, x, target, {**spec, "layer": {"inception_v3": "Conv2d_4a_3x3"}, "nsamples": 4},
                    background=background, seed=0)
    assert other.shape == x.shape  # an architecture not in the mapping: pixels
