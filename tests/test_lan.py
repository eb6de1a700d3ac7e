"""Nguyen et al. (2018): the LAN g, the mask classifier f2, the detector and the adaptive attack, on real digits."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from conftest import schema_defaults
from xaiadv.adaptive.lan import attack as adaptive_attack
from xaiadv.detectors.lan import flags, lan_outputs, masks_of, scores, train_mask_classifier
from xaiadv.stats import auroc_ci
from xaiadv.explainers.lan import LatentAttentionNet, corrupt, explain, load_lan, save_lan, train_lan


@pytest.fixture(scope="module")
def lan(mnist_small, mnist_model):
    """A LAN for the 1-epoch MNIST CNN, trained as the default config does (beta 5, batch 64), 10 epochs of the 6,000 digits
    (~60k samples: below ~50k the masks are still nearly constant)."""
    x, _, _, _ = mnist_small
    torch.manual_seed(0)
    kw = {k: v for k, v in schema_defaults("lan_detection", "lan", beta=5.0, epochs=10, lr=3e-4, batch_size=64).items()
          if k != "n_train"}  # the stage's: the first n_train images
    g, history = train_lan(mnist_model, x, **kw, progress=False)
    return g, history


@pytest.fixture(scope="module")
def f2(lan, mnist_small):
    g, _ = lan
    x, y, _, _ = mnist_small
    model, _ = train_mask_classifier(masks_of(g, x), y, epochs=3, lr=1e-3, batch_size=64)
    return model


def test_masks_lie_in_unit_interval_with_the_input_shape(lan, mnist_small):
    g, _ = lan
    _, _, xt, _ = mnist_small
    m = explain(None, xt[:50], None, lan=g)
    assert m.shape == (50, 1, 28, 28)
    assert m.min() >= 0 and m.max() <= 1
    cifar_like = LatentAttentionNet((3, 32, 32), hidden=(16,), per_channel=True)
    a = cifar_like(torch.rand(4, 3, 32, 32))
    assert a.shape == (4, 3, 32, 32) and a.min() >= 0 and a.max() <= 1
    assert LatentAttentionNet((3, 32, 32), hidden=(16,))(torch.rand(2, 3, 32, 32)).shape == (2, 1, 32, 32)
    with pytest.raises(ValueError, match="shape"):
        g(torch.rand(2, 3, 32, 32))


def test_trained_lan_marks_replaceable_pixels(lan, mnist_small, mnist_model):
    """Noise in the k pixels with the highest A changes f1 less than noise in the k lowest-A pixels (LAN's
    defining property), on real test digits with other test digits as noise."""
    g, history = lan
    _, _, xt, _ = mnist_small
    x, eta = xt[:200], xt[200:400].roll(1, 0)
    with torch.no_grad():
        a = g(x)
        p0 = torch.softmax(mnist_model(x), 1)
        k = 784 // 4

        def change(which):
            order = a.flatten(1).argsort(1, descending=(which == "high"))[:, :k]
            m = torch.zeros(len(x), 784).scatter_(1, order, 1.0).view_as(a)
            p = torch.softmax(mnist_model(corrupt(x, m, eta)), 1)
            return (p0 - p).abs().sum(1).mean().item(), (p.argmax(1) != p0.argmax(1)).float().mean().item()

        high, low = change("high"), change("low")
    assert history[-1]["ce"] < history[0]["ce"] or history[-1]["mean_A"] > history[0]["mean_A"]
    assert high[0] < 0.5 * low[0], (high, low)
    assert high[1] < low[1], (high, low)


def test_masks_depend_on_the_image(lan, f2, mnist_small):
    """The LAN is not a constant mask: f2 classifies the test digits' masks far above chance."""
    g, _ = lan
    _, _, xt, yt = mnist_small
    assert g(xt[:200]).std(0).mean() > 0.02
    pred = f2(masks_of(g, xt)).argmax(1)
    assert (pred == yt).float().mean() > 0.5


class _Fixed(nn.Module):
    """A 'classifier' that answers given classes, one per image, in order."""

    def __init__(self, classes):
        super().__init__()
        self.classes = torch.as_tensor(classes)
        self.i = 0

    def forward(self, x):
        c = self.classes[self.i:self.i + len(x)]
        self.i += len(x)
        return nn.functional.one_hot(c, 10).float() * 5


def test_detector_flags_disagreement_and_nothing_else(lan, mnist_small, mnist_model):
    g, _ = lan
    _, _, xt, _ = mnist_small
    x = xt[:40]
    pred_f1 = mnist_model(x).argmax(1)
    f2_classes = pred_f1.clone()
    f2_classes[::3] = (f2_classes[::3] + 1) % 10  # disagree on every third image
    out = lan_outputs(mnist_model, g, _Fixed(f2_classes), x, batch_size=16)
    assert torch.equal(out["pred_f1"], pred_f1)
    assert torch.equal(flags(out), pred_f1 != f2_classes)
    assert flags(out).sum() == len(range(0, 40, 3))
    s = scores(out)
    assert (s[flags(out)] > 0.5).all() and (s[~flags(out)] < 0.5).all()
    auc = auroc_ci(s[~flags(out)].numpy(), s[flags(out)].numpy())
    assert auc["auroc"] == 1.0


def test_save_and_load_lan_round_trip(lan, tmp_path, mnist_small):
    g, _ = lan
    _, _, xt, _ = mnist_small
    save_lan(tmp_path / "g.safetensors", g)
    g2 = load_lan(tmp_path / "g.safetensors")
    assert torch.equal(g(xt[:5]), g2(xt[:5]))
    assert torch.equal(explain(None, xt[:5], None, lan=str(tmp_path / "g.safetensors")), g.importance(xt[:5]))
    from xaiadv.io import save_tensors

    save_tensors(tmp_path / "other.safetensors", {"w": torch.zeros(1)}, {"arch": "kao_mnist_cnn"})
    with pytest.raises(ValueError, match="other.safetensors.*not a LAN"):
        load_lan(tmp_path / "other.safetensors")
    with pytest.raises(ValueError, match="train_lan"):
        explain(None, xt[:5], None)


def test_adaptive_attack_lowers_the_detection_rate(lan, f2, mnist_small, mnist_model):
    """PGD that also steers f2(g(x)) to the target class gets flagged less often than plain PGD on f1."""
    g, _ = lan
    _, _, xt, yt = mnist_small
    for m in (mnist_model, g, f2):
        for p in m.parameters():
            p.requires_grad_(False)
    with torch.no_grad():
        logits = mnist_model(xt[:300])
    keep = (logits.argmax(1) == yt[:300]).nonzero().flatten()[:60]
    x, target = xt[keep], logits[keep].argsort(1, descending=True)[:, 1]
    rates = {}
    for w in (0.0, 1.0):
        xa = adaptive_attack(mnist_model, x, target, g=g, f2=f2, eps=0.3, alpha=0.02, steps=30, weight=w)
        assert (xa - x).abs().max() <= 0.3 + 1e-6 and xa.min() >= 0 and xa.max() <= 1
        out = lan_outputs(mnist_model, g, f2, xa)
        hit = out["pred_f1"] == target
        assert hit.float().mean() > 0.8
        rates[w] = flags(out)[hit].float().mean().item()
    assert rates[1.0] < rates[0.0] - 0.2, rates


def test_lan_defense_at_a_fixed_fpr(mnist_model, lan, f2, mnist_small):
    """On the leaderboard the LAN is thresholded on its score at the configured FPR on clean calibration digits
    (the paper's argmax rule otherwise): the FPR measured on other clean digits lies within its interval of the
    configured 5%, and its surrogate's decision is the real one (score - threshold > 0 exactly when rejected)."""
    from xaiadv.defenses import defense_class
    from xaiadv.stats import rate_ci

    g, _ = lan
    _, _, xt, _ = mnist_small
    d = defense_class("lan")(mnist_model, g=g, f2=f2).calibrate(xt[:250], 0.05)
    _, rejected = d.decide(xt[250:500])
    r = rate_ci(rejected.numpy())
    assert r["lo"] <= 0.05 <= r["hi"], r
    with torch.no_grad():
        _, score = d.surrogate(xt[250:500])
    assert torch.equal(score > 0, rejected)
