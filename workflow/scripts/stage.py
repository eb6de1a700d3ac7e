"""The script of every rule (Snakemake's ``script:``): run the rule's stage with the job's input, output,
params, wildcards, threads and log (see xaiadv.stages.run_job). The package comes from this checkout's
src/, whichever Python runs the job (the venv's, or a rule's conda env's under --sdm conda)."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).resolve().parents[1] / "src"))  # noqa: F821 (set by Snakemake)

from xaiadv import runtime  # noqa: E402,F401  (records the job's start time first)
from xaiadv.stages import run_job  # noqa: E402

run_job(snakemake, fd_level=True)  # noqa: F821
# Done: every output is written (atomically, files closed) and the log flushed. Skip the interpreter's teardown:
# with torch, torchvision and scikit-learn loaded it took 1.3-1.5 s per job after the job's last line on this
# project's 2-core VM (issue 18: ~1 s of each of the default's ~250 jobs between its TIMING line and Snakemake
# seeing it end; benchmarks/bench_job_startup.py). A failed stage raised above and exits the normal way.
sys.stdout.flush()
sys.stderr.flush()
try:  # and what C libraries printed through stdio (buffered: the job's fd 1 is its log file)
    import ctypes

    ctypes.CDLL(None).fflush(None)
except (OSError, AttributeError):  # no C runtime to flush through ctypes (e.g. Windows)
    pass
os._exit(0)
