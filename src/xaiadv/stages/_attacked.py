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
