"""Compute floor of every model of ``config/paper.yaml`` on the GPU against the CPU, how close the configured
batch comes to it, and from it the estimated wall time of ``config/paper.yaml`` on one GPU, per rule and in total
(issue 21).

For every model (random weights: speed does not depend on them) the compute floor is the best rate of bare
forward+backward passes (input gradient) over a ladder of batches; the same pass at the batch configured for the
model (``models.<name>.batch.attack``) is reported as a fraction of the floor (a batch that is too small or does
not fit shows here). Per-stage efficiency on the CPU is in the stage benchmarks (bench_attack, bench_igos, ...). The estimate multiplies, per rule, the images the paper config sends through it by the forward+backward
passes one image costs there (from the config: PGD / BIM steps, IG / EG samples, I-GOS iterations x path points)
and divides by the floor rate: a lower bound that leaves out start-up, I/O and the CPU-side work.
Without CUDA it prints the CPU side only and says so.

    python benchmarks/bench_gpu.py [--seconds 2] [--archs kao_mnist_cnn resnet50 ...]
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import torch
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
LADDER = (1, 8, 32, 64, 128, 256, 512)


def rate(fn, batch: int, seconds: float) -> float:
    """Images/s of ``fn(batch)`` (warm-up, then as many calls as fit in ``seconds``)."""
    fn(batch)
    sync()
    n, t = 0, time.perf_counter()
    while time.perf_counter() - t < seconds:
        fn(batch)
        n += batch
    sync()
    return n / (time.perf_counter() - t)


def sync():
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def fwd_bwd(model, shape, device):
    def go(b):
        x = torch.rand(b, *shape, device=device, requires_grad=True)
        (g,) = torch.autograd.grad(model(x).logsumexp(1).sum(), x)
        return g
    return go


def floor(model, shape, device, seconds) -> tuple[int, float]:
    best = (1, 0.0)
    for b in LADDER:
        try:
            r = rate(fwd_bwd(model, shape, device), b, seconds / 2)
        except torch.OutOfMemoryError:
            break
        if r > best[1]:
            best = (b, r)
        if device == "cpu" and b >= 64:
            break
    return best


def passes_per_image(cfg: dict) -> dict[str, float]:
    """Forward+backward passes one image costs per rule under ``cfg`` (the dominant entries of each rule)."""
    from xaiadv.config import method_spec

    atk = [method_spec("attacks", {k: v for k, v in a.items() if k not in ("per_dataset",)}) for a in cfg["attacks"].values()]
    attack = sum(a.get("steps") or 1 for a in atk) / max(len(atk), 1)
    ex = [method_spec("explainers", e) for e in cfg["explainers"].values()]
    explain = sum(e.get("n_steps") or e.get("nsamples") or 1 for e in ex)
    ig = [method_spec("rectifiers", r) for r in cfg["rectifiers"].values() if r["method"] == "igos"]
    igos = sum(r["iterations"] * (r["ig_iter"] + 3) for r in ig)  # path points + ~3 line-search forwards
    cam = sum(method_spec("rectifiers", r).get("repeats", 1) + 1 for r in cfg["rectifiers"].values()
              if r["method"] == "cam")
    return {"attack": attack, "explain": explain, "rectify": igos + cam, "train_classifier": 3.0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=2.0, help="seconds per measurement")
    ap.add_argument("--archs", nargs="+", default=None)
    args = ap.parse_args()
    from xaiadv import config as xcfg, dag
    from xaiadv.models import build

    cfg = xcfg.validate(yaml.safe_load((ROOT / "config/paper.yaml").read_text()))
    cuda = torch.cuda.is_available()
    gpu = torch.cuda.get_device_name(0) if cuda else "none"
    torch.set_num_threads(max(1, torch.get_num_threads()))
    print(f"machine: {platform.machine()}, {torch.get_num_threads()} CPU threads; GPU: {gpu}; torch {torch.__version__}")
    if not cuda:
        print("no CUDA device: CPU figures only (run `make test-gpu` on a GPU machine for the GPU side)")
    shapes = {"mnist": (1, 28, 28), "cifar10": (3, 32, 32), "imagenet": (3, 224, 224)}
    models = {m: e for m, e in cfg["models"].items() if args.archs is None or e["arch"] in args.archs}
    floors = {}
    print(f"{'model':<16} {'device':<6} {'floor img/s':>12} {'at batch':>8} {'attack@cfg':>11} {'of floor':>8}")
    for name, e in models.items():
        shape = shapes[e["dataset"]]
        net = build(e["arch"], None, 1000 if e["dataset"] == "imagenet" else 10, shape[0]).eval()
        for dev in (["cpu", "cuda"] if cuda else ["cpu"]):
            if dev == "cpu" and e["dataset"] == "imagenet" and cuda and args.archs is None and name != "effnet_lite0":
                continue  # the CPU side of the big models takes minutes: one ImageNet model is enough for the ratio
            m = net.to(dev)
            b_best, r_best = floor(m, shape, dev, args.seconds)
            b_cfg = dag.model_batches(cfg, name)["attack"]
            r_cfg = rate(fwd_bwd(m, shape, dev), b_cfg if dev == "cuda" else min(b_cfg, 64), args.seconds / 2)
            floors[(name, dev)] = r_best
            print(f"{name:<16} {dev:<6} {r_best:>12.0f} {b_best:>8} {r_cfg:>11.0f} {r_cfg / r_best:>8.2f}", flush=True)
        if cuda and (name, "cpu") in floors:
            print(f"{'':<16} GPU / CPU floor: {floors[(name, 'cuda')] / floors[(name, 'cpu')]:.1f}x")
    dev = "cuda" if cuda else "cpu"
    per = passes_per_image(cfg)
    print(f"\nestimated wall time of config/paper.yaml on one {'GPU (' + gpu + ')' if cuda else 'CPU (this machine)'}:"
          " images x passes per image / floor rate (a lower bound)")
    total = 0.0
    for rule, passes in per.items():
        secs = 0.0
        for name, e in models.items():
            if (name, dev) not in floors:
                continue
            d = e["dataset"]
            n = dag.attack_n_eval(cfg, next(iter(cfg["attacks"])), d, name)
            jobs = len(dag.attacks_for(cfg, d)) if rule in ("attack", "explain", "rectify") else 1
            imgs = n * jobs * (2 if rule == "explain" else 1)
            if rule == "train_classifier":
                imgs = 0 if e.get("pretrained") else e["train"]["epochs"] * 50_000
            secs += imgs * passes / floors[(name, dev)]
        total += secs
        print(f"  {rule:<18} {secs / 3600:8.1f} h")
    print(f"  {'total':<18} {total / 3600:8.1f} h")


if __name__ == "__main__":
    main()
