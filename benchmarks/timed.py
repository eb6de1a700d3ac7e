"""Run a command and record its wall time as JSON: ``python benchmarks/timed.py OUT.json -- cmd ...``.

``make run`` wraps the main job with it so ``bench_overhead.py`` can compare the
jobs' compute time with the whole run's wall time. It also records the machine's calibration figure
(``benchmarks/calibrate.py``) before and after the command, so a wall time can be read in machine units, and the
command's *own* CPU time (issue 18: Snakemake's scheduling, not its jobs'): sampled once a second from
``/proc/<pid>/stat`` (utime + stime of the process itself, every thread, without its children's), the last
sample before it exits (so up to a second of it may be missed; ``None`` where there is no ``/proc``).
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path


def own_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of process ``pid`` itself (not its children), from ``/proc/<pid>/stat``;
    None when it cannot be read (no procfs, or the process is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # after the command name: state is field 3, utime field 14, stime field 15 (proc(5))
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    out, sep, *cmd = sys.argv[1:]
    assert sep == "--", "usage: timed.py OUT.json -- command ..."
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from calibrate import passes_per_second

    before = passes_per_second()
    t0 = time.time()
    proc = subprocess.Popen(cmd)
    own = None
    while proc.poll() is None:
        sample = own_cpu_seconds(proc.pid)
        own = own if sample is None else sample
        time.sleep(1.0)
    rc = proc.returncode
    wall = time.time() - t0
    after = passes_per_second()
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps({"cmd": cmd, "wall_s": wall, "start": t0, "rc": rc, "own_cpu_s": own,
                                     "calibration_passes_per_s": {"before": before, "after": after}}, indent=2))
    print(f"main job: {wall:.1f} s wall (rc {rc}); machine: {before:.0f} / {after:.0f} MNIST-CNN passes/s "
          f"before / after ({wall * (before + after) / 2 / 1e3:.1f} k passes of wall)"
          + (f"; the command's own CPU {own:.0f} s ({100 * own / wall:.1f}% of wall)" if own is not None else ""))
    sys.exit(rc)
