import pytest
import torch

from conftest import method_kwargs
from xaiadv.attacks import run_attack
from xaiadv.attacks.base import make_targets

SPECS = {
    "fgsm_linf": {"method": "fgsm", "norm": "Linf", "eps": 0.3},
    "fgsm_l2": {"method": "fgsm", "norm": "L2", "eps": 2.0},
    "bim_linf": {"method": "bim", "norm": "Linf", "eps": 0.3, "alpha": 0.05, "steps": 10},
    "pgd_l2": {"method": "pgd", "norm": "L2", "eps": 2.0, "alpha": 0.5, "steps": 10, "random_start": True},
    "cw_l2": {"method": "cw", "norm": "L2", "c": 5.0, "kappa": 0.0, "steps": 100, "lr": 0.1},
    "bim_second": {"method": "bim", "norm": "Linf", "eps": 0.3, "alpha": 0.05, "steps": 10, "target": "second"},
    "jsma": {"method": "jsma", "theta": 1.0, "gamma": 0.1},
    "bim_accumulated": {"method": "bim_accumulated", "norm": "Linf", "eps": 0.3, "steps": 20},
}


@pytest.fixture(scope="module")
def clean(mnist_model, mnist_small):
    _, _, x, y = mnist_small
    with torch.no_grad():
        ok = mnist_model(x[:64]).argmax(1) == y[:64]
    return x[:64][ok][:32], y[:64][ok][:32]


@pytest.mark.parametrize("name", list(SPECS))
def test_attack_respects_budget_and_fools_the_model(name, mnist_model, clean):
    x, y = clean
    spec = {"target": "untargeted", **SPECS[name]}
    n = 8 if name == "jsma" else len(y)
    r = run_attack(mnist_model, x[:n], y[:n], spec, batch_size=16, seed=0)
    assert r.x_adv.shape == x[:n].shape and r.x_adv.min() >= 0 and r.x_adv.max() <= 1
    if spec.get("norm") == "Linf" and "eps" in spec:
        assert r.linf.max() <= spec["eps"] + 1e-5
    if spec.get("norm") == "L2" and "eps" in spec:
        assert r.l2.max() <= spec["eps"] + 1e-4
    assert r.success.float().mean() >= 0.3, f"{name}: success {r.success.float().mean():.2f}"
    with torch.no_grad():
        assert torch.equal(mnist_model(r.x_adv).argmax(1), r.pred_adv)


def test_targets():
    logits = torch.tensor([[0.1, 3.0, 2.0], [5.0, 1.0, 4.0]])
    y = torch.tensor([1, 0])
    g = torch.Generator().manual_seed(0)
    assert make_targets(logits, y, "second", g).tolist() == [2, 2]
    rnd = make_targets(logits.repeat(50, 1), y.repeat(50), "random", g)
    assert (rnd != y.repeat(50)).all() and set(rnd.tolist()) <= {0, 1, 2}
    assert make_targets(logits, y, "untargeted", g).tolist() == [-1, -1]


def test_targeted_success_means_reaching_the_target(mnist_model, clean):
    x, y = clean
    spec = {"method": "bim", "norm": "Linf", "eps": 0.3, "alpha": 0.05, "steps": 10, "target": "random"}
    r = run_attack(mnist_model, x, y, spec, batch_size=16, seed=1)
    assert (r.target != y).all()
    assert torch.equal(r.success, r.pred_adv == r.target)
    again = run_attack(mnist_model, x, y, spec, batch_size=16, seed=1)
    assert torch.equal(again.target, r.target) and torch.equal(again.x_adv, r.x_adv)


def test_unknown_method(mnist_model, clean):
    with pytest.raises(ValueError, match="unknown attack method 'deepfool'"):
        run_attack(mnist_model, *clean, {"method": "deepfool"})


def test_batched_jsma_matches_torchattacks(mnist_model, clean):
    """Our batched JSMA is torchattacks' algorithm, image for image."""
    import torchattacks

    from xaiadv.attacks import jsma

    x, y = clean
    x, target = x[:6], (y[:6] + 1) % 10
    ours = jsma.attack(mnist_model, x, target, **method_kwargs("attacks", "jsma", theta=1.0, gamma=0.1))
    atk = torchattacks.JSMA(mnist_model, theta=1.0, gamma=0.1)
    atk.set_mode_targeted_by_label(quiet=True)
    ref = atk(x, target)
    same = [(ours[i] - ref[i]).abs().max().item() < 1e-6 for i in range(len(x))]
    assert sum(same) >= 5, same
    with torch.no_grad():
        assert (mnist_model(ours).argmax(1) == target).float().mean() >= 0.5


def test_no_images_gives_an_empty_result(mnist_model):
    from xaiadv.explainers import explain

    r = run_attack(mnist_model, torch.zeros(0, 1, 28, 28), torch.zeros(0, dtype=torch.long), SPECS["pgd_l2"])
    assert r.x_adv.shape == (0, 1, 28, 28) and r.success.shape == (0,)
    assert explain(mnist_model, r.x_adv, r.pred_adv, {"method": "grad_cam"}).shape == (0, 1, 28, 28)


def test_bim_accumulated_is_the_authors_loop(mnist_model, clean):
    """Saito & Wang's released attack, written as their per-image loop (x.grad never zeroed, FGSM of the
    clean image along the accumulated gradient), equals our batched version image for image."""
    import torch.nn.functional as F

    from xaiadv.attacks.bim_accumulated import attack

    x, y = clean
    eps, steps = 0.2, 5
    ours = attack(mnist_model, x[:6], y[:6], **method_kwargs("attacks", "bim_accumulated", eps=eps, steps=steps))
    for i in range(6):
        leaf = x[i:i + 1].clone().requires_grad_(True)
        adv = leaf
        for _ in range(steps):
            loss = F.nll_loss(F.log_softmax(mnist_model(adv), dim=1), y[i:i + 1])
            loss.backward()
            adv = torch.clamp(leaf + eps * leaf.grad.data.sign(), 0, 1)
        assert torch.allclose(adv.detach(), ours[i:i + 1], atol=1e-6), f"image {i}"
    # one signed step: every changed pixel moved by exactly eps unless clipped at 0 or 1
    d = (ours - x[:6]).abs()
    interior = (ours > 0) & (ours < 1)
    assert torch.allclose(d[interior & (d > 0)], torch.tensor(eps), atol=1e-6)
    with pytest.raises(ValueError, match="L_inf attack"):
        attack(mnist_model, x[:2], y[:2], eps=1.0, steps=steps, norm="L2", space="pixel")


def test_bim_accumulated_in_the_released_codes_normalised_space(effnet, foolbox_images):
    """Issue 20: the released code steps and clips the normalised tensor: every adversarial pixel lies in
    [mean, mean + std] of its channel (no normalised value below 0), which clean photos violate; the pixel-space
    form keeps its L_inf budget and the clean image's dark pixels."""
    from conftest import method_kwargs

    from xaiadv.attacks.bim_accumulated import attack

    x, y = foolbox_images[0][:2], foolbox_images[1][:2]
    mean, std = effnet.normalize.mean, effnet.normalize.std
    assert bool(((x - mean) / std < 0).any())  # a clean photo has normalised values below 0
    kw = method_kwargs("attacks", "bim_accumulated", eps=0.1, steps=2)
    assert kw["space"] == "pixel"
    pix = attack(effnet, x, y, **kw)
    assert float((pix - x).abs().max()) <= 0.1 + 1e-6 and bool(((pix - mean) / std < 0).any())
    nrm = attack(effnet, x, y, **{**kw, "space": "normalized"})
    z = (nrm - mean) / std
    assert float(z.min()) >= -1e-5 and float(z.max()) <= 1 + 1e-5 and 0 <= float(nrm.min()) <= float(nrm.max()) <= 1
    with pytest.raises(ValueError, match="space 'logit'"):
        attack(effnet, x, y, **{**kw, "space": "logit"})


@pytest.mark.parametrize("increasing", [True, False])
def test_jsma_pairs_scored_in_blocks_are_the_whole_maps_first_maximum(increasing):
    """The blocked pair search returns what one argmax over the whole (F, F) map returns, ties included (small
    integer gradients make many equal scores; the first in row-major order must win)."""
    from xaiadv.attacks.jsma import saliency_pairs

    g = torch.Generator().manual_seed(0)
    tgt = torch.randint(-3, 4, (5, 50), generator=g).float()
    others = torch.randint(-3, 4, (5, 50), generator=g).float()
    domain = torch.rand(5, 50, generator=g) > 0.2
    whole = saliency_pairs(tgt, others, domain, increasing, block=10**9)
    for block in (50, 5 * 50 * 3, 5 * 50 * 7):  # 1, 3 and 7 rows per block (7 does not divide 50)
        p, q = saliency_pairs(tgt, others, domain, increasing, block=block)
        assert torch.equal(p, whole[0]) and torch.equal(q, whole[1]), block
