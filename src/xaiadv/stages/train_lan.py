"""train_lan: the Latent Attention Network g of one classifier f1 (Nguyen et al. 2018 / Grimm et al. 2017)."""

from __future__ import annotations

import sys

from .. import runtime


def run(job) -> None:
    fin, fout, par, wc = job.input, job.output, job.params, job.wildcards
    timer = runtime.Timer()
    with timer("load"):
        import torch

        from ..data import load_split
        from ..explainers.lan import save_lan, train_lan
        from ..io import write_json
        from ..models import load_model

        device = runtime.setup(par.seed, job.threads, par.device, par.deterministic)
        f1 = load_model(fin.model, device)
        spec = par.spec
        x, _, _, _ = load_split(fin.train, spec.get("n_train"))
        if len(x) < 2:
            raise SystemExit(f"{fin.train}: {len(x)} training images; the LAN needs a train split "
                             f"(lan_detection.models: {wc.model})")
    probe_x = x[:500].to(device)

    def probe(g):
        """How much the mask depends on the image: per-pixel std of A over 500 training images, averaged over
        pixels (~0: one constant mask for every image, which f2 cannot classify)."""
        return {"mask_std_over_images": float(g(probe_x).std(0).mean())}

    with timer("compute"):
        g, history = train_lan(f1, x, hidden=spec["hidden"], leak=spec["leak"], per_channel=spec["per_channel"],
                               beta=spec["beta"], epochs=spec["epochs"], lr=spec["lr"], batch_size=spec["batch_size"],
                               seed=par.seed, device=device, on_epoch=probe)
    seconds = timer.phases.get("compute", float("nan"))
    ips = spec["epochs"] * len(x) / seconds if seconds == seconds and seconds > 0 else float("nan")
    last = history[-1]
    for h in history:
        print(f"epoch {h['epoch']}: CE {h['ce']:.4f}, mean A {h['mean_A']:.3f}, "
              f"mask std over images {h['mask_std_over_images']:.3f}", file=sys.stderr)
    print(f"LAN for {wc.model}: {len(x)} images x {spec['epochs']} epochs, CE {last['ce']:.4f}, "
          f"mean A {last['mean_A']:.3f}, {ips:.0f} images/s", file=sys.stderr)
    if last["mask_std_over_images"] < 0.01:
        print(f"WARNING: the LAN's mask hardly depends on the image (std {last['mask_std_over_images']:.4f}); f2 will "
              f"be near chance. Train longer (lan_detection.lan.epochs / n_train) or lower beta.", file=sys.stderr)
    with timer("write"):
        save_lan(fout.model, g, {"dataset": wc.dataset, "model": wc.model, "spec": spec})
        write_json(fout.metrics, {"dataset": wc.dataset, "model": wc.model, "spec": spec, "n_train": len(x),
                                   "history": history, "images_per_s": ips, "torch": torch.__version__})
    timer.report("train_lan", model=wc.model, n=len(x))
