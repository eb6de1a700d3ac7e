"""Our batched I-GOS against an unbatched transcription of the reference algorithm (zhongangqi/IGOS,
``Integrated_Mask``) on real digits, with the reference's own noise source (``cv2.randn``).

The oracle below is written for this test, one image at a time, in the order the reference computes:
path images k/N * M for k = 1..N, noise from ``noise = noise + cv2.randn(noise, 0, 0.2)`` on an H x W x C
float32 array (so N(0, 0.4^2) on the first channel only, see ``xaiadv.rectifiers.igos``), the class
score summed / 20, the Armijo line search from step 200 by x0.2, clamp. The reference's code is not copied.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

cv2 = pytest.importorskip("cv2")

from xaiadv.rectifiers.filters import gaussian_blur  # noqa: E402
from xaiadv.rectifiers.igos import _noise_std, igos_mask  # noqa: E402


def oracle_curve(model, x, baseline, label, *, mask_size, iterations, ig_iter=20, seed=0):
    """Class probability of the composite after each iteration, for one image x (1, C, H, W) in [0, 1]."""
    cv2.setRNGSeed(seed)
    _, c, h, w = x.shape
    std = model.normalize.std.view(1, c, 1, 1)
    up = lambda m: F.interpolate(m, size=(h, w), mode="bilinear", align_corners=True)  # noqa: E731
    prob = lambda m: F.softmax(model(x * up(m) + baseline * (1 - up(m))), 1)[0, label]  # noqa: E731
    mask = torch.ones(1, 1, mask_size, mask_size)
    curve = []
    for _ in range(iterations):
        m = mask.clone().requires_grad_(True)
        loss = torch.zeros(())
        for k in range(ig_iter):
            im = (k + 1.0) / ig_iter * up(m)
            noise = np.zeros((h, w, c), dtype=np.float32)
            noise = noise + cv2.randn(noise, 0, 0.2).reshape(h, w, c)  # the reference's line (normalised space)
            n = torch.from_numpy(noise).permute(2, 0, 1)[None] * std  # -> [0, 1] scale (the model normalises)
            loss = loss + F.softmax(model(x * im + baseline * (1 - im) + n), 1)[0, label] / 20.0
        grad = torch.autograd.grad(loss, m)[0]
        with torch.no_grad():
            p_ori = prob(mask)
            step, g2 = 200.0, grad.pow(2).sum()
            while True:
                cand = (mask - step * grad).clamp(0, 1)
                if prob(cand) <= p_ori - 1e-4 * step * g2:
                    break
                step *= 0.2
                if step < 1e-5:
                    break
            mask = (mask - step * grad).clamp(0, 1)
            curve.append(float(prob(mask)))
    return curve


@pytest.fixture(scope="module")
def adversarial_digits(mnist_model, mnist_small):
    import torchattacks

    _, _, x, y = mnist_small
    x, y = x[:64], y[:64]
    adv = torchattacks.PGD(mnist_model, eps=0.3, alpha=0.03, steps=20)(x, y)  # confident: the class saturates
    with torch.no_grad():
        pred = mnist_model(adv).argmax(1)
    ok = pred != y
    return adv[ok][:6], pred[ok][:6]


def test_reference_noise_is_what_cv2_randn_gives():
    """The reference's line gives std 0.4 on the first channel and 0 on the others; our 'reference' form
    (in normalised units, before the model's std) says the same; 'documented' is 0.2 everywhere."""
    cv2.setRNGSeed(1)
    noise = np.zeros((64, 64, 3), dtype=np.float32)
    noise = noise + cv2.randn(noise, 0, 0.2)
    got = noise.reshape(-1, 3).std(0)
    assert got[0] == pytest.approx(0.4, rel=0.05) and got[1] == 0 and got[2] == 0
    x = torch.zeros(1, 3, 8, 8)
    assert _noise_std(None, x, 0.2, "reference").flatten().tolist() == pytest.approx([0.4, 0.0, 0.0])
    assert _noise_std(None, x, 0.2, "documented").flatten().tolist() == pytest.approx([0.2, 0.2, 0.2])
    with pytest.raises(ValueError, match="noise_form 'cv2'"):
        _noise_std(None, x, 0.2, "cv2")


def test_batched_igos_follows_the_reference_class_score_curve(mnist_model, adversarial_digits):
    """Kao's no-penalty I-GOS on 6 real PGD digits for their adversarial class: the mean class-probability
    curve of ours (batched, 'reference' noise) stays within 0.06 of the oracle's over 4 seeds at every
    iteration, closer than with the documented noise."""
    x, label = adversarial_digits
    assert len(x) >= 4
    base = gaussian_blur(x, 7, 6.25)
    iters, seeds = 4, range(4)
    ref = np.mean([[oracle_curve(mnist_model, x[i:i + 1], base[i:i + 1], int(label[i]), mask_size=7,
                                 iterations=iters, seed=s) for i in range(len(x))] for s in seeds], axis=(0, 1))

    def ours(form):
        out = []
        for t in range(1, iters + 1):
            ps = []
            for s in seeds:
                g = torch.Generator().manual_seed(s)
                _, p, _ = igos_mask(mnist_model, x, base, label, mask_size=7, iterations=t, ig_iter=20, l1=0.0,
                                    tv=0.0, l1_schedule=False, noise_form=form, generator=g)
                ps.append(p.mean().item())
            out.append(np.mean(ps))
        return np.array(out)

    with torch.enable_grad():
        got, documented = ours("reference"), ours("documented")
    print("oracle", ref.round(3), "ours", got.round(3), "documented", documented.round(3))
    assert np.abs(got - ref).max() < 0.06
    assert np.abs(got - ref).mean() <= np.abs(documented - ref).mean() + 0.01
