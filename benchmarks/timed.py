"""Run a command and record its wall time as JSON: ``python benchmarks/timed.py OUT.json -- cmd ...``.

``make run`` wraps the main job with it so ``bench_overhead.py`` can compare the
jobs' compute time with the whole run's wall time. It also records the machine's calibration figure
(``benchmarks/calibrate.py``) before and after the command, so a wall time can be read in machine units.
"""

import json
import subprocess
import sys
import time
from pathlib import Path

if __name__ == "__main__":
    out, sep, *cmd = sys.argv[1:]
    assert sep == "--", "usage: timed.py OUT.json -- command ..."
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from calibrate import passes_per_second

    before = passes_per_second()
    t0 = time.time()
    rc = subprocess.call(cmd)
    wall = time.time() - t0
    after = passes_per_second()
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps({"cmd": cmd, "wall_s": wall, "start": t0, "rc": rc,
                                     "calibration_passes_per_s": {"before": before, "after": after}}, indent=2))
    print(f"main job: {wall:.1f} s wall (rc {rc}); machine: {before:.0f} / {after:.0f} MNIST-CNN passes/s "
          f"before / after ({wall * (before + after) / 2 / 1e6:.2f} M passes of wall)")
    sys.exit(rc)
