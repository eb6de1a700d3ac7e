"""rectify: every configured rectifier on one attack's successful adversarial examples (and, beyond
Kao et al., on the same images' clean versions), one JSON per rectifier."""

from __future__ import annotations

import sys

from .. import runtime


def score(res: dict, seed: int) -> dict:
    """Rectified accuracy with n and a bootstrap interval; for "mean" rectifiers also the mean and the
    spread (std) of the accuracy over repeats (the interval is over images of the per-image hit rate)."""
    import numpy as np

    from ..stats import rate_ci

    hits = res["hits"].numpy()
    if res["aggregate"] == "vote":
        return rate_ci(hits, seed=seed)
    per_repeat = hits.mean(1) if hits.shape[1] else np.zeros(len(hits))
    out = rate_ci(hits.mean(0), seed=seed) if hits.shape[1] else rate_ci([], seed=seed)
    out.update(mean_over_repeats=float(per_repeat.mean()), std_over_repeats=float(per_repeat.std()),
               repeats=int(hits.shape[0]))
    return out


def run(a) -> None:
    timer = runtime.Timer()
    with timer("load"):
        import torch

        from ..io import write_json
        from ..rectifiers import evaluate, source_file
        from ._attacked import load_attacked, spec_for_output

        device, model, x, adv = load_attacked(a)
        ok = adv["success"].bool()
        sel = torch.nonzero(ok).flatten()
        if a.n_rectify:
            sel = sel[:a.n_rectify]
        x_adv, y = adv["x_adv"][sel], adv["y"][sel]
        x_clean = x[adv["index"][sel]]
        label_adv, label_clean = adv["pred_adv"][sel], adv["pred_clean"][sel]
        print(f"{a.attack}: rectifying {len(sel)} of {int(ok.sum())} successful adversarial examples", file=sys.stderr)
    for out in a.outputs:
        name, spec = spec_for_output(out, a.rectifiers, "rectifier")
        with timer("compute"):
            r_adv = evaluate(model, x_adv, label_adv, y, spec, batch_size=a.batch_size, seed=a.seed, device=device)
            r_clean = evaluate(model, x_clean, label_clean, y, spec, batch_size=a.batch_size, seed=a.seed + 1,
                               device=device)
        with timer("write"):
            write_json(out, {"dataset": a.dataset, "model": a.model, "attack": a.attack, "rectifier": name, "spec": spec,
                             "method": spec["method"], "aggregate": r_adv["aggregate"],
                             "adversarial": score(r_adv, a.seed), "clean": score(r_clean, a.seed),
                             "n_successful": int(ok.sum()), "code": source_file(spec["method"]).name})
        print(f"{name}: adversarial -> true label {100 * r_adv['hits'].float().mean():.1f}%, "
              f"clean kept {100 * r_clean['hits'].float().mean():.1f}% (n={len(sel)})", file=sys.stderr)
    timer.report("rectify", attack=a.attack, n=len(sel))
