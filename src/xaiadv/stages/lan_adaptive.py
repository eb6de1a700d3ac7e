"""lan_adaptive: beyond Nguyen et al. (2018), targeted PGD that knows the detector (f1, g, f2 all
differentiable) against plain targeted PGD on f1 at the same budget; what detection rate survives."""

from __future__ import annotations

import sys

from .. import runtime


def run(job) -> None:
    fin, fout, par, wc = job.input, job.output, job.params, job.wildcards
    timer = runtime.Timer()
    with timer("load"):
        import numpy as np
        import torch

        from ..attacks.base import make_targets
        from ..adaptive.lan import attack
        from ..data import load_split
        from ..detectors.lan import flags, lan_outputs
        from ..io import write_json
        from ..stats import rate_ci
        from ._lan import load_detector

        device, f1, g, f2 = load_detector(job)
        for m in (f1, g, f2):
            for p in m.parameters():
                p.requires_grad_(False)
        spec = par.spec
        x, y, _, _ = load_split(fin.test, max(4 * spec["n"], 200))  # the candidates only
    with timer("compute"):
        cand = x[:max(4 * spec["n"], 200)]
        with torch.no_grad():  # one f1 pass: the correctly classified images and their logits (for the targets)
            nb = par.batch["lan"] or 256
            logits = torch.cat([f1(cand[i:i + nb].to(device)).cpu() for i in range(0, len(cand), nb)])
        keep = torch.nonzero(logits.argmax(1) == y[:len(cand)]).flatten()[:spec["n"]]
        xs, ys, logits = x[keep], y[keep], logits[keep]
        target = make_targets(logits, ys, spec["target"], torch.Generator().manual_seed(par.seed))
        clean = lan_outputs(f1, g, f2, xs, batch_size=nb, device=device)
        r = lambda v: rate_ci(np.asarray(v, dtype=float), seed=par.seed)  # noqa: E731
        res = {"dataset": wc.dataset, "model": wc.model, "spec": spec, "n": len(ys),
               "tn_clean": r((~flags(clean)).numpy())}
        for name, w in (("pgd", 0.0), ("adaptive", spec["weight"])):
            ab = par.batch["adaptive"] or 128
            xa = torch.cat([attack(f1, xs[i:i + ab].to(device), target[i:i + ab].to(device), g=g, f2=f2,
                                   eps=spec["eps"], alpha=spec["alpha"], steps=spec["steps"], weight=w).cpu()
                            for i in range(0, len(xs), ab)]) if len(xs) else xs
            out = lan_outputs(f1, g, f2, xa, batch_size=nb, device=device)
            hit = out["pred_f1"] == target
            fl = flags(out)
            res[name] = {"weight": w, "success": r(hit.numpy()), "detected": r(fl[hit].numpy()),
                         "evaded": r((hit & ~fl).numpy()),
                         "recovery": r((out["pred_f2"][hit] == ys[hit]).numpy()),
                         "linf": float((xa - xs).abs().flatten(1).amax(1).mean()) if len(xs) else float("nan")}
            print(f"{name} (weight {w}): f1 -> target {100 * res[name]['success']['rate']:.1f}%, detected "
                  f"{100 * res[name]['detected']['rate']:.1f}% of those, evaded {100 * res[name]['evaded']['rate']:.1f}% "
                  f"(n={len(ys)})", file=sys.stderr)
    with timer("write"):
        write_json(fout.json, res)
    timer.report("lan_adaptive", model=wc.model, n=len(ys))
