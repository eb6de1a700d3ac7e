"""Stages called the way a rule calls them (xaiadv.stages.run_job with the job's input, output, params,
wildcards, threads and log), and the source files a rule tracks (xaiadv.deps)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from conftest import ROOT

from xaiadv import config as xcfg
from xaiadv import dag
from xaiadv.stages import make_job, run_job


@pytest.fixture()
def attack_job(tmp_path, mnist_model, mnist_small):
    """An attack job of the default config (fgsm_linf on MNIST) on 40 real test digits and the trained CNN."""
    from xaiadv.data.split import Split, save_split
    from xaiadv.models import save_model

    _, _, x, y = mnist_small
    save_model(tmp_path / "model.safetensors", mnist_model, "kao_mnist_cnn", 10)
    codes = (x[:40] * 256).round().clamp(0, 255).to(torch.uint8).numpy()
    save_split(tmp_path / "test.safetensors", Split(codes, y[:40].numpy(), np.arange(40), [str(c) for c in range(10)],
                                                     scale=256.0, source="test"))
    cfg = xcfg.validate(yaml.safe_load((ROOT / "config.yaml").read_text()))
    return make_job(
        "attack",
        input={"model": str(tmp_path / "model.safetensors"), "test": str(tmp_path / "test.safetensors")},
        output={"tensors": str(tmp_path / "adv.safetensors"), "summary": str(tmp_path / "adv.json")},
        params={"spec": dag.attack_spec(cfg, "fgsm_linf", "mnist"), "n_eval": 40, "seed": 0, "device": "cpu",
                "batch": dag.model_batches(cfg, "mnist_cnn"), "deterministic": True},
        wildcards={"dataset": "mnist", "model": "mnist_cnn", "attack": "fgsm_linf"}, threads=1,
        log=[str(tmp_path / "attack.log")])


def test_attack_stage_runs_as_its_rule_does(attack_job, tmp_path):
    run_job(attack_job)
    s = json.loads((tmp_path / "adv.json").read_text())
    assert s["n_eval"] == 40 and 30 <= s["n_attacked"] <= 40 and s["spec"]["eps"] == 0.3
    assert s["success"]["n"] == s["n_attacked"] and s["success"]["rate"] > 0.5  # FGSM at eps 0.3 on MNIST
    log = (tmp_path / "attack.log").read_text()
    assert "TIMING" in log and "fgsm_linf: success" in log
    print("after the job")  # the caller's stdout is back (pytest captures it, not the job's log)
    assert "after the job" not in (tmp_path / "attack.log").read_text()


def test_a_failing_stage_leaves_its_traceback_in_the_log_and_raises(attack_job, tmp_path):
    attack_job.params.spec = {**attack_job.params.spec, "kappa": 1.0}  # not a key of fgsm
    with pytest.raises(xcfg.ConfigError, match="unknown key 'kappa' for method 'fgsm'"):
        run_job(attack_job)
    assert "Traceback" in (tmp_path / "attack.log").read_text()
    assert not (tmp_path / "adv.json").exists()


def test_source_files_follow_imports_within_the_package():
    from xaiadv.deps import modules

    attack = modules("xaiadv.stages.attack", "xaiadv.attacks.pgd")
    assert {"xaiadv.stages", "xaiadv.stages.attack", "xaiadv.attacks", "xaiadv.attacks.base", "xaiadv.attacks.pgd",
            "xaiadv.runtime", "xaiadv.io", "xaiadv.models.registry"} <= set(attack)
    assert not any(m.startswith(("xaiadv.explainers", "xaiadv.rectifiers", "xaiadv.tables")) for m in attack)
    assert "xaiadv.attacks.cw" not in attack  # a method module only where the rule names it
    # imports inside functions count (rectify imports NDCG inside ndcg())
    assert "xaiadv.metrics.ndcg" in modules("xaiadv.stages.rectify")
    with pytest.raises(ValueError, match="not a module"):
        modules("xaiadv.stages.nope")


def test_clean_images_are_rectified_once_for_every_attack(attack_job, tmp_path, mnist_model):
    """rule rectify_clean rectifies every image the model's rectified attacks attack once, decided from the config and
    the model's predictions, not the attacks' outputs (rectify_grid_clean sweeps the CAM grid on them once); each
    rectify (rectify_grid) job reads its images' rows: for a deterministic rectifier (blur) exactly what rectifying that attack's clean images gives, for a
    "mean" rectifier (random deletion) one row of repeats per image; an image missing from the shared file stops the
    job with a message naming the rule to rerun."""
    from xaiadv.io import load_tensors
    from xaiadv.rectifiers import evaluate
    from xaiadv.stages._attacked import chosen

    run_job(attack_job)  # FGSM (L_inf 0.3) on the first 40 digits
    second = attack_job
    second.params.spec = {**attack_job.params.spec, "eps": 0.2}
    second.output.tensors, second.output.summary = str(tmp_path / "adv2.safetensors"), str(tmp_path / "adv2.json")
    run_job(second)
    cfg = xcfg.validate(yaml.safe_load((ROOT / "config.yaml").read_text()))
    specs = {k: v for k, v in dag.rectifier_specs(cfg, "mnist").items() if k in ("blur", "random_deletion", "dae")}
    common = {"model": str(tmp_path / "model.safetensors"), "test": str(tmp_path / "test.safetensors")}
    from xaiadv.rectifiers.dae import DenoisingAutoencoder, save_denoiser

    torch.manual_seed(0)  # an untrained denoiser: a rectifier whose job loads a file of its own (its metadata too)
    save_denoiser(tmp_path / "dae.safetensors", DenoisingAutoencoder(1, 8), {"channels": 1, "width": 8})
    par = {"rectifiers": specs, "denoisers": {"dae": str(tmp_path / "dae.safetensors")},
           "batch": dag.model_batches(cfg, "mnist_cnn"), "n_rectify": 12, "n_evals": [40, 40], "seed": 0, "device": "cpu",
           "deterministic": True}
    advs = [str(tmp_path / "adv.safetensors"), str(tmp_path / "adv2.safetensors")]
    shared = str(tmp_path / "clean.safetensors")
    run_job(make_job("rectify_clean", input=common, output={"tensors": shared}, params=par,
                     wildcards={"dataset": "mnist", "model": "mnist_cnn"}, log=[str(tmp_path / "clean.log")]))
    t, meta = load_tensors(shared)
    from xaiadv.data import load_split

    xt = load_split(str(tmp_path / "test.safetensors"))[0]
    picks = [chosen(xt, load_tensors(a)[0], 12) for a in advs]
    attacked = load_tensors(advs[0])[0]["index"].tolist()  # the correctly classified ones among the first 40
    union = sorted(set(picks[0]["index"].tolist()) | set(picks[1]["index"].tolist()))
    assert t["index"].tolist() == attacked and set(union) <= set(attacked)  # each attacked image once
    assert meta["aggregate"] == {"blur": "vote", "random_deletion": "mean", "dae": "vote"}
    assert t["random_deletion/hits"].shape == (10, len(attacked))
    for k, (a, c) in enumerate(zip(advs, picks)):
        (tmp_path / str(k)).mkdir()
        outs = {r: str(tmp_path / str(k) / f"{r}.json") for r in specs}
        run_job(make_job("rectify", input={**common, "adv": a, "clean": shared}, output={"files": list(outs.values())},
                         params=par, wildcards={"dataset": "mnist", "model": "mnist_cnn", "attack": "fgsm_linf"},
                         log=[str(tmp_path / "rect.log")]))
        row = json.loads(Path(outs["blur"]).read_text())
        direct = evaluate(mnist_model, c["x_clean"], c["label_clean"], c["y"], specs["blur"], progress=False)
        assert row["per_image"]["index"] == c["index"].tolist()
        assert row["per_image"]["clean"] == direct["hits"].float().tolist() and row["clean"]["n"] == len(c["index"])
    # the CAM grid (Kao Figures 6-7): the clean sweep once, each attack's rows read from it
    grid = {**dag.grid_spec(cfg, "mnist"), "intensity": [0.3, 0.7], "percentage": [0.5], "repeats": 2}
    gpar = {"rectifiers": {"gradcam_deletion": dag.rectifier_specs(cfg, "mnist")["gradcam_deletion"]}, "grid": grid,
            "n_rectify": 12, "n_evals": [40], "batch": dag.model_batches(cfg, "mnist_cnn"), "seed": 0, "device": "cpu",
            "deterministic": True}
    gshared = str(tmp_path / "grid_clean.safetensors")
    run_job(make_job("rectify_grid_clean", input=common, output={"tensors": gshared}, params=gpar,
                     wildcards={"dataset": "mnist", "model": "mnist_cnn"}))
    gt, _ = load_tensors(gshared)
    assert gt["index"].tolist() == attacked and gt["gradcam_deletion"].shape == (2, 1, len(attacked))
    run_job(make_job("rectify_grid", input={**common, "adv": advs[1], "clean": gshared},
                     output={"csv": str(tmp_path / "grid.csv")}, params=gpar,
                     wildcards={"dataset": "mnist", "model": "mnist_cnn", "attack": "fgsm_linf"}))
    import pandas as pd

    df = pd.read_csv(tmp_path / "grid.csv")
    clean = df[df.images == "clean"].sort_values("intensity")
    rows = [attacked.index(i) for i in picks[1]["index"].tolist()]
    assert list(clean.n) == [len(rows)] * 2
    assert list(clean.accuracy) == [gt["gradcam_deletion"][i, 0, rows].float().mean().item() for i in range(2)]
    with pytest.raises(SystemExit, match="rerun rule rectify_grid_clean"):  # a grid the shared file was not made for
        run_job(make_job("rectify_grid", input={**common, "adv": advs[1], "clean": gshared},
                         output={"csv": str(tmp_path / "grid2.csv")}, params={**gpar, "grid": {**grid, "repeats": 3}},
                         wildcards={"dataset": "mnist", "model": "mnist_cnn", "attack": "fgsm_linf"}))
    small = str(tmp_path / "clean_small.safetensors")  # a shared file for attacks on the first 10 digits only
    run_job(make_job("rectify_clean", input=common, output={"tensors": small}, params={**par, "n_evals": [10]},
                     wildcards={"dataset": "mnist", "model": "mnist_cnn"}))
    with pytest.raises(SystemExit, match="rerun rule rectify_clean"):
        run_job(make_job("rectify", input={**common, "adv": advs[0], "clean": small}, output={"files": [outs["blur"]]},
                         params=par, wildcards={"dataset": "mnist", "model": "mnist_cnn", "attack": "fgsm_linf"}))


def test_clean_explanations_are_computed_once_for_every_attack(attack_job, tmp_path):
    """rule explain_clean explains the union of the explained attacks' clean images once (from the config's counts and
    the model's predictions); an explain job with that
    cache copies its clean rows and explains only its adversarial examples: for a deterministic explainer (saliency)
    the file is the one the job writes without the shared cache, row for row."""
    from xaiadv.cache import read_explanations

    run_job(attack_job)
    second = attack_job
    second.params.spec = {**attack_job.params.spec, "eps": 0.2}
    second.output.tensors, second.output.summary = str(tmp_path / "adv2.safetensors"), str(tmp_path / "adv2.json")
    run_job(second)
    cfg = xcfg.validate(yaml.safe_load((ROOT / "config.yaml").read_text()))
    common = {"model": str(tmp_path / "model.safetensors"), "test": str(tmp_path / "test.safetensors"),
              "train": str(tmp_path / "test.safetensors")}
    par = {"explainers": {"saliency": {"method": "saliency"}}, "batch": dag.model_batches(cfg, "mnist_cnn"), "seed": 0,
           "device": "cpu", "deterministic": True}
    advs = [str(tmp_path / "adv.safetensors"), str(tmp_path / "adv2.safetensors")]
    (tmp_path / "clean").mkdir()
    shared = str(tmp_path / "clean" / "saliency.parquet")
    run_job(make_job("explain_clean", input=common, output={"files": [shared]},
                     params={**par, "counts": [10, 25], "n_evals": [40, 40]}, wildcards={"dataset": "mnist", "model": "mnist_cnn"}))
    frame, _, _ = read_explanations(shared)
    assert (frame.variant == "clean").all() and frame.sample_id.is_unique and len(frame) >= 25
    for k, clean in enumerate(([shared], None)):
        (tmp_path / str(k)).mkdir()
        inp = {**common, "adv": advs[1]} | ({"clean": clean} if clean else {})
        run_job(make_job("explain", input=inp, output={"files": [str(tmp_path / str(k) / "saliency.parquet")]},
                         params={**par, "n_explain": 25}, wildcards={"dataset": "mnist", "model": "mnist_cnn",
                                                                       "attack": "fgsm_linf"}))
    with_shared, without = (read_explanations(tmp_path / str(k) / "saliency.parquet") for k in (0, 1))
    assert with_shared[0].equals(without[0]) and len(without[0]) == 50
    np.testing.assert_allclose(with_shared[1], without[1], rtol=1e-5, atol=1e-7)
    with pytest.raises(SystemExit, match="rerun rule explain_clean"):  # more images than the shared cache holds
        run_job(make_job("explain", input={**common, "adv": advs[0], "clean": [shared]},
                         output={"files": [str(tmp_path / "0" / "saliency.parquet")]}, params={**par, "n_explain": 0},
                         wildcards={"dataset": "mnist", "model": "mnist_cnn", "attack": "fgsm_linf"}))
