"""What the stages that work on one attack's output (explain, rectify, rectify_grid) load, which images
they take and how they name outputs."""

from __future__ import annotations

from pathlib import Path

from .. import runtime


def load_attacked(job):
    """``(device, model, x, adv)`` for a stage run on one attack: the torch device (after seeding with
    ``job.params.seed`` on ``job.params.device``, ``job.threads`` threads), the model from ``job.input.model``,
    the clean test images (N, C, H, W) float32 in [0, 1] from ``job.input.test`` up to the last one the attack job
    used (``x[adv["index"]]`` are its clean images), and the attack job's tensors
    from ``job.input.adv`` (see xaiadv.stages.attack)."""
    from ..data import load_split
    from ..io import load_tensors
    from ..models import load_model

    fin, par = job.input, job.params
    device = runtime.setup(par.seed, job.threads, par.device, par.deterministic)
    model = load_model(fin.model, device)
    adv, _ = load_tensors(fin.adv)
    # the test images up to the last attacked one (the attack took the first n_eval), not the whole split
    x, _, _, _ = load_split(fin.test, int(adv["index"].max()) + 1 if len(adv["index"]) else 0)
    return device, model, x, adv


def spec_for_output(out: str, specs: dict, kind: str) -> tuple[str, dict]:
    """``(name, spec)`` of the output file ``out`` named ``<name>.<ext>``; exits naming the file when ``specs``
    (the job's ``params.{kind}s``) has no such entry."""
    name = Path(out).stem
    if name not in specs:
        raise SystemExit(f"output {out}: no {kind} named {name!r} in params.{kind}s")
    return name, specs[name]


def chosen(x, adv: dict, n_rectify: int) -> dict:
    """The images a rectify job works on: the first ``n_rectify`` (0: all) successful adversarial examples of
    the attack job's tensors ``adv`` and their clean versions from the test images ``x`` (N, C, H, W).
    Returns {"x_adv", "x_clean" (n, C, H, W) in [0, 1], "y", "label_adv", "label_clean", "target" (-1 when
    untargeted), "index" (n,) int64 (test-split indices), "sample_id" (n,) (data-set ids, as in the explanation
    cache), "n_successful"}."""
    import torch

    ok = adv["success"].bool()
    sel = torch.nonzero(ok).flatten()
    if n_rectify:
        sel = sel[:n_rectify]
    return {"x_adv": adv["x_adv"][sel], "x_clean": x[adv["index"][sel]], "y": adv["y"][sel],
            "label_adv": adv["pred_adv"][sel], "label_clean": adv["pred_clean"][sel], "target": adv["target"][sel],
            "index": adv["index"][sel],
            "sample_id": adv["ids"][sel],
            "n_successful": int(ok.sum())}


def attacked_clean(job, counts: list[int] | None = None):
    """``(device, model, u)`` for the stages that work once on the clean images of a model's attacks (explain_clean,
    rectify_clean, rectify_grid_clean; issue 18). The attack stage attacks the correctly classified images among the
    first ``n_eval`` test images; attack i of ``job.params.n_evals`` takes the first ``n_evals[i]``, and the stage's
    per-attack jobs the first ``counts[i]`` of those (0 or None: all). ``u`` is their union, each image once, sorted
    by test-split index: {"index", "ids", "y", "label" (the model's prediction, = y)} (N,) int64 and "x" (N, C, H, W)
    in [0, 1]. Decided from the model's predictions alone (batch ``job.params.batch["attack"]``, as the attack stage
    predicts), not from the attacks' outputs: a changed attack reruns none of the shared jobs, nor through them its
    sibling attacks' jobs."""
    import torch

    from ..data import load_split
    from ..models import load_model
    from ..models.train import predict

    fin, par = job.input, job.params
    device = runtime.setup(par.seed, job.threads, par.device, par.deterministic)
    model = load_model(fin.model, device)
    n_evals = list(par.n_evals)
    x, y, ids, _ = load_split(fin.test, max(n_evals, default=0))
    pred = predict(model, x, par.batch["attack"], device)
    keep = torch.nonzero(pred == y).flatten()
    rows: set[int] = set()
    for n_eval, k in zip(n_evals, counts or [0] * len(n_evals)):
        mine = keep[keep < n_eval]
        rows.update((mine[:k] if k else mine).tolist())
    index = torch.tensor(sorted(rows), dtype=torch.long)
    return device, model, {"index": index, "ids": ids[index], "x": x[index], "y": y[index], "label": pred[index]}
