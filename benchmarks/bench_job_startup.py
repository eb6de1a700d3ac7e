"""Start-up cost of one job's process: Snakemake's ``script:`` entry (its preamble unpickles the job object,
importing parts of Snakemake, then workflow/scripts/stage.py imports the stage dispatcher) against a bare
interpreter importing the package's runtime (what a ``python -m xaiadv <stage>`` shell command cost before the
rules ran their stages through ``script:``). Medians over repeats, run back to back on this machine; the
difference times the default's job count over its 2 job slots is what the entry adds to the main job's wall.

Then the end of a job: a process that has loaded what a stage loads (torch, torchvision, scikit-learn, pandas)
and run one backward pass, from its last line to its exit, with the interpreter's teardown (a plain end) and
without it (:func:`xaiadv.runtime.end_job`: flush, then ``os._exit``, what workflow/scripts/stage.py does).

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


TEARDOWN = ("import sys, os, time, torch, torchvision, sklearn.ensemble, pandas\n"
            "from xaiadv.runtime import end_job\n"
            "x = torch.randn(64, 1, 28, 28, requires_grad=True); (x * 2).sum().backward()\n"
            "print(time.time(), flush=True)\n")
ENDINGS = {"interpreter teardown": "", "end_job (stage.py)": "end_job()\n"}


def exit_delay(ending: str) -> float:
    """Seconds from the script's last line (the time it prints) to its process's exit."""
    out = subprocess.run([sys.executable, "-c", TEARDOWN + ending], check=True, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": SRC})
    return time.time() - float(out.stdout.split()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--repeats", type=int, default=15)
    p.add_argument("--jobs", type=int, default=249, help="jobs of the default main job")
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
    ends = {name: [] for name in ENDINGS}
    for _ in range(max(3, a.repeats // 3)):
        for name, ending in ENDINGS.items():
            ends[name].append(exit_delay(ending))
    emed = {name: statistics.median(v) for name, v in ends.items()}
    for name, m in emed.items():
        print(f"exit after the last line, {name:22s} median {1000 * m:7.1f} ms (n={len(ends[name])})")
    saved = emed["interpreter teardown"] - emed["end_job (stage.py)"]
    print(f"end_job saves {1000 * saved:.0f} ms per job, about {saved * a.jobs / a.slots:.0f} s of wall on the "
          f"default's {a.jobs} jobs over {a.slots} slots")


if __name__ == "__main__":
    main()
