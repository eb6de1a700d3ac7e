"""rectify_grid: Kao et al. Figures 6-7, the CAM rectifiers' rectified accuracy over an intensity x
percentage grid, on one attack's successful adversarial examples and on their clean images (those computed once
for every attack of the model by rule rectify_grid_clean, and read here by test-split index)."""

from __future__ import annotations

import sys

from .. import runtime


def grid_params(spec: dict, grid: dict) -> dict:
    """The keyword arguments of :func:`xaiadv.rectifiers.cam.grid` for the CAM rectifier ``spec`` on ``grid`` (the
    sweep's ``repeats`` replace the rectifier's own where given)."""
    from ..rectifiers.base import method_params

    params = {key: v for key, v in method_params(spec).items() if key not in ("intensity", "percentage")}
    if grid.get("repeats"):
        params["repeats"] = grid["repeats"]
    return params


def run(job) -> None:
    fin, fout, par, wc = job.input, job.output, job.params, job.wildcards
    timer = runtime.Timer()
    with timer("load"):
        import pandas as pd
        import torch

        from ..io import atomic_path, load_tensors
        from ..rectifiers.cam import grid
        from ._attacked import chosen, load_attacked
        from .rectify_clean import rows_for

        device, model, x, adv = load_attacked(job)
        c = chosen(x, adv, par.n_rectify)
        shared, meta = load_tensors(fin.clean)  # the clean images' sweep (rule rectify_grid_clean)
        pos = rows_for(shared, c["index"])
        g = par.grid
        if meta.get("grid") != g or not torch.equal(shared["label"][pos], c["label_clean"]):
            raise SystemExit(f"{fin.clean}: another grid or model than this job's (rerun rule rectify_grid_clean)")
        print(f"{wc.attack}: {len(c['y'])} images, {len(g['intensity'])} x {len(g['percentage'])} grid, "
              f"rectifiers {', '.join(par.rectifiers)}", file=sys.stderr)
    rows = []
    for k, (name, spec) in enumerate(par.rectifiers.items()):
        params = grid_params(spec, g)
        for variant in ("adversarial", "clean"):
            if variant == "clean":
                if name not in shared:
                    raise SystemExit(f"{fin.clean}: no sweep of rectifier {name!r} (rerun rule rectify_grid_clean)")
                hits = shared[name][:, :, pos]
            else:
                with timer("compute"):
                    gen = torch.Generator().manual_seed(par.seed + 2 * k)
                    hits = grid(model, c["x_adv"].to(device), c["label_adv"].to(device), c["y"], generator=gen,
                                intensities=g["intensity"], percentages=g["percentage"], **params)
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
