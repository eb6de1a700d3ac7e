"""leaderboard: one defense under one threat model (issue 19) — clean accuracy, FPR, robust accuracy under PGD on
the undefended model (transferred, the papers' attack) and under an adaptive attack written for the defense, the
per-example worst case, AUROC for detectors, ms per image, and the sanity checks; the adaptive examples saved.

Images: the first ``n`` test images (every defense of a data set sees the same ones, misclassified ones
included); a detector is fitted on the next ``n_fit`` (clean and PGD-on-the-undefended-model) and calibrated on
the ``n_calib`` after them, before any attack runs. The transferred examples (PGD on the undefended model, on the
row's images, the eps curve's subset and the detector's fit images) come from rule ``leaderboard_transfer``, one
file every row of a (data set, model) shares."""

from __future__ import annotations

import sys

from .. import runtime


def build_defense(spec: dict, model, device, job, x_fit=None, x_fit_adv=None, x_calib=None):
    """The defense of a resolved leaderboard entry ``spec`` (kind + its components) around ``model``."""
    from ..defenses import defense_class

    kind = spec["kind"]
    if kind == "undefended":
        return defense_class("undefended")(model, device)
    if kind == "adversarial_training":  # the robust reference instead of the model (PGD still transfers from the
        from ..models import load_model  # ranked, undefended model)

        robust = load_model(job.input.defended, device)
        for p in robust.parameters():
            p.requires_grad_(False)
        return defense_class("adversarial_training")(robust, device, name=spec["name"])
    if kind == "rectifier":
        extra = {}
        if spec["rectifier"]["method"] == "dae":
            from ..rectifiers.dae import load_denoiser

            extra["denoiser"], _ = load_denoiser(job.input.denoiser, device)
        if spec["rectifier"]["method"] == "igos" and job.params.batch.get("igos_path"):
            extra["path_batch"] = job.params.batch["igos_path"]
        return defense_class("rectifier")(model, device, spec=spec["rectifier"], extra=extra, name=spec["name"])
    if kind == "saito":
        context = {}
        if spec["explainer"]["method"] == "expected_gradients":  # the explain stage's background, drawn the same way
            from .explain import background

            context["background"] = background(job.input.train, job.input.test, spec["explainer"]["background_size"],
                                               job.params.seed).to(device)
        if spec["explainer"]["method"] == "lan":  # the model's LAN (rule train_lan): the explainer and its surrogate
            from ..explainers.lan import load_lan

            context["lan"] = load_lan(job.input.lan, device)
        d = defense_class("saito")(model, device, explainer=spec["explainer"], detector=spec["detector"], fpr=spec["fpr"],
                                   name=spec["name"], seed=job.params.seed, context=context)
        return d.fit(x_fit, x_fit_adv, x_calib)
    if kind == "lan":
        from ..explainers.lan import load_lan
        from ..models import load_model

        d = defense_class("lan")(model, device, g=load_lan(job.input.lan, device), f2=load_model(job.input.f2, device),
                                 name=spec["name"])
        # every detector at one FPR: the LAN's score thresholded on the same clean calibration images as Saito's
        return d.calibrate(x_calib, spec["fpr"]) if x_calib is not None else d
    if kind == "plugin":  # a class outside the package, fitted / calibrated where it has those methods
        from ..defenses.plugin import build

        return build(spec, model, device, x_fit, x_fit_adv, x_calib, fpr=spec["fpr"])
    if kind == "pipeline":
        det = build_defense({**spec["detector"], "name": spec["detector"]["name"]}, model, device, job, x_fit, x_fit_adv,
                            x_calib)
        rect = build_defense({**spec["rectifier"], "name": spec["rectifier"]["name"]}, model, device, job)
        return defense_class("pipeline")(model, device, detector=det, rectifier=rect, name=spec["name"])
    raise ValueError(f"leaderboard defense {spec.get('name')!r}: unknown kind {kind!r}")


def run(job) -> None:
    fin, fout, par, wc = job.input, job.output, job.params, job.wildcards
    timer = runtime.Timer()
    spec, lb = par.spec, par.leaderboard
    with timer("load"):
        import torch

        from ..data import load_split
        from ..leaderboard.evaluate import evaluate_defense
        from ..io import load_tensors, save_tensors, write_json
        from ..models import load_model

        device = runtime.setup(par.seed, job.threads, par.device, par.deterministic)
        model = load_model(fin.model, device)
        for p in model.parameters():
            p.requires_grad_(False)
        n, n_fit, n_calib = lb["n"], lb["n_fit"], lb["n_calib"]
        from ..defenses.config import SUPERVISED

        detector = spec["kind"] in SUPERVISED
        calibrated = detector or spec["kind"] == "lan"  # every detector thresholded at one FPR
        x_all, y_all, _, _ = load_split(fin.test, n + (n_fit + n_calib if calibrated else 0))
        # the papers' attack, PGD on the undefended model, computed once for every row (rule leaderboard_transfer)
        transfer, _ = load_tensors(fin.transfer)
    with timer("compute"):
        threat = par.threat
        x, y = x_all[:n], y_all[:n]
        fit = {}
        if detector:
            if "x_fit_adv" not in transfer or len(transfer["x_fit_adv"]) != n_fit:
                raise SystemExit(f"{fin.transfer}: no x_fit_adv of {n_fit} images for detector row {spec['name']!r} "
                                 "(rule leaderboard_transfer's params.fit)")
            fit = {"x_fit": x_all[n:n + n_fit].to(device), "x_fit_adv": transfer["x_fit_adv"].to(device),
                   "x_calib": x_all[n + n_fit:n + n_fit + n_calib].to(device)}
        if spec["kind"] == "lan":
            fit = {"x_calib": x_all[n + n_fit:n + n_fit + n_calib].to(device)}
        defense = build_defense(spec, model, device, job, **fit)
        # the attacker's own clean images for the natural start against a detector: the fit images (clean digits)
        pool = (fit["x_fit"], y_all[n:n + n_fit].to(device)) if detector and spec["attack"]["natural_start"] else None
        n_def = min(n, spec.get("n") or n)  # an optimisation-loop rectifier (I-GOS) may rest on fewer, marked
        x, y = x[:n_def].to(device), y[:n_def].to(device)
        x_tr = transfer["x_transfer"][:n_def].to(device)
        k = min(lb["sanity"]["n"], n_def)
        curve_tr = {e: transfer[f"curve_{i}"][:k].to(device) for i, e in enumerate(lb["eps_curve"]) if e > 0}
        res = evaluate_defense(defense, x, y, threat=threat, x_transfer=x_tr, attack=spec["attack"],
                               eps_curve=lb["eps_curve"], x_transfer_curve=curve_tr, sanity_n=k, seed=par.seed,
                               pool=pool)
        x_adv = res.pop("x_adaptive")
        res.update(dataset=wc.dataset, model=wc.model, name=spec["name"], kind=spec["kind"], spec=spec,
                   n_planned=n, small_by_design=n_def < n, paper=spec.get("paper"))
        if calibrated:
            res["n_fit"], res["n_calib"] = (n_fit if detector else None), n_calib
        print(f"{spec['name']}: clean {100 * res['clean_accuracy']['rate']:.1f}%, robust transferred "
              f"{100 * res['robust_transfer']['rate']:.1f}%, adaptive {100 * res['robust_adaptive']['rate']:.1f}% "
              f"(n={n_def}){' UNRELIABLE: ' + '; '.join(res['unreliable']) if res['unreliable'] else ''}", file=sys.stderr)
    with timer("write"):
        write_json(fout.json, res)
        save_tensors(fout.examples, {"x_adv": x_adv.cpu(), "y": y.cpu(), "index": torch.arange(n_def)},
                     {"dataset": wc.dataset, "model": wc.model, "defense": spec["name"], "norm": threat["norm"],
                      "eps": str(threat["eps"])})
    timer.report("leaderboard", model=wc.model, defense=spec["name"], n=n_def)
