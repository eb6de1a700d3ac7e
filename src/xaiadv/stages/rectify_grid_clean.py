"""rectify_grid_clean: Kao et al. Figures 6-7's sweep of the CAM rectifiers on the clean images of one model's swept
attacks, each image once (issue 18; see :mod:`.rectify_clean`: the attacks' chosen clean images are mostly the same,
and the sweep of a clean image does not depend on the attack). Each ``rectify_grid`` job reads its images' rows.

Writes one safetensors file: ``index`` (N,) int64 test-split indices (sorted), ``y`` and ``label`` (N,) the true and
the model's labels, and per CAM rectifier ``<name>`` (len(intensity), len(percentage), N) bool: the voted label of
the rectified clean image == y."""

from __future__ import annotations

import sys

from .. import runtime


def run(job) -> None:
    fin, fout, par, wc = job.input, job.output, job.params, job.wildcards
    timer = runtime.Timer()
    with timer("load"):
        import torch

        from ..data import load_split
        from ..io import load_tensors, save_tensors
        from ..models import load_model
        from ..rectifiers.cam import grid
        from .rectify_clean import union_of_chosen
        from .rectify_grid import grid_params

        device = runtime.setup(par.seed, job.threads, par.device, par.deterministic)
        model = load_model(fin.model, device)
        advs = [load_tensors(p)[0] for p in fin.adv]
        last = max((int(a["index"].max()) for a in advs if len(a["index"])), default=-1)
        x, _, _, _ = load_split(fin.test, last + 1)
        u = union_of_chosen(x, advs, par.n_rectify)
        g = par.grid
        print(f"{wc.model}: the {len(u['index'])} clean images of {len(advs)} attacks, {len(g['intensity'])} x "
              f"{len(g['percentage'])} grid, rectifiers {', '.join(par.rectifiers)}", file=sys.stderr)
    out = {"index": u["index"], "y": u["y"], "label": u["label"]}
    for k, (name, spec) in enumerate(par.rectifiers.items()):
        with timer("compute"):
            gen = torch.Generator().manual_seed(par.seed + 2 * k + 1)  # rectify_grid's adversarial sweep: seed + 2k
            out[name] = grid(model, u["x"].to(device), u["label"].to(device), u["y"], generator=gen,
                             intensities=g["intensity"], percentages=g["percentage"], **grid_params(spec, g))
        print(f"{name}: done", file=sys.stderr)
    with timer("write"):
        save_tensors(fout.tensors, out, {"dataset": wc.dataset, "model": wc.model, "grid": g,
                                         "rectifiers": par.rectifiers, "n_rectify": par.n_rectify})
    timer.report("rectify_grid_clean", model=wc.model, n=len(u["index"]))
