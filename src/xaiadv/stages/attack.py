"""attack: one attack on the correctly classified evaluation images of one model."""

from __future__ import annotations

import sys
from pathlib import Path

from .. import runtime


def run(a) -> None:
    timer = runtime.Timer()
    with timer("load"):
        import torch

        from ..attacks import run_attack
        from ..data import load_split
        from ..io import save_tensors, write_json
        from ..models import load_model
        from ..stats import rate_ci
        from ..train import predict

        device = runtime.setup(a.seed, a.threads, a.device)
        model = load_model(a.model_file, device)
        x, y, ids, _ = load_split(a.test_split, a.n_eval)
    with timer("compute"):
        pred = predict(model, x, a.batch_size, device)
        keep = torch.nonzero(pred == y).flatten()
        print(f"{len(keep)}/{len(y)} clean images correctly classified; attacking those", file=sys.stderr)
        res = run_attack(model, x[keep], y[keep], a.spec, a.batch_size, a.seed, device)
    sr = rate_ci(res.success.numpy(), seed=a.seed)
    print(f"{a.attack}: success {100 * sr['rate']:.1f}% (n={sr['n']}), mean L2 {res.l2.mean():.3f}, "
          f"mean Linf {res.linf.mean():.3f}", file=sys.stderr)
    with timer("write"):
        tensors = {"x_adv": res.x_adv, "index": keep, "ids": ids[keep], "y": y[keep], "target": res.target,
                   "pred_clean": res.pred_clean, "pred_adv": res.pred_adv, "success": res.success.to(torch.uint8),
                   "l2": res.l2, "linf": res.linf}
        save_tensors(a.out_tensors, tensors, {"dataset": a.dataset, "model": a.model, "attack": a.attack, "spec": a.spec})
        write_json(a.out_summary, {"dataset": a.dataset, "model": a.model, "attack": a.attack, "spec": a.spec,
                                   "n_eval": len(y), "n_attacked": len(keep), "success": sr,
                                   "mean_l2": float(res.l2[res.success].mean()) if res.success.any() else float("nan"),
                                   "mean_linf": float(res.linf[res.success].mean()) if res.success.any() else float("nan")})
    timer.report("attack", attack=a.attack, n=len(keep))
