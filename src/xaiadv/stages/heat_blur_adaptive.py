"""heat_blur_adaptive: adaptive attacks on Heat and Blur (Algorithm 2 as printed, and PGD through the defense with
BPDA + EOT), against plain targeted PGD at the same budget, on correctly classified test images; success judged by
the real defense. Beside them the clean-accuracy cost of the defense on the same images."""

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
        from ..adaptive.heat_blur import algorithm2, bpda_eot_pgd, defend, pgd
        from ..data import load_split
        from ..io import write_json
        from ..models import load_model
        from ..stats import rate_ci

        device = runtime.setup(par.seed, job.threads, par.device, par.deterministic)
        model = load_model(fin.model, device)
        for p in model.parameters():
            p.requires_grad_(False)
        spec = par.spec
        x, y, _, _ = load_split(fin.test, max(4 * spec["n"], 64))  # the candidates only
        hb = {k: spec[k] for k in ("k_std", "absolute", "first_rule")}
    with timer("compute"):
        cand = x[:max(4 * spec["n"], 64)]
        with torch.no_grad():
            nb = par.batch["adaptive"] or 32
            lg = torch.cat([model(cand[i:i + nb].to(device)).cpu() for i in range(0, len(cand), nb)])
        keep = torch.nonzero(lg.argmax(1) == y[:len(cand)]).flatten()[:spec["n"]]
        xs, ys = x[keep].to(device), y[keep].to(device)
        target = make_targets(lg[keep], y[keep], "random", torch.Generator().manual_seed(par.seed)).to(device)
        r = lambda v: rate_ci(np.asarray(v, dtype=float), seed=par.seed)  # noqa: E731
        bs = par.batch["adaptive"] or 16

        def chunks(fn, *tensors):
            """``fn`` on batches of ``bs`` of ``tensors`` (the images first), concatenated."""
            return torch.cat([fn(*(t[i:i + bs] for t in tensors)) for i in range(0, len(tensors[0]), bs)]) \
                if len(tensors[0]) else tensors[0]

        def labels(imgs):
            with torch.no_grad():
                return chunks(lambda b: model(b).argmax(1), imgs) if len(imgs) else ys

        def judge(xa):
            pu, pd = labels(xa), labels(chunks(lambda b: defend(model, b, spec["sigma"], **hb), xa))
            return {"undefended_target": r((pu == target).cpu()), "defended_target": r((pd == target).cpu()),
                    "defended_wrong": r((pd != ys).cpu()),
                    "linf": float((xa - xs).abs().flatten(1).amax(1).mean()) if len(xs) else float("nan")}

        res = {"dataset": wc.dataset, "model": wc.model, "spec": spec, "n": len(ys)}
        dc = chunks(lambda b: defend(model, b, spec["sigma"], **hb), xs)
        res["clean_accuracy_defended"] = r((labels(dc) == ys).cpu()) if len(xs) else r([])
        eps, alpha, steps = spec["eps"], spec["alpha"], spec["steps"]
        gen = torch.Generator().manual_seed(par.seed)
        attacks = {
            "pgd": lambda: chunks(lambda xb, tb: pgd(model, xb, tb, eps, alpha, steps), xs, target),
            "algorithm2": lambda: chunks(lambda xb, tb: algorithm2(
                model, xb, tb, sigma=spec["sigma"], eps=eps, alpha=alpha, steps=spec["inner_steps"],
                iterations=spec["iterations"], **hb), xs, target),
            "bpda_eot": lambda: chunks(lambda xb, tb: bpda_eot_pgd(
                model, xb, tb, eps=eps, alpha=alpha, steps=steps, sigma_range=tuple(spec["sigma_range"]),
                eot=spec["eot"], **hb, generator=gen), xs, target),
        }
        for name, fn in attacks.items():
            res[name] = judge(fn())
            print(f"{name}: undefended -> target {100 * res[name]['undefended_target']['rate']:.1f}%, through the "
                  f"defense -> target {100 * res[name]['defended_target']['rate']:.1f}% (n={len(ys)})", file=sys.stderr)
    with timer("write"):
        write_json(fout.json, res)
    timer.report("heat_blur_adaptive", model=wc.model, n=len(ys))
