"""Start-up cost of one job's process: Snakemake's ``script:`` entry (its preamble unpickles the job object,
importing parts of Snakemake, then workflow/scripts/stage.py imports the stage dispatcher) against a bare
interpreter importing the package's runtime (what a ``python -m xaiadv <stage>`` shell command cost before the
rules ran their stages through ``script:``). Medians over repeats, run back to back on this machine; the
difference times the default's job count over its 2 job slots is what the entry adds to the main job's wall.

    python benchmarks/bench_job_startup.py [--repeats 15]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = str(ROOT / "src")
CASES = {
    # before: python -m xaiadv <stage>: the runtime (first), the argument parser, JSON parsing of the params
    "shell + argparse (before)": "import xaiadv.runtime, argparse, json",
    # now: the preamble Snakemake writes into every script, then workflow/scripts/stage.py's imports
    "script: preamble (now)": ("import sys, pickle; from snakemake.logging import logger; "
                               "from snakemake.iocontainers import Snakemake; import xaiadv.runtime, xaiadv.stages"),
    "bare interpreter": "pass",
}


def timed(code: str) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "PYTHONPATH": SRC})
    return time.perf_counter() - t


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--repeats", type=int, default=15)
    p.add_argument("--jobs", type=int, default=221, help="jobs of the default main job")
    p.add_argument("--slots", type=int, default=2, help="jobs the default profile runs at once")
    a = p.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    for code in CASES.values():  # warm the file cache
        timed(code)
    times = {name: [] for name in CASES}
    for _ in range(a.repeats):  # interleaved, so a slow moment hits every case
        for name, code in CASES.items():
            times[name].append(timed(code))
    med = {name: statistics.median(v) for name, v in times.items()}
    for name, m in med.items():
        print(f"{name:28s} median {1000 * m:7.1f} ms  (min {1000 * min(times[name]):7.1f}, n={a.repeats})")
    before, now = med["shell + argparse (before)"], med["script: preamble (now)"]
    print(f"script entry / shell entry: {now / before:.2f}x; +{1000 * (now - before):.0f} ms per job, "
          f"about +{(now - before) * a.jobs / a.slots:.0f} s on the default's {a.jobs} jobs over {a.slots} slots")


if __name__ == "__main__":
    main()
