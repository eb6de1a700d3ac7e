"""Brama & Grinshpoun (2020): LRP (zennit z+) conservation, Heat and Blur, NDCG (Eq. 3-7), L-BFGS and the adaptive
attacks, on real digits and ImageNet images."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from conftest import method_kwargs, schema_defaults
from xaiadv.metrics.ndcg import benign_grades, coverage_k, ndcg_at


def test_ndcg_hand_computed_cases():
    lb = np.array([[5.0, 4.0, 3.0, -5.0, -5.0, -5.0]])
    # identical predictions: 1 at every k
    assert ndcg_at(lb, lb).tolist() == [[1.0] * 5]
    # a top list disjoint from the benign top classes: 0
    other = np.array([[-5.0, -5.0, -5.0, 9.0, 8.0, 7.0]])
    assert ndcg_at(lb, other, coverage_other=0.99).tolist() == [[0.0] * 5]
    # by hand: softmax masses 0.7054, 0.2595, 0.0955, ...: the top two hold 0.965 <= C_b = 0.99, the top three
    # more, so K1 = 2 and the grades are 5/9 and 4/9 (Eq. 3)
    p = np.exp(lb - lb.max()) / np.exp(lb - lb.max()).sum()
    assert coverage_k(p, 0.99).tolist() == [2]
    g = benign_grades(lb)[0]
    assert g[:2] == pytest.approx([5 / 9, 4 / 9]) and (g[2:] == 0).all()
    # swap the top two classes: NDCG@1 = (2^(4/9) - 1) / (2^(5/9) - 1), NDCG@2 with the discount 1 / log2(3)
    swapped = lb[:, [1, 0, 2, 3, 4, 5]]
    nd = ndcg_at(lb, swapped, ks=(1, 2))[0]
    a, b = 2 ** (5 / 9) - 1, 2 ** (4 / 9) - 1
    assert nd[0] == pytest.approx(b / a) and nd[1] == pytest.approx((b + a / np.log2(3)) / (a + b / np.log2(3)))
    with pytest.raises(ValueError, match="logits"):
        ndcg_at(lb, lb[:, :3])


def test_ndcg_equals_sklearn_where_it_applies(effnet, foolbox_images):
    """sklearn's ndcg_score with gains 2^R - 1 equals ours for k <= min(K1, K2) (real EfficientNet logits of clean
    and noisy images)."""
    from sklearn.metrics import ndcg_score

    x, _ = foolbox_images
    with torch.no_grad():
        lb = effnet(x[:6]).double().numpy()
        lo = effnet((x[:6] + 0.08 * torch.randn_like(x[:6], generator=None)).clamp(0, 1)).double().numpy()
    ours = ndcg_at(lb, lo, ks=(1, 2))
    gains = 2.0 ** benign_grades(lb) - 1
    pb = np.exp(lb - lb.max(1, keepdims=True))
    po = np.exp(lo - lo.max(1, keepdims=True))
    k_ok = np.minimum(coverage_k(pb / pb.sum(1, keepdims=True), 0.99), coverage_k(po / po.sum(1, keepdims=True), 0.99))
    for i in range(len(lb)):
        for j, k in enumerate((1, 2)):
            if k <= k_ok[i]:
                assert ours[i, j] == pytest.approx(ndcg_score(gains[i:i + 1], lo[i:i + 1], k=k))


def test_lrp_is_conservative_on_the_mnist_cnn(mnist_model, mnist_small):
    """z+ on every layer, biases zeroed, ReLU / max pooling pass: the input relevance of each digit sums to the
    one-hot start (1) - the rules promise it for a net without skips or batch norm."""
    from xaiadv.explainers.lrp import explain, relevance

    _, _, x, _ = mnist_small
    x = x[:16]
    t = mnist_model(x).argmax(1)
    r = relevance(mnist_model, x, t)
    assert r.shape == x.shape and (r >= -1e-6).all()           # z+ on non-negative post-ReLU inputs
    assert r.flatten(1).sum(1) == pytest.approx(torch.ones(16), abs=1e-4)
    assert explain(mnist_model, x, t, first_rule="zplus").shape == (16, 1, 28, 28)


def test_lrp_on_efficientnet_merges_batch_norm_and_restores_the_model(effnet, foolbox_images):
    from xaiadv.explainers.lrp import batchnorm_pairs, explain

    x, _ = foolbox_images
    x = x[:2]
    with torch.no_grad():
        before = effnet(x)
    h = explain(effnet, x, before.argmax(1), first_rule="zplus")
    with torch.no_grad():
        after = effnet(x)
    assert torch.equal(before, after)                            # canonizer undone
    assert h.shape == (2, 1, 224, 224) and torch.isfinite(h).all() and h.abs().sum() > 0
    pairs = batchnorm_pairs(effnet.net)
    assert (["_conv_stem"], "_bn0") in pairs and (["_conv_head"], "_bn1") in pairs


@pytest.mark.parametrize("net", ["mnist", "effnet"])
def test_lrp_fast_zplus_equals_zennits(net, mnist_model, mnist_small, effnet, foolbox_images, monkeypatch):
    """Our z+ rule skips zennit's negative half on layers whose input is non-negative (issue 18: LRP at 0.19-0.28
    of a plain gradient): the relevance is zennit's ZPlus's, on the MNIST CNN (every hidden input post-ReLU) and on
    EfficientNet-Lite0 (linear bottlenecks: negative inputs take zennit's own path)."""
    import xaiadv.explainers.lrp as lrp
    from zennit.rules import ZPlus

    model, x = (mnist_model, mnist_small[2][:16]) if net == "mnist" else (effnet, foolbox_images[0][:2])
    with torch.no_grad():
        t = model(x).argmax(1)
    ours = lrp.relevance(model, x, t)
    monkeypatch.setattr(lrp, "_zplus_nonnegative", lambda: ZPlus(zero_params="bias"))
    theirs = lrp.relevance(model, x, t)
    assert torch.allclose(ours, theirs, rtol=1e-5, atol=1e-7 * theirs.abs().max().item())


def test_heat_and_blur_keeps_the_heatmap_pixels_and_blurs_the_rest(mnist_model, mnist_small):
    from xaiadv.explainers.lrp import explain
    from xaiadv.rectifiers.heat_and_blur import blur, heatmap_mask, rectify

    _, _, x, _ = mnist_small
    x = x[:8]
    label = mnist_model(x).argmax(1)
    mask = heatmap_mask(explain(mnist_model, x, label, first_rule="zplus"))
    frac = mask.float().mean().item()
    assert 0.005 < frac < 0.10                                  # mean + 2 std: a few percent of the pixels
    out = rectify(mnist_model, x, label, **method_kwargs("rectifiers", "heat_and_blur", sigma=1.0))
    assert out.shape == (1, *x.shape)
    m = mask.expand_as(x)
    assert torch.equal(out[0][m], x[m])
    assert torch.allclose(out[0][~m], blur(x, 1.0)[~m]) and not torch.equal(out[0], x)
    assert torch.equal(blur(x, 0.0), x)
    h = torch.zeros(1, 1, 4, 4)
    h[0, 0, 0, 0] = 10.0
    assert heatmap_mask(h).sum() == 1 and heatmap_mask(-h, absolute=True).sum() == 1
    assert heatmap_mask(-h, absolute=False).sum() == 0


def test_lbfgs_reaches_its_targets_with_small_perturbations(mnist_model, mnist_small):
    from xaiadv.attacks.lbfgs import attack

    _, _, x, y = mnist_small
    x, y = x[:3], y[:3]
    target = (y + 3) % 10
    kw = method_kwargs("attacks", "lbfgs", maxiter=30, search_steps=2)
    xa = attack(mnist_model, x, target, targeted=True, **kw)
    with torch.no_grad():
        assert (mnist_model(xa).argmax(1) == target).all()
    assert xa.min() >= 0 and xa.max() <= 1
    mse = ((xa - x) ** 2).flatten(1).mean(1)
    assert (mse < 0.05).all()                                    # smaller than an FGSM step of 0.3 on every pixel
    with pytest.raises(ValueError, match="targeted"):
        attack(mnist_model, x, y, targeted=False, **kw)


def test_pgd_through_the_defense_beats_the_papers_adaptive_attack(mnist_model, mnist_small):
    """On 16 real digits at eps 0.3: BPDA + EOT PGD survives Heat and Blur at least as often as plain PGD, and far
    more often than Algorithm 2 (which may only touch the few heatmap pixels)."""
    from xaiadv.adaptive.heat_blur import algorithm2, bpda_eot_pgd, defend, pgd

    _, _, x, y = mnist_small
    for p in mnist_model.parameters():
        p.requires_grad_(False)
    x, y = x[:16], y[:16]
    target = (y + 1) % 10
    kw = dict(eps=0.3, alpha=0.03)
    hb = {k: v for k, v in schema_defaults("heat_and_blur").items() if k in ("k_std", "absolute", "first_rule")}

    def survives(xa):
        with torch.no_grad():
            return (mnist_model(defend(mnist_model, xa, 1.0, **hb)).argmax(1) == target).float().mean().item()

    plain = survives(pgd(mnist_model, x, target, 0.3, 0.03, 15))
    bpda = bpda_eot_pgd(mnist_model, x, target, steps=15, eot=2, sigma_range=(0.8, 1.2), generator=torch.Generator().manual_seed(0),
                        **kw, **hb)
    alg2 = algorithm2(mnist_model, x, target, sigma=1.0, steps=5, iterations=2, **kw, **hb)
    assert (bpda - x).abs().max() <= 0.3 + 1e-6 and survives(bpda) >= plain and survives(bpda) >= 0.5
    assert survives(alg2) < survives(bpda)
    for p in mnist_model.parameters():
        p.requires_grad_(True)


def test_boundary_attack_is_adversarial_and_walks_towards_the_image(mnist_model, mnist_small):
    """foolbox's Boundary attack on 8 real digits: every result is misclassified, and more steps give a smaller
    perturbation."""
    from xaiadv.attacks.boundary import attack

    _, _, x, y = mnist_small
    x, y = x[:8], y[:8]
    torch.manual_seed(0)   # foolbox draws its noise from torch's global generator: the same starting points
    short = attack(mnist_model, x, y, **method_kwargs("attacks", "boundary", steps=20, init_directions=50, init_steps=50))
    torch.manual_seed(0)
    long = attack(mnist_model, x, y, **method_kwargs("attacks", "boundary", steps=300, init_directions=50, init_steps=50))
    with torch.no_grad():
        assert (mnist_model(long).argmax(1) != y).all() and (mnist_model(short).argmax(1) != y).all()
    assert ((long - x) ** 2).mean() < ((short - x) ** 2).mean()
    assert long.min() >= 0 and long.max() <= 1
