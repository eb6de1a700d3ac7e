"""leaderboard_transfer: the papers' attack of the leaderboard (PGD on the undefended model, transferred to every
defense), computed once per (data set, model) and shared by every row (issue 18: it was recomputed by each of the
default's 19 rows, 30-40% of a rectifier row's time).

Writes one safetensors file: ``x_transfer`` (n, C, H, W), PGD at the threat model's eps on the first ``n`` test
images (every row's image set); ``curve_<i>`` (k, C, H, W), PGD at the i-th eps of the curve (0 for eps 0, the
clean images) on the first k = min(sanity.n, n) of them (the sanity checks' subset); and, when a row fits a
detector, ``x_fit_adv`` (n_fit, C, H, W): PGD on the ``n_fit`` images after them (a detector's adversarial fit
images). A row with a smaller ``n`` takes the first rows of each."""

from __future__ import annotations

import sys

from .. import runtime


def transfer_pgd(model, x, y, *, norm: str, eps: float, transfer: dict, batch_size: int, seed: int, device):
    """PGD on the undefended ``model`` (the papers' attack): ``transfer["steps"]`` steps of ``transfer["alpha"]``
    x eps, random start, on ``x`` (N, C, H, W) in [0, 1] with labels ``y`` (N,). Returns (N, C, H, W) on the CPU.
    eps 0 returns ``x`` itself."""
    from ..attacks import run_attack

    if eps == 0 or len(x) == 0:
        return x.cpu()
    a = {"method": "pgd", "norm": norm, "eps": eps, "alpha": transfer["alpha"] * eps, "steps": transfer["steps"],
         "random_start": True}
    return run_attack(model, x, y, a, batch_size=batch_size, seed=seed, device=device, progress=False).x_adv.cpu()


def run(job) -> None:
    fin, fout, par, wc = job.input, job.output, job.params, job.wildcards
    timer = runtime.Timer()
    lb, threat = par.leaderboard, par.threat
    with timer("load"):
        from ..data import load_split
        from ..io import save_tensors
        from ..models import load_model

        device = runtime.setup(par.seed, job.threads, par.device, par.deterministic)
        model = load_model(fin.model, device)
        for p in model.parameters():
            p.requires_grad_(False)
        n, n_fit = lb["n"], lb["n_fit"] if par.fit else 0
        x_all, y_all, _, _ = load_split(fin.test, n + n_fit)
    with timer("compute"):
        kw = {"norm": threat["norm"], "transfer": lb["transfer"], "batch_size": par.batch.get("adaptive") or 128,
              "seed": par.seed, "device": device}
        x, y = x_all[:n], y_all[:n]
        out = {"x_transfer": transfer_pgd(model, x, y, eps=threat["eps"], **kw), "y": y}
        k = min(lb["sanity"]["n"], n)
        for i, e in enumerate(lb["eps_curve"]):
            out[f"curve_{i}"] = transfer_pgd(model, x[:k], y[:k], eps=e, **kw)
        if n_fit:
            out["x_fit_adv"] = transfer_pgd(model, x_all[n:n + n_fit], y_all[n:n + n_fit], eps=threat["eps"], **kw)
        print(f"PGD on {wc.model} ({threat['norm']} eps {threat['eps']:g}, {lb['transfer']['steps']} steps): {n} images, "
              f"the curve on {k}, {n_fit} detector fit images", file=sys.stderr)
    with timer("write"):
        save_tensors(fout.tensors, out, {"dataset": wc.dataset, "model": wc.model, "norm": threat["norm"],
                                         "eps": threat["eps"], "eps_curve": lb["eps_curve"], "n": n, "k": k,
                                         "n_fit": n_fit, "transfer": lb["transfer"]})
    timer.report("leaderboard_transfer", model=wc.model, n=n, n_fit=n_fit)
