"""Allocation churn of a job with glibc's defaults against ``runtime.keep_freed_memory`` (issue 18, item 3).

Each cell is a fresh 1-thread process (as a job is), alternating the two settings back to back, median of
``--repeats``: images/s, minor page faults, kernel share of the process's CPU time and peak RSS, for
(a) EfficientNet-Lite0 forward+backward at batch 8 and (b) PGD-L∞ (10 steps) through ``run_attack`` on 256 MNIST
digits with the Kao CNN (random weights: speed does not depend on them).

    python benchmarks/bench_alloc.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[3])
from xaiadv import runtime
if sys.argv[2] == "keep":
    assert runtime.keep_freed_memory()
import torch
torch.set_num_threads(1)
from xaiadv.models import build
if sys.argv[1] == "effnet":
    net = build("efficientnet_lite0", None).eval()
    for p in net.parameters(): p.requires_grad_(False)
    def work():
        x = torch.rand(8, 3, 224, 224, requires_grad=True)
        torch.autograd.grad(net(x).logsumexp(1).sum(), x)
        return 8
    reps = 6
else:
    from xaiadv.attacks import run_attack
    net = build("kao_mnist_cnn").eval()
    x, y = torch.rand(256, 1, 28, 28), torch.randint(10, (256,))
    spec = {"method": "pgd", "norm": "Linf", "eps": 0.3, "alpha": 0.01, "steps": 10}
    def work():
        run_attack(net, x, y, spec, 64, 0, "cpu", progress=False)
        return 256
    reps = 3
work()
r0, t = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
n = sum(work() for _ in range(reps))
dt, r1 = time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF)
user, sys_ = r1.ru_utime - r0.ru_utime, r1.ru_stime - r0.ru_stime
print(json.dumps({"ips": n / dt, "minflt": r1.ru_minflt - r0.ru_minflt, "kernel": sys_ / max(user + sys_, 1e-9),
                  "rss": runtime.peak_rss_mb()}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.libc_ver()[0]} "
          f"{platform.libc_ver()[1]}; one thread per process, settings alternated back to back")
    print(f"{'workload':<8} {'setting':<8} {'img/s':>8} {'page faults':>12} {'kernel %':>9} {'peak RSS MB':>12}")
    for work in ("effnet", "pgd"):
        res = {"default": [], "keep": []}
        for _ in range(args.repeats):
            for mode in res:
                out = subprocess.run([sys.executable, "-c", CHILD, work, mode, str(ROOT / "src")], env=env,
                                     capture_output=True, text=True, check=True)
                res[mode].append(json.loads(out.stdout))
        med = {m: {k: statistics.median(r[k] for r in v) for k in v[0]} for m, v in res.items()}
        for m, r in med.items():
            print(f"{work:<8} {m:<8} {r['ips']:8.1f} {r['minflt']:12.0f} {100 * r['kernel']:9.1f} {r['rss']:12.0f}")
        print(f"{work:<8} keep / default: {med['keep']['ips'] / med['default']['ips']:.2f}x images/s, "
              f"{med['keep']['rss'] / med['default']['rss']:.2f}x peak RSS")


if __name__ == "__main__":
    main()
