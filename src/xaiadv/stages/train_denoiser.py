"""train_denoiser: the denoising autoencoder of one data set (Kao et al.'s DAE baseline)."""

from __future__ import annotations

import sys

from .. import runtime


def run(a) -> None:
    timer = runtime.Timer()
    with timer("load"):
        import torch

        from ..data import load_split
        from ..rectifiers.dae import save_denoiser, train_denoiser

        device = runtime.setup(a.seed, a.threads, a.device)
        spec = a.spec
        x, _, _, _ = load_split(a.train_split)
        n = spec.get("n_train") or len(x)
        x = x[torch.randperm(len(x), generator=torch.Generator().manual_seed(a.seed))[:n]] if len(x) > n else x
        train = {k: spec[k] for k in ("noise", "epochs", "lr", "batch_size", "width") if k in spec}
    if len(x) == 0:
        reason = f"{a.train_split} has no images: no denoiser for {a.dataset} (configure a training split)"
        print(f"skipped: {reason}", file=sys.stderr)
        with timer("write"):
            save_denoiser(a.out, None, {"skipped": reason, "dataset": a.dataset, "spec": spec})
        timer.report("train_denoiser", dataset=a.dataset, n=0)
        return
    with timer("compute"):
        model, losses = train_denoiser(x, **train, seed=a.seed, device=device)
    print(f"{a.dataset}: denoiser on {len(x)} images, MSE per epoch {[round(v, 5) for v in losses]}", file=sys.stderr)
    with timer("write"):
        save_denoiser(a.out, model, {"channels": int(x.shape[1]), "width": model.net[0].out_channels,
                                     "dataset": a.dataset, "spec": spec, "n_train": len(x), "losses": losses})
    timer.report("train_denoiser", dataset=a.dataset, n=len(x))
