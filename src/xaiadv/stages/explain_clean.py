"""explain_clean: every pixel explainer on the clean images of one model's explained attacks, each image once
(issue 18). An attack's explanation cache holds its attacked images' clean rows and their adversarial rows; the clean
rows (the first attacked test images, explained for the model's own label) are mostly the same images for every
attack, and an explanation of a clean image does not depend on the attack: this job explains their union once
(decided from the config's counts and the model's predictions, not from the attacks' outputs), one
Parquet cache per explainer (every row ``variant`` "clean", ``attack_success`` False), and each ``explain`` job copies
its rows and explains only its adversarial examples."""

from __future__ import annotations

import sys

from .. import runtime


def run(job) -> None:
    fin, fout, par, wc = job.input, job.output, job.params, job.wildcards
    timer = runtime.Timer()
    with timer("load"):
        from pathlib import Path

        import numpy as np

        from ..cache import software_versions, write_explanations
        from ..explainers import explain, source_file
        from ..explainers.base import NEEDS_BACKGROUND, with_pass_batch
        from ..explainers.layers import layer_for
        from ..io import file_sha256, spec_hash
        from ._attacked import attacked_clean, spec_for_output
        from .explain import background

        device, model, u = attacked_clean(job, par.counts)
        xs = u["x"]
        n = len(xs)
        rows = {"sample_id": u["ids"].numpy(), "variant": ["clean"] * n, "label": u["y"].numpy(),
                "prediction": u["label"].numpy(), "explained_class": u["label"].numpy(),
                "attack_success": np.zeros(n, dtype=bool)}
        print(f"{wc.model}: explaining the {n} clean images of {len(par.counts)} attacks", file=sys.stderr)
    for out in fout.files:
        name, spec = spec_for_output(out, par.explainers, "explainer")
        context = {"seed": par.seed}
        if spec["method"] in NEEDS_BACKGROUND:
            with timer("load"):
                context["background"] = background(fin.train, fin.test, spec["background_size"], par.seed)
        with timer("compute"):
            attr = explain(model, xs, u["label"], with_pass_batch(spec, par.batch["explain_pass"]), par.batch["explain"],
                           device, **context)
        with timer("write"):
            write_explanations(
                out, **rows, attribution=attr.numpy(),
                metadata={"dataset": wc.dataset, "model": wc.model, "attack": None, "explainer": name,
                          "attributed_to": layer_for(spec.get("layer"), getattr(model, "arch", None)) or "pixels",
                          "spec": spec, "config_hash": spec_hash(spec),
                          "code_hash": file_sha256([source_file(spec["method"]), Path(__file__).parents[1] / "cache.py"])[:16],
                          "versions": software_versions()})
        print(f"{name}: {n} clean rows -> {out}", file=sys.stderr)
    timer.report("explain_clean", model=wc.model, n=n)
