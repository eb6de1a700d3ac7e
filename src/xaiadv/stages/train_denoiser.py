"""train_denoiser: the denoising autoencoder of one data set (Kao et al.'s DAE baseline)."""

from __future__ import annotations

import sys

from .. import runtime


def run(job) -> None:
    fin, fout, par, wc = job.input, job.output, job.params, job.wildcards
    timer = runtime.Timer()
    with timer("load"):
        import torch

        from ..data import load_split
        from ..rectifiers.dae import save_denoiser, train_denoiser

        device = runtime.setup(par.seed, job.threads, par.device, par.deterministic)
        spec = par.spec
        x, _, _, _ = load_split(fin.train)
        n = spec.get("n_train") or len(x)
        x = x[torch.randperm(len(x), generator=torch.Generator().manual_seed(par.seed))[:n]] if len(x) > n else x
        train = {k: spec[k] for k in ("noise", "epochs", "lr", "batch_size", "width") if k in spec}
    if len(x) == 0:
        reason = f"{fin.train} has no images: no denoiser for {wc.dataset} (configure a training split)"
        print(f"skipped: {reason}", file=sys.stderr)
        with timer("write"):
            save_denoiser(fout.model, None, {"skipped": reason, "dataset": wc.dataset, "spec": spec})
        timer.report("train_denoiser", dataset=wc.dataset, n=0)
        return
    with timer("compute"):
        model, losses = train_denoiser(x, **train, seed=par.seed, device=device)
    print(f"{wc.dataset}: denoiser on {len(x)} images, MSE per epoch {[round(v, 5) for v in losses]}", file=sys.stderr)
    with timer("write"):
        save_denoiser(fout.model, model, {"channels": int(x.shape[1]), "width": model.net[0].out_channels,
                                     "dataset": wc.dataset, "spec": spec, "n_train": len(x), "losses": losses})
    timer.report("train_denoiser", dataset=wc.dataset, n=len(x))
