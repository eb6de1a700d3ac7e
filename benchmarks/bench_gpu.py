"""Each stage's throughput on the GPU against the CPU, at each side's best batch, against its compute floor; and
from them the estimated wall time of ``config/paper.yaml`` on one GPU, per rule and in total (issue 21).

Per model of config/paper.yaml (random weights: speed does not depend on them) and device:

* floor: the best rate of bare forward+backward passes (input gradient) over a ladder of batches;
* attack: PGD-L∞ with 10 steps through ``run_attack`` (10 passes per image);
* explain: integrated gradients with 16 steps through ``explain`` (16 passes per image);
* rectify: I-GOS masks (2 iterations x 8 path points, ``igos_mask``; 16 passes per image plus line-search
  forwards);

each stage at the best batch of a short ladder; efficiency = stage images/s x passes per image / floor. The
estimate: per rule, the images config/paper.yaml sends through it x the passes one image costs there (from the
config: attack steps, explainer steps / samples, I-GOS iterations x (path points + 3)) / (floor x that stage's
efficiency) — a lower bound without start-up, I/O and CPU-side work. Without CUDA it prints the CPU side and
says so; by default the CPU side skips ResNet-50, Inception-v3 and VGG19 (minutes each; ``--cpu-all``).

A second estimate needs no GPU: the same passes x each model's FLOPs per forward+backward pass (counted with
``torch.utils.flop_counter`` at batch 1) / an assumed sustained rate (``--assume-tflops``, default 20: an
assumption, not a measurement; an A100's dense TF32 peak is 156, its FP32 19.5).

    python benchmarks/bench_gpu.py [--seconds 2] [--models mnist_cnn effnet_lite0] [--cpu-all] [--assume-tflops 20]
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
SHAPES = {"mnist": (1, 28, 28), "cifar10": (3, 32, 32), "imagenet": (3, 224, 224)}
PASSES = {"attack": 10, "explain": 16, "rectify": 16}
SLOW_ON_CPU = ("resnet50", "inception_v3", "vgg19")


def sync(device):
    if str(device).startswith("cuda"):
        torch.cuda.synchronize()


def rate(fn, batch: int, device, seconds: float) -> float:
    """Images/s of ``fn(batch)``: one warm-up call, then calls until ``seconds`` have passed."""
    fn(batch)
    sync(device)
    n, t = 0, time.perf_counter()
    while time.perf_counter() - t < seconds:
        fn(batch)
        n += batch
    sync(device)
    return n / (time.perf_counter() - t)


def best(fn, device, seconds: float, ladder=LADDER, cap: int | None = None) -> tuple[int, float]:
    """(batch, images/s) of the fastest batch of ``ladder`` (stops at out-of-memory or past ``cap``)."""
    top = (ladder[0], 0.0)
    for b in ladder:
        if cap is not None and b > cap:
            break
        try:
            r = rate(fn, b, device, seconds)
        except torch.OutOfMemoryError:
            torch.cuda.empty_cache()
            break
        if r > top[1]:
            top = (b, r)
        elif r < 0.7 * top[1]:
            break  # past the knee
    return top


def stages(model, shape, device, classes):
    """{name: fn(batch)} running each stage's inner loop on ``batch`` random images."""
    from xaiadv.attacks import run_attack
    from xaiadv.explainers import explain
    from xaiadv.rectifiers.igos import igos_mask

    def data(b):
        return torch.rand(b, *shape, device=device), torch.randint(classes, (b,), device=device)

    def floor(b):
        x, _ = data(b)
        x.requires_grad_(True)
        torch.autograd.grad(model(x).logsumexp(1).sum(), x)

    def attack(b):
        x, y = data(b)
        run_attack(model, x, y, {"method": "pgd", "norm": "Linf", "eps": 0.03, "alpha": 0.01, "steps": 10}, b, 0,
                   device, progress=False)

    def expl(b):
        x, y = data(b)
        explain(model, x, y, {"method": "integrated_gradients", "n_steps": 16}, b, device, progress=False)

    def igos(b):
        x, y = data(b)
        igos_mask(model, x, torch.zeros_like(x), y, mask_size=7, iterations=2, ig_iter=8, l1=0.0, tv=0.0, noise=0.2,
                  noise_form="reference", objective="prob", step_max=200.0, armijo=1e-4, decay=0.2, min_step=1e-5,
                  l1_schedule=True, stop_prob=None, batch=None, generator=torch.Generator().manual_seed(0))

    return {"floor": floor, "attack": attack, "explain": expl, "rectify": igos}


def gflop_per_pass(net, shape) -> float:
    """GFLOP of one forward+backward pass (input gradient) of ``net`` on one image of ``shape``."""
    from torch.utils.flop_counter import FlopCounterMode

    x = torch.rand(1, *shape, requires_grad=True)
    with FlopCounterMode(display=False) as f:
        net(x).logsumexp(1).sum().backward()
    return f.get_total_flops() / 1e9


def rule_passes(cfg: dict, name: str, e: dict, per: dict) -> dict[str, float]:
    """Forward+backward passes per rule that model ``name`` costs under ``cfg`` (images x passes per image)."""
    from xaiadv import dag

    d = e["dataset"]
    n = dag.attack_n_eval(cfg, next(iter(cfg["attacks"])), d, name)
    jobs = len(dag.attacks_for(cfg, d))
    return {rule: n * jobs * (2 if rule == "explain" else 1) * passes for rule, passes in per.items()}


def passes_per_image(cfg: dict) -> dict[str, float]:
    """Forward+backward passes one image costs per rule under ``cfg`` (the dominant terms)."""
    from xaiadv.config import method_spec

    def spec(section, e):
        return method_spec(section, {k: v for k, v in e.items() if k != "per_dataset"})

    atk = [spec("attacks", a) for a in cfg["attacks"].values()]
    ex = [spec("explainers", e) for e in cfg["explainers"].values()]
    rect = [spec("rectifiers", r) for r in cfg["rectifiers"].values()]
    return {"attack": sum(a.get("steps") or 1 for a in atk) / max(len(atk), 1),
            "explain": sum(e.get("n_steps") or e.get("nsamples") or 1 for e in ex),
            "rectify": sum(r["iterations"] * (r["ig_iter"] + 3) if r["method"] == "igos" else r.get("repeats", 1) + 1
                           for r in rect)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=2.0, help="seconds per measurement")
    ap.add_argument("--models", nargs="+", default=None, help="model names of config/paper.yaml")
    ap.add_argument("--cpu-all", action="store_true", help="measure the big ImageNet models on the CPU too")
    ap.add_argument("--assume-tflops", type=float, default=20.0, help="sustained TFLOP/s for the FLOP estimate")
    args = ap.parse_args()
    from xaiadv import config as xcfg, dag
    from xaiadv.models import build

    cfg = xcfg.validate(yaml.safe_load((ROOT / "config/paper.yaml").read_text()))
    cuda = torch.cuda.is_available()
    gpu = torch.cuda.get_device_name(0) if cuda else "none"
    print(f"machine: {platform.machine()}, {torch.get_num_threads()} CPU threads; GPU: {gpu}; torch {torch.__version__}")
    if not cuda:
        print("no CUDA device: CPU side only (`make test-gpu` on a GPU machine prints both)")
    models = {m: e for m, e in cfg["models"].items() if args.models is None or m in args.models}
    res: dict[tuple[str, str], dict[str, tuple[int, float]]] = {}
    gflop: dict[str, float] = {}
    print(f"{'model':<16} {'device':<6} {'stage':<8} {'batch':>5} {'img/s':>9} {'of floor':>8} {'GPU/CPU':>8}")
    for name, e in models.items():
        shape, classes = SHAPES[e["dataset"]], 1000 if e["dataset"] == "imagenet" else 10
        net = build(e["arch"], None, classes, shape[0]).eval()
        for p in net.parameters():
            p.requires_grad_(False)
        gflop[name] = gflop_per_pass(net, shape)
        for dev in (["cpu", "cuda"] if cuda else ["cpu"]):
            if dev == "cpu" and e["arch"] in SLOW_ON_CPU and not args.cpu_all:
                continue
            model = net.to(dev)
            cap = 64 if dev == "cpu" else None
            out = {}
            for stage, fn in stages(model, shape, dev, classes).items():
                out[stage] = best(fn, dev, args.seconds / 2, cap=cap)
                b, r = out[stage]
                eff = r * PASSES.get(stage, 1) / out["floor"][1]
                ratio = (f"{r / res[(name, 'cpu')][stage][1]:.1f}x" if dev == "cuda" and (name, "cpu") in res else "")
                print(f"{name:<16} {dev:<6} {stage:<8} {b:>5} {r:>9.1f} {eff:>8.2f} {ratio:>8}", flush=True)
            res[(name, dev)] = out
    dev = "cuda" if cuda else "cpu"
    per = passes_per_image(cfg)
    where = f"one GPU ({gpu})" if cuda else "this CPU"
    print(f"\nestimated wall time of config/paper.yaml on {where} (images x passes / (floor x stage efficiency); "
          "a lower bound; models not measured left out)")
    total, left_out = 0.0, []
    for rule, passes in per.items():
        secs = 0.0
        for name, e in models.items():
            if (name, dev) not in res:
                left_out.append(name)
                continue
            d, out = e["dataset"], res[(name, dev)]
            floor_rate = out["floor"][1]
            eff = out[rule][1] * PASSES[rule] / floor_rate
            n = dag.attack_n_eval(cfg, next(iter(cfg["attacks"])), d, name)
            imgs = n * len(dag.attacks_for(cfg, d)) * (2 if rule == "explain" else 1)
            secs += imgs * passes / (floor_rate * eff)
        total += secs
        print(f"  {rule:<10} {secs / 3600:8.1f} h")
    print(f"  {'total':<10} {total / 3600:8.1f} h" + (f"   (not measured: {', '.join(sorted(set(left_out)))})"
                                                    if left_out else ""))
    print(f"\nFLOP estimate of config/paper.yaml on one GPU sustaining {args.assume_tflops:g} TFLOP/s (an assumption;"
          " every model, GFLOP per forward+backward pass counted at batch 1):")
    by_rule: dict[str, float] = {}
    for name, e in models.items():
        passes = rule_passes(cfg, name, e, per)
        pflop = sum(passes.values()) * gflop[name] / 1e6
        print(f"  {name:<16} {gflop[name]:8.2f} GFLOP/pass {sum(passes.values()) / 1e6:9.2f} M passes "
              f"{pflop:9.1f} PFLOP {pflop * 1e3 / args.assume_tflops / 3600:8.1f} h")
        for rule, v in passes.items():
            by_rule[rule] = by_rule.get(rule, 0.0) + v * gflop[name] / 1e6
    for rule, pflop in by_rule.items():
        print(f"  {rule:<16} {pflop * 1e3 / args.assume_tflops / 3600:8.1f} h")
    print(f"  {'total':<16} {sum(by_rule.values()) * 1e3 / args.assume_tflops / 3600:8.1f} h")


if __name__ == "__main__":
    main()
