"""heat_blur: Brama & Grinshpoun (2020) on one attack's successful adversarial examples: Heat and Blur over a
sigma sweep (Fig. 4: benign accuracy after the defense, adversarial examples' true / target label, l_inf
distance) and at the configured sigma the top-1 and NDCG@1..5 of Adv, Cleaned and Control (Fig. 5, table)."""

from __future__ import annotations

import sys

from .. import runtime


def run(job) -> None:
    fout, par, wc = job.output, job.params, job.wildcards
    timer = runtime.Timer()
    with timer("load"):
        import numpy as np
        import torch

        from ..explainers.lrp import explain as lrp
        from ..io import write_json
        from ..metrics.ndcg import ndcg_at
        from ..rectifiers.heat_and_blur import heat_and_blur, heatmap_mask
        from ..stats import mean_ci, rate_ci
        from ._attacked import chosen, load_attacked

        device, model, x, adv = load_attacked(job)
        c = chosen(x, adv, par.n_images)
        spec = par.spec
        xa, xc, y = c["x_adv"].to(device), c["x_clean"].to(device), c["y"].to(device)
        target = c["target"].to(device)
        targeted = bool((target >= 0).all()) and len(target) > 0
        print(f"{wc.attack}: {len(y)} of {c['n_successful']} successful adversarial examples", file=sys.stderr)
    with timer("compute"):
        bs = par.batch["rectify"]

        @torch.no_grad()
        def logits(imgs):
            return torch.cat([model(imgs[i:i + bs]) for i in range(0, len(imgs), bs)]) if len(imgs) else \
                torch.zeros((0, 1), device=device)

        def masks(imgs, labels):
            return torch.cat([heatmap_mask(lrp(model, imgs[i:i + bs], labels[i:i + bs], first_rule=spec["first_rule"]),
                                           spec["k_std"], spec["absolute"]) for i in range(0, len(imgs), bs)]) \
                if len(imgs) else torch.zeros((0, 1, *x.shape[-2:]), dtype=torch.bool, device=device)

        l_clean, l_adv = logits(xc), logits(xa)
        m_clean, m_adv = masks(xc, l_clean.argmax(1)), masks(xa, l_adv.argmax(1))  # the heatmap of the model's class
        r = lambda v: rate_ci(np.asarray(v, dtype=float), seed=par.seed)  # noqa: E731
        sweep = []
        for sigma in spec["sigmas"]:
            cc, ca = heat_and_blur(xc, m_clean, sigma), heat_and_blur(xa, m_adv, sigma)
            pc, pa = logits(cc).argmax(1), logits(ca).argmax(1)
            sweep.append({"sigma": sigma, "control_accuracy": r((pc == y).cpu()),
                          "adversarial_true_label": r((pa == y).cpu()),
                          "adversarial_target_label": r((pa == target).cpu()) if targeted else None,
                          "adversarial_unchanged": r((pa == l_adv.argmax(1)).cpu()),
                          "linf_cleaned_vs_benign": mean_ci((ca - xc).abs().flatten(1).amax(1).cpu().numpy(), seed=par.seed),
                          "linf_control_vs_benign": mean_ci((cc - xc).abs().flatten(1).amax(1).cpu().numpy(), seed=par.seed)})
        sigma = spec["sigma"]
        groups = {"adversarial": l_adv, "cleaned": logits(heat_and_blur(xa, m_adv, sigma)),
                  "control": logits(heat_and_blur(xc, m_clean, sigma))}
        ks = list(range(1, spec["ndcg_k"] + 1))
        main = {}
        for g, lg in groups.items():
            nd = ndcg_at(l_clean.cpu().numpy(), lg.cpu().numpy(), ks, spec["coverage_benign"], spec["coverage_other"]) \
                if len(lg) else np.zeros((0, len(ks)))
            main[g] = {"top1": r((lg.argmax(1) == y).cpu()) if len(lg) else r([]),
                       "ndcg": {str(k): mean_ci(nd[:, i], seed=par.seed) for i, k in enumerate(ks)}}
        main["benign_top1"] = r((l_clean.argmax(1) == y).cpu()) if len(y) else r([])
        main["mask_fraction"] = mean_ci(m_adv.float().flatten(1).mean(1).cpu().numpy(), seed=par.seed)
        l2 = (xa - xc).flatten(1)
        size = {"l2": mean_ci(l2.norm(dim=1).cpu().numpy(), seed=par.seed),
                "mse": mean_ci((l2 ** 2).mean(1).cpu().numpy(), seed=par.seed)}
        for g in ("adversarial", "cleaned", "control"):
            print(f"{g}: top-1 {100 * main[g]['top1']['rate']:.1f}%, NDCG@1 {main[g]['ndcg']['1']['mean']:.3f}, "
                  f"NDCG@5 {main[g]['ndcg'][str(ks[-1])]['mean']:.3f} (n={len(y)})", file=sys.stderr)
    with timer("write"):
        write_json(fout.json, {"dataset": wc.dataset, "model": wc.model, "attack": wc.attack, "spec": spec,
                           "targeted": targeted, "n": len(y), "n_successful": c["n_successful"],
                           "perturbation": size, "sweep": sweep, "main": main})
    timer.report("heat_blur", attack=wc.attack, n=len(y))
