"""heat_blur_adaptive: adaptive attacks on Heat and Blur (Algorithm 2 as printed, and PGD through the defense with
BPDA + EOT), against plain targeted PGD at the same budget, on correctly classified test images; success judged by
the real defense. Beside them the clean-accuracy cost of the defense on the same images."""

from __future__ import annotations

import sys

from .. import runtime


def run(a) -> None:
    timer = runtime.Timer()
    with timer("load"):
        import numpy as np
        import torch

        from ..attacks.base import make_targets
        from ..attacks.heat_blur_adaptive import algorithm2, bpda_eot_pgd, defend
        from ..attacks.heat_blur_adaptive import _pgd as pgd
        from ..data import load_split
        from ..io import write_json
        from ..models import load_model
        from ..stats import rate_ci

        device = runtime.setup(a.seed, a.threads, a.device)
        model = load_model(a.model_file, device)
        for p in model.parameters():
            p.requires_grad_(False)
        x, y, _, _ = load_split(a.test_split)
        spec = a.spec
        hb = {k: spec[k] for k in ("k_std", "absolute", "first_rule")}
    with timer("compute"):
        cand = x[:max(4 * spec["n"], 64)]
        with torch.no_grad():
            lg = torch.cat([model(cand[i:i + 32].to(device)).cpu() for i in range(0, len(cand), 32)])
        keep = torch.nonzero(lg.argmax(1) == y[:len(cand)]).flatten()[:spec["n"]]
        xs, ys = x[keep].to(device), y[keep].to(device)
        target = make_targets(lg[keep], y[keep], "random", torch.Generator().manual_seed(a.seed)).to(device)
        r = lambda v: rate_ci(np.asarray(v, dtype=float), seed=a.seed)  # noqa: E731
        bs = 16

        def batched(fn, **kw):
            return torch.cat([fn(model, xs[i:i + bs], target[i:i + bs], **kw) for i in range(0, len(xs), bs)]) \
                if len(xs) else xs

        def judge(xa):
            d = torch.cat([defend(model, xa[i:i + bs], spec["sigma"], **hb) for i in range(0, len(xa), bs)]) \
                if len(xa) else xa
            with torch.no_grad():
                pu = torch.cat([model(xa[i:i + bs]).argmax(1) for i in range(0, len(xa), bs)]) if len(xa) else ys
                pd = torch.cat([model(d[i:i + bs]).argmax(1) for i in range(0, len(d), bs)]) if len(d) else ys
            return {"undefended_target": r((pu == target).cpu()), "defended_target": r((pd == target).cpu()),
                    "defended_wrong": r((pd != ys).cpu()),
                    "linf": float((xa - xs).abs().flatten(1).amax(1).mean()) if len(xs) else float("nan")}

        res = {"dataset": a.dataset, "model": a.model, "spec": spec, "n": len(ys)}
        dc = torch.cat([defend(model, xs[i:i + bs], spec["sigma"], **hb) for i in range(0, len(xs), bs)]) \
            if len(xs) else xs
        with torch.no_grad():
            res["clean_accuracy_defended"] = r((torch.cat([model(dc[i:i + bs]).argmax(1) for i in range(0, len(dc), bs)])
                                                == ys).cpu()) if len(xs) else r([])
        eps, alpha, steps = spec["eps"], spec["alpha"], spec["steps"]
        attacks = {
            "pgd": lambda: batched(lambda m, xb, tb: pgd(m, xb, tb, eps, alpha, steps, xb)),
            "algorithm2": lambda: batched(algorithm2, sigma=spec["sigma"], eps=eps, alpha=alpha,
                                          steps=spec["inner_steps"], iterations=spec["iterations"], **hb),
            "bpda_eot": lambda: batched(bpda_eot_pgd, eps=eps, alpha=alpha, steps=steps,
                                        sigma_range=tuple(spec["sigma_range"]), eot=spec["eot"], **hb,
                                        generator=torch.Generator().manual_seed(a.seed)),
        }
        for name, fn in attacks.items():
            res[name] = judge(fn())
            print(f"{name}: undefended -> target {100 * res[name]['undefended_target']['rate']:.1f}%, through the "
                  f"defense -> target {100 * res[name]['defended_target']['rate']:.1f}% (n={len(ys)})", file=sys.stderr)
    with timer("write"):
        write_json(a.out, res)
    timer.report("heat_blur_adaptive", model=a.model, n=len(ys))
