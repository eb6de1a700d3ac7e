"""rectify_grid: Kao et al. Figures 6-7, the CAM rectifiers' rectified accuracy over an intensity x
percentage grid, on one attack's successful adversarial examples and on their clean images."""

from __future__ import annotations

import sys

from .. import runtime


def run(job) -> None:
    fout, par, wc = job.output, job.params, job.wildcards
    timer = runtime.Timer()
    with timer("load"):
        import pandas as pd
        import torch

        from ..io import atomic_path
        from ..rectifiers.cam import grid
        from ..rectifiers.base import method_params
        from ._attacked import chosen, load_attacked

        device, model, x, adv = load_attacked(job)
        c = chosen(x, adv, par.n_rectify)
        g = par.grid
        print(f"{wc.attack}: {len(c['y'])} images, {len(g['intensity'])} x {len(g['percentage'])} grid, "
              f"rectifiers {', '.join(par.rectifiers)}", file=sys.stderr)
    rows = []
    for k, (name, spec) in enumerate(par.rectifiers.items()):
        params = {key: v for key, v in method_params(spec).items() if key not in ("intensity", "percentage")}
        if g.get("repeats"):
            params["repeats"] = g["repeats"]
        for variant, xs, lab in (("adversarial", c["x_adv"], c["label_adv"]), ("clean", c["x_clean"], c["label_clean"])):
            with timer("compute"):
                gen = torch.Generator().manual_seed(par.seed + 2 * k + (variant == "clean"))
                hits = grid(model, xs.to(device), lab.to(device), c["y"], generator=gen, intensities=g["intensity"],
                            percentages=g["percentage"], **params)
            for i, level in enumerate(g["intensity"]):
                for j, pct in enumerate(g["percentage"]):
                    h = hits[i, j]
                    rows.append({"dataset": wc.dataset, "model": wc.model, "attack": wc.attack, "rectifier": name,
                                 "cam": spec["cam"], "fill": spec["fill"],
                                 "images": variant, "intensity": level, "percentage": pct,
                                 "accuracy": float(h.float().mean()) if len(h) else float("nan"), "n": len(h),
                                 "repeats": params["repeats"]})
        print(f"{name}: done", file=sys.stderr)
    with timer("write"):
        with atomic_path(fout.csv) as tmp:
            pd.DataFrame(rows).to_csv(tmp, index=False)
    timer.report("rectify_grid", attack=wc.attack, n=len(c["y"]))
