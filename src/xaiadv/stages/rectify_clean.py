"""rectify_clean: every configured rectifier on the clean images of one model's rectified attacks, once (issue 18).

Kao et al. rectify each attack's first ``n_rectify`` successful adversarial examples; beyond the paper the same
images' clean versions are rectified too (what a rectifier applied to every input costs). Those clean images are
largely the same for every attack (the first correctly classified test images), and a clean image, its label and
the rectifier do not depend on the attack: this job rectifies every image the model's rectified attacks attack (the
correctly classified ones among their first ``n_eval``: a superset of the first ``n_rectify`` successful ones each
attack's rectify job takes, decided without the attacks' outputs) once, and each ``rectify`` job reads its images'
rows. It replaced one rectification of the clean images per attack
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


def rectifier_extra(name: str, spec: dict, par, device) -> tuple[dict, dict | None]:
    """``(extra, skipped)`` for rectifier ``name`` with ``spec`` in a job with params ``par``: the objects beyond its
    config that :func:`xaiadv.rectifiers.evaluate` passes it (I-GOS's path batch, the DAE's trained denoiser) and,
    for a DAE whose train_denoiser job skipped (no training images), that file's metadata (else None). Exits naming
    the rectifier when a DAE has no denoiser file in ``par.denoisers``."""
    extra, skipped = {}, None
    if spec["method"] == "igos":
        extra["path_batch"] = par.batch["igos_path"]
    if spec["method"] == "dae":
        from ..rectifiers.dae import load_denoiser

        if name not in par.denoisers:
            raise SystemExit(f"rectifier {name!r}: no --denoisers entry (rule train_denoiser)")
        extra["denoiser"], meta = load_denoiser(par.denoisers[name], device)
        if extra["denoiser"] is None:
            skipped = meta
    return extra, skipped


def rows_for(clean: dict, index) -> torch.Tensor:  # noqa: F821 (torch imported lazily)
    """Positions in the shared file ``clean`` (its ``index``) of the test-split indices ``index`` (n,); exits naming
    a missing image (the shared file was made for other attacks' images)."""
    import torch

    pos = {int(i): k for k, i in enumerate(clean["index"].tolist())}
    missing = [int(i) for i in index if int(i) not in pos]
    if missing:
        raise SystemExit(f"rectify_clean's file lacks test images {missing[:5]} (rerun rule rectify_clean)")
    return torch.tensor([pos[int(i)] for i in index], dtype=torch.long)


def run(job) -> None:
    fout, par, wc = job.output, job.params, job.wildcards
    timer = runtime.Timer()
    with timer("load"):
        from ..io import save_tensors
        from ..rectifiers import evaluate
        from ._attacked import attacked_clean

        device, model, u = attacked_clean(job)
        print(f"{wc.model}: rectifying the {len(u['index'])} clean images its {len(par.n_evals)} rectified attacks "
              "attack", file=sys.stderr)
    out = {"index": u["index"], "y": u["y"], "label": u["label"]}
    aggregate = {}
    for name, spec in par.rectifiers.items():
        extra, skipped = rectifier_extra(name, spec, par, device)
        if skipped:
            print(f"{name}: skipped ({skipped['skipped']})", file=sys.stderr)
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
                                         "n_evals": par.n_evals, "rectifiers": par.rectifiers})
    timer.report("rectify_clean", model=wc.model, n=len(u["index"]))
