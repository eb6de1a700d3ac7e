"""Memory and time of preparing ImageNet images from a ``<wnid>/`` folder, against the folder's size (issue 21).

A synthetic ILSVRC-2012-style folder of links to real JPEGs of the 500-image sample (``xaiadv.data.synthetic``)
at several sizes; each cell is a fresh process that reads the first ``n`` images of the class-balanced order.
Peak RSS (``VmHWM``) and wall seconds should stay flat across folder sizes and grow with ``n``. The reader
before issue 21 held every file's bytes (measured: 2,166 MB peak for n = 50 from 20,000 files).

    python benchmarks/bench_imagenet_folder.py [--sizes 1000 5000 20000 50000] [--n 50 200]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
SHARED = Path(os.environ.get("XAIADV_SHARED_DATA", ROOT.parent / "shared" / "data"))
CHILD = """
import json, sys, time
t = time.perf_counter()
from xaiadv.data.imagenet import load_imagenet_folder
from xaiadv.runtime import peak_rss_mb
s = load_imagenet_folder(sys.argv[1], n=int(sys.argv[2]))
print(json.dumps({"n": len(s.y), "rss_mb": peak_rss_mb(), "s": time.perf_counter() - t}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000, 50000])
    ap.add_argument("--n", type=int, nargs="+", default=[50, 200])
    args = ap.parse_args()
    from xaiadv.data.synthetic import link_farm

    archive = SHARED / "imagenet-sample-500.tar"
    if not archive.exists():
        sys.exit(f"{archive}: not found (set XAIADV_SHARED_DATA)")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_implementation()} "
          f"{platform.python_version()}")
    print(f"{'files':>7} {'n':>5} {'peak RSS MB':>12} {'seconds':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            t = time.perf_counter()
            folder = link_farm(archive, Path(tmp) / f"val{size}", size)
            made = time.perf_counter() - t
            for n in args.n:
                out = subprocess.run([sys.executable, "-c", CHILD, str(folder), str(n)], capture_output=True,
                                     text=True, check=True, env=env)
                rec = json.loads(out.stdout)
                print(f"{size:>7} {rec['n']:>5} {rec['rss_mb']:>12.0f} {rec['s']:>8.2f}", flush=True)
            print(f"        (folder of {size} links made in {made:.1f} s)", flush=True)


if __name__ == "__main__":
    main()
