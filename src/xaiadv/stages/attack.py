"""attack: one attack on the correctly classified evaluation images of one model."""

from __future__ import annotations

import sys

from .. import runtime


def run(job) -> None:
    fin, fout, par, wc = job.input, job.output, job.params, job.wildcards
    timer = runtime.Timer()
    with timer("load"):
        import torch

        from ..attacks import run_attack
        from ..data import load_split
        from ..io import save_tensors, write_json
        from ..models import load_model
        from ..stats import rate_ci
        from ..models.train import predict

        device = runtime.setup(par.seed, job.threads, par.device, par.deterministic)
        model = load_model(fin.model, device)
        x, y, ids, _ = load_split(fin.test, par.n_eval)
    with timer("compute"):
        pred = predict(model, x, par.batch["attack"], device)
        keep = torch.nonzero(pred == y).flatten()
        print(f"{len(keep)}/{len(y)} clean images correctly classified; attacking those", file=sys.stderr)
        res = run_attack(model, x[keep], y[keep], par.spec, par.batch["attack"], par.seed, device)
    sr = rate_ci(res.success.numpy(), seed=par.seed)
    print(f"{wc.attack}: success {100 * sr['rate']:.1f}% (n={sr['n']}), mean L2 {res.l2.mean():.3f}, "
          f"mean Linf {res.linf.mean():.3f}", file=sys.stderr)
    with timer("write"):
        tensors = {"x_adv": res.x_adv, "index": keep, "ids": ids[keep], "y": y[keep], "target": res.target,
                   "pred_clean": res.pred_clean, "pred_adv": res.pred_adv, "success": res.success.to(torch.uint8),
                   "l2": res.l2, "linf": res.linf}
        save_tensors(fout.tensors, tensors, {"dataset": wc.dataset, "model": wc.model, "attack": wc.attack, "spec": par.spec})
        write_json(fout.summary, {"dataset": wc.dataset, "model": wc.model, "attack": wc.attack, "spec": par.spec,
                                   "n_eval": len(y), "n_attacked": len(keep), "success": sr,
                                   "mean_l2": float(res.l2[res.success].mean()) if res.success.any() else float("nan"),
                                   "mean_linf": float(res.linf[res.success].mean()) if res.success.any() else float("nan")})
    timer.report("attack", attack=wc.attack, n=len(keep))
