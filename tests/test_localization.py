"""Göpfert et al. (2019): segments, the localized BIM, LIME, guided backprop through functional ReLUs, the
metrics (Eq. 2-3), ranks and Table 1 on real images."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from conftest import method_kwargs, schema_defaults
from xaiadv.localization import metrics as M
from xaiadv.localization.segments import largest_segments


def test_jaccard_and_hamming_on_hand_made_masks():
    c = np.zeros((4, 4), bool)
    c[:2, :2] = True                      # region: 4 pixels
    p = np.zeros((4, 4), bool)
    p[:2, 1:3] = True                     # 4 pixels, 2 inside the region
    assert M.jaccard(p, c) == pytest.approx(2 / 6)
    assert M.hamming_likeness(p, c) == pytest.approx(1 - 4 / 16)
    assert M.jaccard(c, c) == 1.0 and M.hamming_likeness(c, c) == 1.0
    assert M.jaccard(~c, c) == 0.0 and M.hamming_likeness(~c, c) == 0.0
    # broadcast over a stack of explanations
    assert M.jaccard(np.stack([p, c]), c).tolist() == pytest.approx([1 / 3, 1.0])


def test_relevance_top_k_superpixels_and_ranks():
    a = np.zeros((1, 3, 2, 3))
    a[0, 0, 0, 0], a[0, 1, 0, 0] = 2.0, -5.0   # negative values are discarded: relevance 2, not |.| = 7
    a[0, :, 1, 2] = 1.0                         # relevance 3
    rel = M.pixel_relevance(a)[0]
    assert rel[0, 0] == 2.0 and rel[1, 2] == 3.0 and rel.sum() == 5.0
    masks = M.top_k_masks(rel, np.array([1, 2]), np.random.default_rng(0))
    assert masks[0].sum() == 1 and masks[0][1, 2] and masks[1][0, 0] and masks[1].sum() == 2
    lime_map = np.array([[0.5, 0.5, 0.0], [0.9, -0.2, 0.1]])
    sp = M.superpixel_ranking(lime_map)
    assert [s.sum() for s in sp] == [1, 2, 1] and sp[0][1, 0]   # 0.9, then 0.5 (two pixels), then 0.1
    assert M.partial_union_sizes(sp).tolist() == [1, 3, 4]
    assert len(M.superpixel_ranking(lime_map, max_superpixels=2)) == 2
    r = M.ranks(np.array([[0.9, 0.5, 0.1], [0.2, 0.2, 0.7]]))
    assert r.tolist() == [[1, 2, 3], [2.5, 2.5, 1]]
    c = np.zeros((2, 3), bool)
    c[1, 2] = True
    assert M.pointing_hit(rel, c) == 1.0 and M.pointing_hit(lime_map, c) == 0.0
    assert M.pointing_hit(np.where(lime_map == 0.5, 1, 0), np.array([[True, False, False], [False] * 3])) == 0.5


def test_segments_are_disjoint_largest_first(foolbox_images):
    x, _ = foolbox_images
    s = largest_segments(x[0].numpy(), scale=400, sigma=0.8, min_size=500, n_segments=10)
    assert s.shape == (10, 224, 224) and s.dtype == bool
    sizes = s.sum(axis=(1, 2))
    assert (np.diff(sizes) <= 0).all() and sizes[-1] >= 500
    assert s.sum(axis=0).max() == 1   # disjoint
    with pytest.raises(ValueError, match="must be"):
        largest_segments(x[0, 0].numpy())


def test_localized_bim_changes_only_its_region_and_reaches_the_target(effnet, foolbox_images):
    """On two real ImageNet images, the largest segment each: the target class (77) is reached and not one
    pixel outside the region changes, bit for bit."""
    from xaiadv.attacks.localized_bim import attack

    torch.set_num_threads(2)
    x, _ = foolbox_images
    x = x[:2]
    region = torch.from_numpy(np.stack([largest_segments(xi.numpy(), n_segments=1)[0] for xi in x]))
    kw = {k: v for k, v in schema_defaults("localization", "attack", alpha=4 / 255, steps=40).items() if k != "batch_size"}
    r = attack(effnet, x, torch.full((2,), 77), region, **kw)
    assert r["success"].all(), r["steps"]
    with torch.no_grad():
        assert (effnet(r["x_adv"]).argmax(1) == 77).all()
    outside = ~region[:, None].expand_as(x)
    assert torch.equal(r["x_adv"][outside], x[outside])
    assert (r["x_adv"] != x)[~outside].any() and r["x_adv"].min() >= 0 and r["x_adv"].max() <= 1
    assert (r["steps"] < 40).all()   # it stopped on success
    with pytest.raises(ValueError, match="shapes"):
        attack(effnet, x, torch.full((3,), 77), region, **kw)


def test_localized_bim_gives_up_when_it_stops_progressing(effnet, foolbox_images):
    """A region of one pixel cannot move EfficientNet to the target: the attempt stalls and is not a success."""
    from xaiadv.attacks.localized_bim import attack

    x, _ = foolbox_images
    region = torch.zeros((1, 224, 224), dtype=torch.bool)
    region[0, 100, 100] = True
    r = attack(effnet, x[:1], torch.tensor([77]), region, alpha=4 / 255, eps=1.0, steps=50, patience=3, min_gain=0.05)
    assert not r["success"].any() and r["stalled"].all() and r["steps"][0] < 50


def test_lime_superpixels_are_reproducible_with_a_seed(effnet, foolbox_images):
    from xaiadv.explainers.lime import explain

    x, y = foolbox_images
    kw = method_kwargs("explainers", "lime", num_samples=40, lime_batch=20)
    a = explain(effnet, x[:1], y[:1], seed=3, **kw)
    b = explain(effnet, x[:1], y[:1], seed=3, **kw)
    c = explain(effnet, x[:1], y[:1], seed=4, **kw)
    assert a.shape == (1, 1, 224, 224) and (a >= 0).all() and (a > 0).any()
    assert torch.equal(a, b)
    ra, rc = M.superpixel_ranking(a[0, 0].numpy()), M.superpixel_ranking(c[0, 0].numpy())
    assert 0 < len(ra) <= 20
    assert not (len(ra) == len(rc) and all(np.array_equal(p, q) for p, q in zip(ra, rc)))


def test_batched_lime_equals_the_package_explainer(effnet, foolbox_images):
    """Our vectorised sampling draws the same perturbed images as lime's own loop: identical maps."""
    from lime import lime_image

    from xaiadv.explainers.lime import explain

    x, y = foolbox_images
    kw = method_kwargs("explainers", "lime", num_samples=30, lime_batch=10)
    ours = explain(effnet, x[1:2], y[1:2], seed=5, **kw)
    theirs = explain(effnet, x[1:2], y[1:2], seed=5, **kw,
                     explainer_class=lime_image.LimeImageExplainer)
    assert torch.allclose(ours, theirs, atol=1e-6) and (ours > 0).any()


def test_guided_backprop_guides_functional_relus_of_inception_v3():
    """torchvision's Inception-v3 calls F.relu: module hooks alone (captum) give the plain gradient there; ours
    differs from saliency, and the functional ReLU is restored afterwards."""
    import torch.nn.functional as F
    from captum.attr import GuidedBackprop

    from xaiadv.explainers import guided_backprop, saliency
    from xaiadv.models import build

    torch.manual_seed(0)
    m = build("inception_v3", None).eval()
    x = torch.rand(1, 3, 299, 299, requires_grad=True)
    t = torch.tensor([3])
    relu = F.relu
    gb = guided_backprop.explain(m, x, t)
    sal = saliency.explain(m, x, t, abs=False)
    assert F.relu is relu and torch.relu is not None
    with pytest.warns(UserWarning):
        hooks_only = GuidedBackprop(m).attribute(x, target=t)
    assert torch.allclose(hooks_only, sal)            # the failure mode: plain gradient
    assert (gb - sal).abs().max() > 0.5 * sal.abs().max()


def test_table1_ranks_and_paper_numbers(tmp_path):
    """A scores file where guided backprop always wins and saliency always loses: ranks 1 / 2 / 3 exactly, the
    paper's numbers beside them, random baseline not ranked."""
    from xaiadv.io import write_json
    from xaiadv.tables.goepfert2019 import leaderboard, table1

    rows = []
    for ex in range(4):
        for n in range(1, 6):
            for e, j in (("saliency_signed", 0.1), ("guided_backprop", 0.5), ("lime", 0.3), ("random", 0.01),
                         ("grad_cam", 0.4)):
                rows.append({"example": ex, "image": ex // 2, "segment": ex % 2, "region_size": 100, "explainer": e,
                             "n": n, "size": 10 * n, "jaccard": j + 0.01 * n, "hamming": 0.9 + j / 10,
                             "pointing": 1.0 if e == "guided_backprop" else 0.0})
    pd.DataFrame(rows).to_csv(tmp_path / "scores.csv", index=False)
    write_json(tmp_path / "attack.json", {"n_images": 2, "success": {"rate": 0.4, "n": 10, "lo": 0.1, "hi": 0.7}})
    files = {("imagenet", "effnet_lite0"): (tmp_path / "attack.json", tmp_path / "scores.csv")}
    df = table1(files, tmp_path / "t.csv", tmp_path / "t.md").set_index("explainer")
    assert df.loc["guided_backprop", "mean_rank_jaccard"] == 1 and df.loc["lime", "mean_rank_hamming"] == 2
    assert df.loc["saliency_signed", "mean_rank_jaccard"] == 3
    assert df.loc["saliency_signed", "paper_rank_jaccard"] == pytest.approx(2.58)
    assert df.loc["lime", "paper_rank_hamming"] == pytest.approx(1.38)
    assert df.loc["saliency_signed", "paper_rank_jaccard_inside_ci"] == False  # noqa: E712
    assert np.isnan(df.loc["random", "mean_rank_jaccard"]) and df.loc["random", "mean_jaccard"] < 0.1
    md = (tmp_path / "t.md").read_text()
    assert "2.58 (ours +0.42, outside our CI)" in md
    assert "2 / 4 (small n=2)" in md  # intervals cluster over the 2 images, not the 4 examples (issue 20)
    assert "Hamming ranks equal Jaccard ranks in 60 of 60" in md  # 4 examples x 5 sizes x 3 explainers
    lb = leaderboard(files, tmp_path / "l.csv", tmp_path / "l.md").set_index("explainer")
    assert lb.loc["guided_backprop", "mean_rank_jaccard"] == 1 and lb.loc["random", "mean_rank_jaccard"] == 5
    assert lb.loc["guided_backprop", "pointing"] == 1.0 and lb.loc["grad_cam", "mean_rank_jaccard"] == 2
