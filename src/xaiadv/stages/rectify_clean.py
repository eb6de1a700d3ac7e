"""rectify_clean: every configured rectifier on the clean images of one model's rectified attacks, once (issue 18).

Kao et al. rectify each attack's first ``n_rectify`` successful adversarial examples; beyond the paper the same
images' clean versions are rectified too (what a rectifier applied to every input costs). Those clean images are
largely the same for every attack (the first correctly classified test images), and a clean image, its label and
the rectifier do not depend on the attack: this job rectifies the union of the attacks' chosen clean images once,
and each ``rectify`` job reads its images' rows. It replaced one rectification of the clean images per attack
(I-GOS on 100 clean digits took ~60 s per attack and rectifier variant on the default's 2-core VM).

Writes one safetensors file: ``index`` (N,) int64, the test-split indices (sorted); ``y`` (N,) true labels;
``label`` (N,) the model's labels (the clean images' current labels, which the rectifiers explain away); per
rectifier ``<name>/hits`` (N,) bool (voted label == y) or (R, N) bool for "mean" rectifiers, and ``<name>/logits``
(N, classes) float32 (the rectified images' logits averaged over repeats). A DAE rectifier without a denoiser has
no entry (its ``rectify`` output says skipped)."""

from __future__ import annotations

import sys
import time

from .. import runtime


def union_of_chosen(x, advs: list[dict], n_rectify: int) -> dict:
    """The clean images every attack in ``advs`` (attack jobs' tensors) rectifies (:func:`._attacked.chosen`), each
    once, sorted by test-split index: {"index" (N,) int64, "x" (N, C, H, W), "y" (N,), "label" (N,)}. Raises
    ``ValueError`` when two attacks disagree on an image's true or clean label (not the same model and split)."""
    import torch

    from ._attacked import chosen

    seen: dict[int, tuple] = {}
    for adv in advs:
        c = chosen(x, adv, n_rectify)
        for k, i in enumerate(c["index"].tolist()):
            row = (int(c["y"][k]), int(c["label_clean"][k]))
            if seen.setdefault(i, row) != row:
                raise ValueError(f"test image {i}: true / clean labels {seen[i]} in one attack, {row} in another")
    index = torch.tensor(sorted(seen), dtype=torch.long)
    return {"index": index, "x": x[index], "y": torch.tensor([seen[i][0] for i in index.tolist()], dtype=torch.long),
            "label": torch.tensor([seen[i][1] for i in index.tolist()], dtype=torch.long)}


def rows_for(clean: dict, index) -> torch.Tensor:  # noqa: F821 (torch imported lazily)
    """Positions in the shared file ``clean`` (its ``index``) of the test-split indices ``index`` (n,); exits naming
    a missing image (the shared file was made for other attacks or another ``n_rectify``)."""
    import torch

    pos = {int(i): k for k, i in enumerate(clean["index"].tolist())}
    missing = [int(i) for i in index if int(i) not in pos]
    if missing:
        raise SystemExit(f"rectify_clean's file lacks test images {missing[:5]} (rerun rule rectify_clean)")
    return torch.tensor([pos[int(i)] for i in index], dtype=torch.long)


def run(job) -> None:
    fin, fout, par, wc = job.input, job.output, job.params, job.wildcards
    timer = runtime.Timer()
    with timer("load"):
        from ..data import load_split
        from ..io import load_tensors, save_tensors
        from ..models import load_model
        from ..rectifiers import evaluate

        device = runtime.setup(par.seed, job.threads, par.device, par.deterministic)
        model = load_model(fin.model, device)
        advs = [load_tensors(p)[0] for p in fin.adv]
        last = max((int(a["index"].max()) for a in advs if len(a["index"])), default=-1)
        x, _, _, _ = load_split(fin.test, last + 1)
        u = union_of_chosen(x, advs, par.n_rectify)
        print(f"{wc.model}: rectifying the {len(u['index'])} clean images of {len(advs)} attacks' "
              f"{sum(min(len(a['success'].nonzero()), par.n_rectify or 10**9) for a in advs)} chosen ones",
              file=sys.stderr)
    out = {"index": u["index"], "y": u["y"], "label": u["label"]}
    aggregate = {}
    for name, spec in par.rectifiers.items():
        extra = {}
        if spec["method"] == "igos":
            extra["path_batch"] = par.batch["igos_path"]
        if spec["method"] == "dae":
            from ..rectifiers.dae import load_denoiser

            if name not in par.denoisers:
                raise SystemExit(f"rectifier {name!r}: no denoisers entry (rule train_denoiser)")
            extra["denoiser"], _ = load_denoiser(par.denoisers[name], device)
            if extra["denoiser"] is None:
                print(f"{name}: skipped (no denoiser)", file=sys.stderr)
                continue
        t0 = time.perf_counter()
        with timer("compute"):
            r = evaluate(model, u["x"], u["label"], u["y"], spec, batch_size=par.batch["rectify"], seed=par.seed + 1,
                         device=device, extra=extra)
        out[f"{name}/hits"], out[f"{name}/logits"] = r["hits"], r["logits"]
        aggregate[name] = r["aggregate"]
        print(f"{name}: clean kept {100 * r['hits'].float().mean():.1f}% (n={len(u['index'])}, "
              f"{time.perf_counter() - t0:.1f} s)", file=sys.stderr)
    with timer("write"):
        save_tensors(fout.tensors, out, {"dataset": wc.dataset, "model": wc.model, "aggregate": aggregate,
                                         "n_rectify": par.n_rectify, "rectifiers": par.rectifiers})
    timer.report("rectify_clean", model=wc.model, n=len(u["index"]))
