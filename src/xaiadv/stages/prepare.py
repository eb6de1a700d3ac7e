"""prepare_dataset: a configured source -> train/test safetensors splits."""

from __future__ import annotations

import sys
from pathlib import Path

from .. import runtime


def run(a) -> None:
    timer = runtime.Timer()
    with timer("load"):
        from ..data.prepare import load_source
        from ..data.split import save_split

        runtime.setup(a.seed, a.threads, "cpu")
        parts = load_source(a.dataset, a.spec, a.seed)
    with timer("write"):
        for split in ("train", "test"):
            save_split(Path(a.out_dir) / f"{split}.safetensors", parts[split])
    print(f"{a.dataset}: " + ", ".join(f"{k} {len(v.y)}" for k, v in parts.items()), file=sys.stderr)
    timer.report("prepare_dataset", dataset=a.dataset)
