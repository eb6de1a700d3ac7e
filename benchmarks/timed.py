"""Run a command and record its wall time as JSON: ``python benchmarks/timed.py OUT.json -- cmd ...``.

``make run`` wraps the main job with it so ``bench_overhead.py`` can compare the
jobs' compute time with the whole run's wall time.
"""

import json
import subprocess
import sys
import time
from pathlib import Path

if __name__ == "__main__":
    out, sep, *cmd = sys.argv[1:]
    assert sep == "--", "usage: timed.py OUT.json -- command ..."
    t0 = time.time()
    rc = subprocess.call(cmd)
    wall = time.time() - t0
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps({"cmd": cmd, "wall_s": wall, "start": t0, "rc": rc}, indent=2))
    print(f"main job: {wall:.1f} s wall (rc {rc})")
    sys.exit(rc)
