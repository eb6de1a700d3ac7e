"""DAG bookkeeping at scale (not a test): wall time and job count of a dry run of config/paper.yaml,
and the wall time of a no-op rerun of the default config (after `make run`).

    python benchmarks/bench_dag.py [--repeat 3]

Runs in a scratch copy of the workflow for the dry run (so the local .snakemake metadata
does not help or hurt it) and in this checkout for the no-op rerun.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]


def timed(args, cwd):
    t = time.perf_counter()
    p = subprocess.run(SNAKEMAKE + args, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if p.returncode:
        raise SystemExit(f"snakemake {' '.join(args)} failed:\n{p.stderr[-3000:]}")
    return wall, p.stdout + p.stderr


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        for name in ("Snakefile", "config.yaml", "config", "workflow", "src", "envs", "profiles"):
            src = ROOT / name
            (shutil.copytree if src.is_dir() else shutil.copy2)(src, Path(d) / name)
        walls = []
        for _ in range(a.repeat):
            wall, out = timed(["-n", "--cores", "8", "--configfile", "config/paper.yaml", "--quiet", "rules"], d)
            walls.append(wall)
        total = re.search(r"^total\s+(\d+)$", out, re.M).group(1)
        print(f"dry run of config/paper.yaml: {total} jobs, median {statistics.median(walls):.1f} s "
              f"({', '.join(f'{w:.1f}' for w in walls)}), {1000 * statistics.median(walls) / int(total):.1f} ms per job")
    if not (ROOT / "results/tables").exists():
        print("no-op rerun: skipped (run `make run` first)")
        return
    walls = []
    for _ in range(a.repeat):
        wall, out = timed(["--profile", "profiles/local"], ROOT)
        walls.append(wall)
        if "Nothing to be done" not in out:
            print("warning: the default config was not up to date; the first run did work")
    print(f"no-op rerun of the default config: median {statistics.median(walls):.1f} s ({', '.join(f'{w:.1f}' for w in walls)})")


if __name__ == "__main__":
    main()
