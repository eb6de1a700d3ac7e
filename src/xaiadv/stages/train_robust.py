"""train_robust: the leaderboard's adversarially trained reference — the ranked model's architecture trained on
adversarial batches (``xaiadv.models.adversarial``), evaluated clean and under PGD at its training budget."""

from __future__ import annotations

import sys

from .. import runtime


def run(job) -> None:
    fin, fout, par, wc = job.input, job.output, job.params, job.wildcards
    timer = runtime.Timer()
    with timer("load"):
        import torch

        from ..attacks import run_attack
        from ..data import load_split
        from ..io import write_json
        from ..models import build, save_model
        from ..models.adversarial import train_adversarial
        from ..models.train import predict
        from ..stats import rate_ci

        device = runtime.setup(par.seed, job.threads, par.device, par.deterministic)
        spec = par.train
        x_tr, y_tr, _, meta = load_split(fin.train)
        x_te, y_te, _, _ = load_split(fin.test, par.n_eval)
        if len(y_tr) == 0:
            raise ValueError(f"leaderboard.defenses.{wc.defense}: {fin.train} is empty; adversarial training needs "
                             f"the training split of {wc.dataset}")
        num_classes = len(meta["classes"])
        torch.manual_seed(par.seed)
        model = build(par.arch, None, num_classes)
    with timer("compute"):
        losses = train_adversarial(model, x_tr, y_tr, spec, par.seed, device)
        clean = rate_ci((predict(model, x_te, 128, device) == y_te).numpy(), seed=par.seed)
        pgd = {"method": "pgd", "norm": spec["norm"], "eps": spec["eps"], "alpha": spec["eps"] / 10, "steps": 40,
               "random_start": True}
        x_adv = run_attack(model, x_te, y_te, pgd, batch_size=128, seed=par.seed, device=device, progress=False).x_adv
        robust = rate_ci((predict(model, x_adv, 128, device) == y_te).numpy(), seed=par.seed)
    print(f"{wc.defense} ({par.arch}): clean {100 * clean['rate']:.1f}%, PGD-40 {100 * robust['rate']:.1f}% "
          f"(n={clean['n']})", file=sys.stderr)
    with timer("write"):
        save_model(fout.model, model.cpu(), par.arch, num_classes, {"weights": "adversarially trained"})
        write_json(fout.metrics, {"dataset": wc.dataset, "model": wc.model, "defense": wc.defense, "arch": par.arch,
                                  "train": spec, "train_loss": losses, "test_accuracy": clean,
                                  "pgd40_accuracy": robust, "pgd40": pgd, "torch": torch.__version__})
    timer.report("train_robust", model=wc.model, defense=wc.defense)
