"""prepare_dataset: a configured source -> train/test safetensors splits."""

from __future__ import annotations

import sys
from .. import runtime


def run(job) -> None:
    fout, par, wc = job.output, job.params, job.wildcards
    timer = runtime.Timer()
    with timer("load"):
        from ..data.prepare import load_source
        from ..data.split import save_split

        runtime.setup(par.seed, job.threads, "cpu")
        # never downloads: the download_data rule (a local rule) fetched the files before this job
        parts = load_source(wc.dataset, {**par.spec, "download": False}, par.seed)
    with timer("write"):
        for split in ("train", "test"):
            save_split(getattr(fout, split), parts[split])
    print(f"{wc.dataset}: " + ", ".join(f"{k} {len(v.y)}" for k, v in parts.items()), file=sys.stderr)
    timer.report("prepare_dataset", dataset=wc.dataset)
