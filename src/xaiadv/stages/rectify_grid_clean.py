"""rectify_grid_clean: Kao et al. Figures 6-7's sweep of the CAM rectifiers on the clean images of one model's swept
attacks, each image once (issue 18; see :mod:`.rectify_clean`: every image the swept attacks attack, a superset of
the ones each rectify_grid job takes, and the sweep of a clean image does not depend on the attack). Each ``rectify_grid`` job reads its images' rows.

Writes one safetensors file: ``index`` (N,) int64 test-split indices (sorted), ``y`` and ``label`` (N,) the true and
the model's labels, and per CAM rectifier ``<name>`` (len(intensity), len(percentage), N) bool: the voted label of
the rectified clean image == y."""

from __future__ import annotations

import sys

from .. import runtime


def run(job) -> None:
    fout, par, wc = job.output, job.params, job.wildcards
    timer = runtime.Timer()
    with timer("load"):
        import torch

        from ..io import save_tensors
        from ..rectifiers.cam import grid
        from ._attacked import attacked_clean
        from .rectify_grid import grid_params

        device, model, u = attacked_clean(job)
        g = par.grid
        print(f"{wc.model}: the {len(u['index'])} clean images its {len(par.n_evals)} swept attacks attack, "
              f"{len(g['intensity'])} x {len(g['percentage'])} grid, rectifiers {', '.join(par.rectifiers)}",
              file=sys.stderr)
    out = {"index": u["index"], "y": u["y"], "label": u["label"]}
    for k, (name, spec) in enumerate(par.rectifiers.items()):
        with timer("compute"):
            gen = torch.Generator().manual_seed(par.seed + 2 * k + 1)  # rectify_grid's adversarial sweep: seed + 2k
            out[name] = grid(model, u["x"].to(device), u["label"].to(device), u["y"], generator=gen,
                             intensities=g["intensity"], percentages=g["percentage"], **grid_params(spec, g))
        print(f"{name}: done", file=sys.stderr)
    with timer("write"):
        save_tensors(fout.tensors, out, {"dataset": wc.dataset, "model": wc.model, "grid": g,
                                         "rectifiers": par.rectifiers, "n_evals": par.n_evals})
    timer.report("rectify_grid_clean", model=wc.model, n=len(u["index"]))
