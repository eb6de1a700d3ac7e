"""The script of every rule (Snakemake's ``script:``): run the rule's stage with the job's input, output,
params, wildcards, threads and log (see xaiadv.stages.run_job). The package comes from this checkout's
src/, whichever Python runs the job (the venv's, or a rule's conda env's under --sdm conda)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).resolve().parents[1] / "src"))  # noqa: F821 (set by Snakemake)

from xaiadv import forkserver, runtime  # noqa: E402  (records the job's start time first)

# Under make run a fork server has imported torch and the other heavy libraries once: the stage runs in its forked
# child and this process exits with the child's status (None: no server, the stage runs here)
code = forkserver.run_job(snakemake, runtime.T_PROCESS)  # noqa: F821
if code is not None:
    runtime.end_job(code)

from xaiadv.stages import run_job  # noqa: E402

run_job(snakemake, fd_level=True)  # noqa: F821
runtime.end_job()  # without the interpreter's teardown (1.3 s per job); a failed stage raised above, exits as usual
