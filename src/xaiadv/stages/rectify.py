"""rectify: every configured rectifier on one attack's successful adversarial examples (and, beyond
Kao et al., on the same images' clean versions), one JSON per rectifier. The clean images' rectification is
computed once for every attack of the model (rule rectify_clean) and read here by test-split index."""

from __future__ import annotations

import sys
import time

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


def per_image(res: dict) -> list[float]:
    """Per-image hit (1/0), or hit rate over repeats for "mean" rectifiers."""
    hits = res["hits"].float()
    return (hits if res["aggregate"] == "vote" else hits.mean(0)).tolist()


def ndcg(benign_logits, res: dict, seed: int, ks=(1, 5)) -> dict:
    """Beyond Kao et al.: mean NDCG@k (Brama & Grinshpoun 2020, Eq. 3-7) of the rectified images' predictions
    (logits averaged over repeats) against the benign images', with bootstrap intervals; {"1": {...}, "5": {...}}."""
    from ..metrics.ndcg import ndcg_at
    from ..stats import mean_ci

    if len(benign_logits) == 0:
        return {str(k): mean_ci([], seed=seed) for k in ks}
    nd = ndcg_at(benign_logits.numpy(), res["logits"].numpy(), ks)
    return {str(k): mean_ci(nd[:, i], seed=seed) for i, k in enumerate(ks)}


def run(job) -> None:
    fin, fout, par, wc = job.input, job.output, job.params, job.wildcards
    timer = runtime.Timer()
    with timer("load"):
        import torch

        from ..io import load_tensors, write_json
        from ..rectifiers import evaluate, source_file
        from ._attacked import chosen, load_attacked, spec_for_output
        from .rectify_clean import rectifier_extra, rows_for

        device, model, x, adv = load_attacked(job)
        shared, shared_meta = load_tensors(fin.clean)  # the clean images' rectification (rule rectify_clean)
        c = chosen(x, adv, par.n_rectify)
        x_adv, x_clean, y, label_adv, label_clean = c["x_adv"], c["x_clean"], c["y"], c["label_adv"], c["label_clean"]
        sel = c["index"]
        rows = rows_for(shared, sel)
        if not torch.equal(shared["label"][rows], label_clean) or not torch.equal(shared["y"][rows], y):
            raise SystemExit(f"{fin.clean}: its clean labels differ from {fin.adv}'s (not the same model; rerun "
                             "rule rectify_clean)")

        with torch.no_grad():  # the benign images' logits: NDCG's graded relevance
            benign_logits = torch.cat([model(x_clean[i:i + par.batch["rectify"]].to(device)).float().cpu()
                                       for i in range(0, len(x_clean), par.batch["rectify"])]) if len(x_clean) else torch.zeros(0, 1)
        print(f"{wc.attack}: rectifying {len(sel)} of {c['n_successful']} successful adversarial examples", file=sys.stderr)
    for out in fout.files:
        name, spec = spec_for_output(out, par.rectifiers, "rectifier")
        t0 = time.perf_counter()
        extra, skipped = rectifier_extra(name, spec, par, device)
        if skipped:
            with timer("write"):
                write_json(out, {"dataset": wc.dataset, "model": wc.model, "attack": wc.attack, "rectifier": name,
                                 "spec": spec, "method": "dae", "skipped": skipped["skipped"],
                                 "n_successful": c["n_successful"], "code": source_file("dae").name})
            print(f"{name}: skipped ({skipped['skipped']})", file=sys.stderr)
            continue
        with timer("compute"):
            r_adv = evaluate(model, x_adv, label_adv, y, spec, batch_size=par.batch["rectify"], seed=par.seed, device=device,
                             extra=extra)
            if f"{name}/hits" not in shared:
                raise SystemExit(f"{fin.clean}: no rows of rectifier {name!r} (rerun rule rectify_clean)")
            h = shared[f"{name}/hits"]
            r_clean = {"hits": h[rows] if h.dim() == 1 else h[:, rows], "aggregate": shared_meta["aggregate"][name],
                       "logits": shared[f"{name}/logits"][rows]}
        with timer("write"):
            write_json(out, {"dataset": wc.dataset, "model": wc.model, "attack": wc.attack, "rectifier": name, "spec": spec,
                             "method": spec["method"], "aggregate": r_adv["aggregate"],
                             "adversarial": score(r_adv, par.seed), "clean": score(r_clean, par.seed),
                             "ndcg": {"adversarial": ndcg(benign_logits, r_adv, par.seed),
                                      "clean": ndcg(benign_logits, r_clean, par.seed)},
                             "n_successful": c["n_successful"], "code": source_file(spec["method"]).name,
                             # per image (test-split index): rectified to the true label (a rate over repeats
                             # for "mean" rectifiers), for the end-to-end evaluation behind a detector
                             "per_image": {"index": sel.tolist(), "sample_id": c["sample_id"].tolist(),
                                           "adversarial": per_image(r_adv),
                                           "clean": per_image(r_clean)}})
        print(f"{name}: adversarial -> true label {100 * r_adv['hits'].float().mean():.1f}%, "
              f"clean kept {100 * r_clean['hits'].float().mean():.1f}% (n={len(sel)}, {time.perf_counter() - t0:.1f} s)",
              file=sys.stderr)
    timer.report("rectify", attack=wc.attack, n=len(sel))
