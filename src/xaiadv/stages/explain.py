"""explain: the explanation cache of one attack, one Parquet file per explainer. Its clean rows come from the
model's shared clean cache (rule explain_clean, one explanation per clean image for every attack) when the job has
``input.clean``; the LAN explainer's job (explain_lan) computes both, its masks costing one pass."""

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


def clean_rows(path: str, ids, classes):
    """Attributions (n, C, H, W) float32 of the images with sample ids ``ids`` (n,) from the shared clean cache
    ``path`` (rule explain_clean), in that order; exits naming the file when an image is missing or was explained for
    another class than ``classes`` (n,) (the cache was made for other attacks or another model)."""
    import numpy as np

    from ..cache import read_explanations

    frame, attribution, _ = read_explanations(path)
    pos = {int(s): k for k, s in enumerate(frame["sample_id"])}
    missing = [int(i) for i in ids if int(i) not in pos]
    if missing:
        raise SystemExit(f"{path}: no clean rows of sample ids {missing[:5]} (rerun rule explain_clean)")
    rows = np.array([pos[int(i)] for i in ids], dtype=np.int64)
    if not np.array_equal(frame["explained_class"].to_numpy()[rows], np.asarray(classes)):
        raise SystemExit(f"{path}: its clean rows explain other classes than this attack's clean predictions "
                         "(rerun rule explain_clean)")
    return np.ascontiguousarray(attribution[rows])


def run(job) -> None:
    fin, fout, par, wc = job.input, job.output, job.params, job.wildcards
    timer = runtime.Timer()
    with timer("load"):
        import numpy as np
        import torch

        from ..cache import software_versions, write_explanations
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
    shared = {Path(p).stem: p for p in (getattr(fin, "clean", None) or [])}  # explainer -> its clean cache
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
        start = n if name in shared else 0  # the clean rows from the shared cache: only the adversarial ones here
        if start:
            with timer("load"):
                clean_attr = torch.from_numpy(clean_rows(shared[name], adv["ids"].numpy(), adv["pred_clean"].numpy()))
        with timer("compute"):
            attr = explain(model, xs[start:], target[start:], with_pass_batch(spec, par.batch["explain_pass"]),
                           par.batch["explain"], device, **context)
            if start:
                attr = torch.cat([clean_attr, attr])
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
                          "versions": software_versions()},
            )
        print(f"{name}: {2 * n} rows -> {out}", file=sys.stderr)
    timer.report("explain", attack=wc.attack, n=n)
