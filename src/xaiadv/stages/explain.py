"""explain: the explanation cache of one attack, one Parquet file per explainer."""

from __future__ import annotations

import sys
from pathlib import Path

from .. import runtime


def background(train_split: str, test_split: str, size: int, seed: int):
    """``size`` images drawn (seeded, without replacement) from the training split, or from the
    test split when the data set has no training images (ImageNet with pretrained models)."""
    import torch

    from ..data import load_split, split_size

    path, n = train_split, split_size(train_split)
    if n == 0:
        print(f"{train_split} is empty: background drawn from {test_split}", file=sys.stderr)
        path, n = test_split, split_size(test_split)
    g = torch.Generator().manual_seed(seed)
    x, _, _, _ = load_split(path, rows=torch.randperm(n, generator=g)[:size])  # those rows only
    return x


def run(job) -> None:
    fin, fout, par, wc = job.input, job.output, job.params, job.wildcards
    timer = runtime.Timer()
    with timer("load"):
        import numpy as np
        import torch

        from .. import __version__
        from ..cache import write_explanations
        from ..explainers import explain, source_file
        from ..explainers.base import NEEDS_BACKGROUND, with_pass_batch
        from ..explainers.layers import layer_for
        from ..io import file_sha256, spec_hash
        from ._attacked import load_attacked, spec_for_output

        device, model, x, adv = load_attacked(job)
        if par.n_explain:  # explain the first k attacked samples only
            adv = {k: v[:par.n_explain] for k, v in adv.items()}
        n = len(adv["index"])
        # the rows every explainer's file shares: clean images, then their adversarial versions
        xs = torch.cat([x[adv["index"]], adv["x_adv"]])
        target = torch.cat([adv["pred_clean"], adv["pred_adv"]])
        success = adv["success"].bool().numpy()
        rows = {"sample_id": np.concatenate([adv["ids"].numpy()] * 2), "variant": ["clean"] * n + ["adversarial"] * n,
                "label": np.concatenate([adv["y"].numpy()] * 2), "prediction": target.numpy(),
                "explained_class": target.numpy(), "attack_success": np.concatenate([success, success])}
        import captum

    for out in fout.files:
        name, spec = spec_for_output(out, par.explainers, "explainer")  # results/explanations/.../<explainer>.parquet
        context = {"seed": par.seed}
        if spec["method"] == "lan":
            if not getattr(fin, "lan", None):
                raise SystemExit(f"output {out}: explainer {name!r} (method lan) needs input lan (rule train_lan)")
            from ..explainers.lan import load_lan

            context["lan"] = load_lan(fin.lan, device)
        if spec["method"] in NEEDS_BACKGROUND:
            with timer("load"):
                context["background"] = background(fin.train, fin.test, spec["background_size"], par.seed)
        with timer("compute"):
            attr = explain(model, xs, target, with_pass_batch(spec, par.batch["explain_pass"]), par.batch["explain"], device,
                           **context)
        with timer("write"):
            write_explanations(
                out,
                **rows,
                attribution=attr.numpy(),
                metadata={"dataset": wc.dataset, "model": wc.model, "attack": wc.attack, "explainer": name,
                          "attributed_to": ("pixels (LAN importance mask 1 - A)" if spec["method"] == "lan" else
                                            layer_for(spec.get("layer"), getattr(model, "arch", None)) or "pixels"),
                          "spec": spec, "config_hash": spec_hash(spec),
                          "code_hash": file_sha256([source_file(spec["method"]), Path(__file__).parents[1] / "cache.py"])[:16],
                          "versions": {"xaiadv": __version__, "torch": torch.__version__, "captum": captum.__version__}},
            )
        print(f"{name}: {2 * n} rows -> {out}", file=sys.stderr)
    timer.report("explain", attack=wc.attack, n=n)
