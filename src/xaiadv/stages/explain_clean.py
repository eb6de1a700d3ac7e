"""explain_clean: every pixel explainer on the clean images of one model's explained attacks, each image once
(issue 18). An attack's explanation cache holds its attacked images' clean rows and their adversarial rows; the clean
rows (the first attacked test images, explained for the model's own label) are mostly the same images for every
attack, and an explanation of a clean image does not depend on the attack: this job explains the union once, one
Parquet cache per explainer (every row ``variant`` "clean", ``attack_success`` False), and each ``explain`` job copies
its rows and explains only its adversarial examples."""

from __future__ import annotations

import sys

from .. import runtime


def union_of_explained(advs: list[dict], counts: list[int]) -> dict:
    """The clean images the attacks' explain jobs take (the first ``counts[i]`` attacked images of ``advs[i]``, 0 =
    all), each once, sorted by test-split index: {"index", "ids", "y", "target" (the model's label)} (N,) int64.
    Raises ``ValueError`` when two attacks disagree on an image's label (not the same model and split)."""
    import torch

    seen: dict[int, tuple] = {}
    for adv, n in zip(advs, counts):
        k = len(adv["index"]) if not n else min(n, len(adv["index"]))
        for j in range(k):
            row = (int(adv["ids"][j]), int(adv["y"][j]), int(adv["pred_clean"][j]))
            if seen.setdefault(int(adv["index"][j]), row) != row:
                raise ValueError(f"test image {int(adv['index'][j])}: {seen[int(adv['index'][j])]} in one attack, {row} "
                                 "in another (sample id, label, clean prediction)")
    index = sorted(seen)
    col = lambda c: torch.tensor([seen[i][c] for i in index], dtype=torch.long)  # noqa: E731
    return {"index": torch.tensor(index, dtype=torch.long), "ids": col(0), "y": col(1), "target": col(2)}


def run(job) -> None:
    fin, fout, par, wc = job.input, job.output, job.params, job.wildcards
    timer = runtime.Timer()
    with timer("load"):
        from pathlib import Path

        import numpy as np
        import torch

        from .. import __version__
        from ..cache import write_explanations
        from ..data import load_split
        from ..explainers import explain, source_file
        from ..explainers.base import NEEDS_BACKGROUND, with_pass_batch
        from ..explainers.layers import layer_for
        from ..io import file_sha256, load_tensors, spec_hash
        from ..models import load_model
        from ._attacked import spec_for_output
        from .explain import background

        device = runtime.setup(par.seed, job.threads, par.device, par.deterministic)
        model = load_model(fin.model, device)
        advs = [load_tensors(p)[0] for p in fin.adv]
        u = union_of_explained(advs, par.counts)
        x, _, _, _ = load_split(fin.test, int(u["index"].max()) + 1 if len(u["index"]) else 0)
        xs = x[u["index"]]
        n = len(xs)
        rows = {"sample_id": u["ids"].numpy(), "variant": ["clean"] * n, "label": u["y"].numpy(),
                "prediction": u["target"].numpy(), "explained_class": u["target"].numpy(),
                "attack_success": np.zeros(n, dtype=bool)}
        print(f"{wc.model}: explaining the {n} clean images of {len(advs)} attacks", file=sys.stderr)
        import captum

    for out in fout.files:
        name, spec = spec_for_output(out, par.explainers, "explainer")
        context = {"seed": par.seed}
        if spec["method"] in NEEDS_BACKGROUND:
            with timer("load"):
                context["background"] = background(fin.train, fin.test, spec["background_size"], par.seed)
        with timer("compute"):
            attr = explain(model, xs, u["target"], with_pass_batch(spec, par.batch["explain_pass"]), par.batch["explain"],
                           device, **context)
        with timer("write"):
            write_explanations(
                out, **rows, attribution=attr.numpy(),
                metadata={"dataset": wc.dataset, "model": wc.model, "attack": None, "explainer": name,
                          "attributed_to": layer_for(spec.get("layer"), getattr(model, "arch", None)) or "pixels",
                          "spec": spec, "config_hash": spec_hash(spec),
                          "code_hash": file_sha256([source_file(spec["method"]), Path(__file__).parents[1] / "cache.py"])[:16],
                          "versions": {"xaiadv": __version__, "torch": torch.__version__, "captum": captum.__version__}})
        print(f"{name}: {n} clean rows -> {out}", file=sys.stderr)
    timer.report("explain_clean", model=wc.model, n=n)
