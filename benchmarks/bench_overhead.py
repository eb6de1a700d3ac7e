"""Share of the default main job's wall time spent outside model compute (not a test).

Reads the ``TIMING`` line every job writes to its log (phases: load = imports +
reading inputs, compute = model compute, write = outputs) and the main job's
wall time recorded by ``make run`` (``results/logs/main_job_wall.json``), then
times a no-op rerun. Target: share outside compute <= 20%; no-op rerun <= 10 s.

    make run && python benchmarks/bench_overhead.py [CHECKOUT]   # CHECKOUT: another clone's root (default: this one)
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(root: Path = ROOT):
    logs = root / "results/logs"
    wall_file = logs / "main_job_wall.json"
    if not wall_file.exists():
        sys.exit(f"{wall_file}: missing; run `make run` first (it records the main job's wall time)")
    rec = json.loads(wall_file.read_text())
    wall = rec["wall_s"]
    cal = rec.get("calibration_passes_per_s")
    per_rule = defaultdict(lambda: defaultdict(float))
    for log in sorted(logs.rglob("*.log")):
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith("TIMING "):
                rec = json.loads(line[7:])
                r = per_rule[rec["stage"]]
                r["jobs"] += 1
                for k in ("total", "load", "compute", "write", "user", "sys"):
                    r[k] += rec.get(k, 0.0)
    if not per_rule:
        sys.exit("no TIMING lines in results/logs: run `make run` first")
    every = sum(r["total"] for r in per_rule.values())
    print(f"{'rule':20s} {'jobs':>5s} {'total s':>9s} {'share':>6s} {'load s':>8s} {'compute s':>10s} {'write s':>8s}")
    for rule, r in sorted(per_rule.items(), key=lambda kv: -kv[1]["total"]):
        print(f"{rule:20s} {int(r['jobs']):5d} {r['total']:9.1f} {100 * r['total'] / every:5.1f}% {r['load']:8.1f} "
              f"{r['compute']:10.1f} {r['write']:8.1f}")
    compute = sum(r["compute"] for r in per_rule.values())
    jobs_total = sum(r["total"] for r in per_rule.values())
    import yaml

    cores = yaml.safe_load((root / "profiles/local/config.yaml").read_text()).get("cores", 1)
    threads = yaml.safe_load((root / "config.yaml").read_text()).get("threads", 2)
    slots = max(1, cores // threads)  # jobs the profile runs at once
    share = 1 - compute / (wall * slots)
    if cal:
        rate = (cal["before"] + cal["after"]) / 2
        print(f"machine: {rate:.0f} MNIST-CNN forward+backward passes/s (benchmarks/calibrate.py; {cal['before']:.0f}"
              f" before, {cal['after']:.0f} after): wall = {wall * rate / 1e3:.1f} k passes in machine units")
    own = json.loads(wall_file.read_text()).get("own_cpu_s")
    if own is not None:  # recorded by benchmarks/timed.py (make run) since issue 18
        print(f"Snakemake's own CPU time (scheduling, not its jobs): {own:.0f} s = {100 * own / wall:.1f}% of the wall "
              f"time - target <= 5%: {'OK' if own <= 0.05 * wall else 'ABOVE TARGET'}")
    kernel = sum(r["sys"] for r in per_rule.values())
    cpu = kernel + sum(r["user"] for r in per_rule.values())
    if cpu:
        print(f"jobs' CPU time {cpu:.0f} s, of it in the kernel {kernel:.0f} s ({100 * kernel / cpu:.1f}%)")
    print(f"main job wall {wall:.1f} s with {slots} job slot(s) of {threads} thread(s); jobs' own time "
          f"{jobs_total:.1f} s; model compute {compute:.1f} s (= {100 * compute / (wall * slots):.1f}% of "
          f"{slots} x wall)")
    print(f"outside model compute: {100 * share:.1f}% of wall (start-up and imports, data loading, writing, "
          f"Snakemake scheduling) - target <= 20%: {'OK' if share <= 0.2 else 'ABOVE TARGET'}")
    t = time.time()
    p = subprocess.run([sys.executable, "-m", "snakemake", "--profile", "profiles/local", "--cores", "2"],
                       check=False, cwd=root, capture_output=True, text=True)
    noop = time.time() - t
    nothing = "Nothing to be done" in p.stdout + p.stderr
    print(f"no-op rerun: {noop:.1f} s, {'nothing to do' if nothing else 'JOBS RAN'} - target <= 10 s")
    t = time.time()
    subprocess.run([sys.executable, "-c", "import torch, captum.attr"], check=True)
    print(f"import torch + captum.attr in a fresh process: {time.time() - t:.1f} s")


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else ROOT)
