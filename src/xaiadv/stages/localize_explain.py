"""localize_explain: one explainer's maps of the localized adversarial examples (explained class: the
adversarial prediction, i.e. the target), in the explanation cache's Parquet format (variant "adversarial")."""

from __future__ import annotations

import sys
from pathlib import Path

from .. import runtime


def run(job) -> None:
    fin, fout, par, wc = job.input, job.output, job.params, job.wildcards
    timer = runtime.Timer()
    with timer("load"):
        import numpy as np
        import torch

        from ..cache import software_versions, write_explanations
        from ..explainers import explain, source_file
        from ..explainers.base import NEEDS_BACKGROUND, with_pass_batch
        from ..io import file_sha256, load_tensors, spec_hash
        from ..models import load_model
        from .explain import background

        device = runtime.setup(par.seed, job.threads, par.device, par.deterministic)
        model = load_model(fin.model, device)
        t, meta = load_tensors(fin.adv)
        spec = par.spec
        n = len(t["x_adv"])
        target = torch.full((n,), int(meta["spec"]["target"]), dtype=torch.long)
        context = {"seed": par.seed}
        if spec["method"] in NEEDS_BACKGROUND:
            context["background"] = background(fin.train, fin.test, spec["background_size"], par.seed)
    with timer("compute"):
        attr = explain(model, t["x_adv"], target, with_pass_batch(spec, par.batch["explain_pass"]), par.batch["explain"], device, **context)
    with timer("write"):
        write_explanations(
            fout.parquet, sample_id=np.arange(n), variant=["adversarial"] * n, label=t["y"][t["image"]].numpy(),
            prediction=target.numpy(), explained_class=target.numpy(), attack_success=np.ones(n, bool),
            attribution=attr.numpy(),
            metadata={"dataset": wc.dataset, "model": wc.model, "attack": "localized_bim", "explainer": wc.loc_explainer,
                      "attributed_to": "pixels", "spec": spec, "config_hash": spec_hash(spec),
                      "code_hash": file_sha256([source_file(spec["method"]), Path(__file__).parents[1] / "cache.py"])[:16],
                      "versions": software_versions()})
    print(f"{wc.loc_explainer}: {n} localized adversarial examples -> {fout.parquet}", file=sys.stderr)
    timer.report("localize_explain", explainer=wc.loc_explainer, n=n)
