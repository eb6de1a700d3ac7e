"""The printed-cell keys a config's tables look up: what ``src/xaiadv/papers/<key>.csv`` must match.

A paper CSV row that no table of a full config looks up is a comparison silently dropped (a renamed
attack, rectifier or detector); ``tests/test_papers.py`` checks every row against
:func:`cell_keys` of ``config/paper.yaml``.
"""

from __future__ import annotations

from .. import dag as xcfg


def cell_keys(config: dict) -> set[tuple[str, str, str, str, str]]:
    """``{(paper, table, dataset, attack, metric)}`` that the tables of a validated ``config`` look up,
    with the same keys as :func:`xaiadv.papers.lookup` (``attack`` "" where a table has no attack axis)."""
    keys = set()
    for d, _m in xcfg.model_pairs(config):
        keys.add(("kao2021", "table1", d, "", "accuracy"))
        for a in xcfg.attacks_for(config, d):
            keys.add(("saito2020", "table1", d, a, "attack_success"))
    for d, _m, a in xcfg.rectification_jobs(config):
        for r in config["rectifiers"]:
            keys.add(("kao2021", "table2", d, a, f"rectified_accuracy:{r}"))
    for d, _m, a, e in xcfg.detection_jobs(config):
        if config["explainers"][e]["method"] == "expected_gradients":
            for det in config["detectors"]:
                keys.add(("saito2020", "table2", d, a, f"detection_accuracy:{det}"))
    for d, m, src, a in xcfg.lan_jobs(config):
        if src == m:
            keys.add(("nguyen2018", "table1", d, a, "mask_kept"))
        for metric in ("tp", "tn"):
            keys.add(("nguyen2018", "table2" if src == m else "table3", d, a, metric))
        for metric in ("tp", "tn", "recovery"):
            keys.add(("nguyen2018", "table4", d, a, metric))
    for d, _m in xcfg.lan_models(config):
        keys.update({("nguyen2018", "models", d, "", "f1_accuracy"), ("nguyen2018", "models", d, "", "f2_accuracy")})
    for d, _m, a in xcfg.heat_blur_jobs(config):
        keys.update({("brama2020", "table", d, a, "adv_top1"), ("brama2020", "table", d, a, "adv_ndcg1")})
    for d, _m in xcfg.heat_blur_models(config):
        for a in ("pgd", "algorithm2", "bpda_eot"):
            keys.add(("brama2020", "adaptive", d, a, "defended_success"))
    for d, _m in xcfg.localization_models(config):
        for metric in ("jaccard", "hamming"):
            for e in ("saliency", "guided_backprop", "lime"):  # the paper's rows (tables/goepfert2019.PAPER_ROWS)
                keys.add(("goepfert2019", "table1", d, "localized_bim", f"mean_rank_{metric}:{e}"))
        keys.update({("goepfert2019", "table1", d, "localized_bim", "n_adversarial"),
                     ("goepfert2019", "table1", d, "localized_bim", "n_explanations")})
    return keys
