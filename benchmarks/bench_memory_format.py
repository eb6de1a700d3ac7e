"""Forward and forward+backward throughput of the project's CNNs in NCHW and in channels_last (NHWC), one thread,
back to back in one process (issue 18: :func:`xaiadv.models.registry.fast_layout` puts every loaded model in
channels_last on a CPU). Prints images/s per layout, their ratio and the largest logit difference.

  .venv/bin/python benchmarks/bench_memory_format.py [--seconds 1.5]

Measured on this project's 2-core x86_64 VM (AMD EPYC, 2026-12-03, batch 64, another job on the other core):
forward 1.82x (MNIST CNN), 1.55x (VGG-like MNIST), 1.50x (CIFAR-10 CNN), 1.20x (EfficientNet-Lite0, batch 8 at
224 x 224); forward+backward to the input 1.03x, 1.21x, 1.08x, 1.22x; logits within 1e-6.
"""

from __future__ import annotations

import argparse
import time

import torch

from xaiadv.models import build

# (arch, input shape, images per pass): EfficientNet-Lite0 at its batch of the pipeline's ImageNet stages
ARCHS = (("kao_mnist_cnn", (1, 28, 28), 64), ("vgg_like_mnist", (1, 28, 28), 64), ("kao_cifar10_cnn", (3, 32, 32), 64),
         ("efficientnet_lite0", (3, 224, 224), 8))


def forward(model, x):
    with torch.no_grad():
        return model(x)


def forward_backward(model, x):
    x = x.clone().requires_grad_(True)
    return torch.autograd.grad(model(x)[:, 0].sum(), x)[0]


def rate(fn, model, x, seconds: float) -> float:
    """Images per second of ``fn(model, x)`` over about ``seconds`` (after one warm-up call)."""
    fn(model, x)
    t, k = time.perf_counter(), 0
    while time.perf_counter() - t < seconds:
        fn(model, x)
        k += 1
    return len(x) * k / (time.perf_counter() - t)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=1.5)
    a = p.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    print("| arch | pass | NCHW img/s | channels_last img/s | ratio |", "| --- | --- | --- | --- | --- |", sep="\n")
    for arch, shape, batch in ARCHS:
        nchw = build(arch, "package" if arch == "efficientnet_lite0" else None).eval()
        nhwc = build(arch, "package" if arch == "efficientnet_lite0" else None).eval()
        nhwc.load_state_dict(nchw.state_dict())
        nhwc.net.to(memory_format=torch.channels_last)
        x = torch.rand(batch, *shape)
        for name, fn in (("forward", forward), ("forward+backward", forward_backward)):
            # alternated, best of two each: the VM's pace drifts within a minute
            r0 = max(rate(fn, nchw, x, a.seconds), rate(fn, nchw, x, a.seconds))
            r1 = max(rate(fn, nhwc, x, a.seconds), rate(fn, nhwc, x, a.seconds))
            print(f"| {arch} | {name} | {r0:,.0f} | {r1:,.0f} | {r1 / r0:.2f}x |")
        diff = float((forward(nchw, x) - forward(nhwc, x)).abs().max())
        print(f"| {arch} | max logit difference | {diff:.1e} | | |")


if __name__ == "__main__":
    main()
