"""download_weights / download_data: fetch what a config needs from the internet (a local rule: on the machine
that runs Snakemake, the login node under SLURM). See :mod:`xaiadv.download`."""

from __future__ import annotations

import sys

from .. import runtime
from ..io import write_json


def run(job) -> None:
    timer = runtime.Timer()
    with timer("download"):
        from .. import download

        if job.rule == "download_weights":
            rec = download.fetch_weights(job.wildcards.arch)
        else:
            rec = download.fetch_dataset(job.wildcards.dataset, job.params.root)
    print(f"{job.rule}: {rec}", file=sys.stderr)
    with timer("write"):
        write_json(job.output.json, rec)
    timer.report(job.rule)
