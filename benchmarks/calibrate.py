"""A one-second figure of this machine's speed, so wall times of two machines can be compared (issue 18).

Passes per second of a bare forward+backward (input gradient) of the Kao MNIST CNN (random weights) on a batch of
64 digits, one thread, for about one second after a warm-up: the kind of work most of the default's jobs do.
``make run`` records it before and after the main job (``results/logs/main_job_wall.json``);
``bench_overhead.py`` divides wall times by it into "calibration units" (the wall time in MNIST-CNN passes).

    python benchmarks/calibrate.py [--seconds 1]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def passes_per_second(seconds: float = 1.0, batch: int = 64) -> float:
    """Forward+backward passes of the MNIST CNN per second (batch ``batch``, 1 thread), measured for ``seconds``."""
    import torch

    from xaiadv.models import build

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(0)
        net = build("kao_mnist_cnn").eval()
        for p in net.parameters():
            p.requires_grad_(False)
        x = torch.rand(batch, 1, 28, 28)

        def step():
            xi = x.clone().requires_grad_(True)
            torch.autograd.grad(net(xi).logsumexp(1).sum(), xi)

        for _ in range(3):
            step()
        n, t = 0, time.perf_counter()
        while time.perf_counter() - t < seconds:
            step()
            n += 1
        return n / (time.perf_counter() - t)
    finally:
        torch.set_num_threads(threads)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=1.0)
    print(f"{passes_per_second(ap.parse_args().seconds):.1f} MNIST-CNN forward+backward passes/s (batch 64, 1 thread)")
