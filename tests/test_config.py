import copy
from pathlib import Path

import pytest
import yaml

from xaiadv import config as xcfg
from xaiadv import dag

ROOT = Path(__file__).resolve().parents[1]


def default():
    return yaml.safe_load((ROOT / "config.yaml").read_text())


@pytest.mark.parametrize("name", ["config.yaml", "config/paper.yaml", "config/reference.yaml", "config/imagenet-sample.yaml",
                                  "tests/config/tiny.yaml"])
def test_shipped_configs_validate_and_get_defaults(name):
    cfg = xcfg.load(ROOT / name)
    assert cfg["resources"]["gpu"] in (0, 1)
    for ds in cfg["datasets"].values():
        assert "n_eval" in ds and "n_explain" in ds
    assert dag.model_pairs(cfg)


def test_overlay_adds_cifar10():
    cfg = default()
    over = yaml.safe_load((ROOT / "config/cifar10-local.yaml").read_text())
    from snakemake.utils import update_config  # what Snakemake does with a second --configfile: a deep merge

    update_config(cfg, over)
    xcfg.validate(cfg)
    assert ("cifar10", "cifar10_cnn") in dag.model_pairs(cfg)
    # Nguyen et al. on CIFAR-10: an AlexNet-style f1 and a VGG-like transfer source, on which no other stage runs
    assert ("cifar10", "cifar10_alexnet") in dag.lan_models(cfg)
    assert ("cifar10", "cifar10_alexnet") not in dag.model_pairs(cfg)
    assert dag.heat_blur_spec(cfg, "cifar10")["adaptive"]["eps"] == pytest.approx(0.0314)
    assert {(s, a) for d, m, s, a in dag.lan_jobs(cfg) if d == "cifar10"} == {
        (s, a) for s in ("cifar10_alexnet", "cifar10_vgg") for a in ("fgsm_linf", "jsma", "cw_l2")}
    assert cfg["attacks"]["jsma"]["method"] == "jsma" and "cifar10" in cfg["attacks"]["jsma"]["datasets"]


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (lambda c: c["datasets"].update(svhn={"source": "folder", "path": "x"}),
         "datasets = 'svhn': must be one of mnist, cifar10, imagenet"),
        (lambda c: c["attacks"]["fgsm_linf"].update(method="fgsmm"),
         "attacks.fgsm_linf.method = 'fgsmm': must be one of fgsm, bim, pgd, cw, jsma"),
        (lambda c: c["attacks"]["pgd_linf"].update(eps=-0.1), "attacks.pgd_linf.eps = -0.1"),
        (lambda c: c["models"]["mnist_cnn"].update(arch="lenet"), "models.mnist_cnn.arch = 'lenet': must be one of"),
        (lambda c: c["models"]["mnist_cnn"].update(dataset="cifar10"),
         "models.mnist_cnn.dataset = 'cifar10': not a configured data set"),
        (lambda c: c["attacks"]["bim_l2"].update(stepz=3), "attacks.bim_l2: unknown key 'stepz'"),
        (lambda c: c["attacks"]["fgsm_linf"]["per_dataset"]["imagenet"].update(eps="big"),
         "attacks.fgsm_linf.per_dataset.imagenet: eps = 'big'"),
        (lambda c: c["rectifiers"]["igos"]["per_dataset"]["imagenet"].update(itrations=2),
         "rectifiers.igos.per_dataset.imagenet: unknown key 'itrations' for method 'igos'"),
        (lambda c: c.update(tables=["kao2021_table9"]), "tables.0 = 'kao2021_table9': must be one of"),
        (lambda c: c["explainers"]["saliency"].update(method="limes"), "explainers.saliency.method = 'limes'"),
        (lambda c: c["localization"].update(models=["resnet"]), "localization.models: 'resnet' is not a configured model"),
        (lambda c: c["localization"].update(models=["mnist_cnn"]), "localization.models: 'mnist_cnn' is an MNIST model"),
        (lambda c: c["localization"].update(paper_explainers=["saliency", "guided_backprop", "grad_cam"]),
         "localization.paper_explainers: needs a lime explainer"),
        (lambda c: c["localization"].update(paper_explainers=["saliency_signed", "lime"]),
         "the paper ranks three explainers"),
        (lambda c: c["localization"].update(explainers=["shap"]), "localization.explainers: 'shap' is not a configured explainer"),
        (lambda c: c["localization"].update(explainers=["lan"]), "localization.explainers: 'lan' is a LAN mask"),
        (lambda c: c["localization"]["attack"].update(eps=2.0), "localization.attack.eps = 2.0"),
        (lambda c: c["explainers"].update(extra={"method": "lime", "stages": "localization"}),
         "explainers.extra.stages = 'localization': 'extra' is not in localization.explainers"),
        (lambda c: c["localization"].update(models=[]), "tables: goepfert2019_table1 needs localization.models"),
        (lambda c: c["attacks"]["lbfgs_targeted"].update(target="untargeted"), "lbfgs is a targeted attack"),
        (lambda c: c["heat_and_blur"].update(attacks=["hopskip"]), "heat_and_blur.attacks: 'hopskip' is not a configured attack"),
        (lambda c: c["heat_and_blur"].update(attacks=["cw_l2", "boundary", "lbfgs_targeted"]),
         "attacks.cw_l2_targeted.stages = 'heat_and_blur': 'cw_l2_targeted' is not in heat_and_blur.attacks"),
        (lambda c: c["heat_and_blur"]["per_dataset"]["imagenet"].update(sigmaa=1), "heat_and_blur.per_dataset.imagenet: unknown key 'sigmaa'"),
        (lambda c: c["rectifiers"]["heat_and_blur"].update(k_std=-1), "rectifiers.heat_and_blur.k_std = -1"),
        (lambda c: c["rectification"]["grid"].update(rectifiers=["jpeg"]),
         "rectification.grid.rectifiers: 'jpeg' is not a configured cam rectifier"),
        (lambda c: c["rectification"]["grid"]["per_dataset"]["imagenet"].update(attacks=["jsma"]),
         "rectification.grid.per_dataset.imagenet.attacks: 'jsma' is not in rectification.attacks"),
        (lambda c: c["rectification"].update(endtoend={"detector": "svm"}),
         "rectification.endtoend.detector: 'svm' is not a configured detector"),
        (lambda c: c["datasets"]["imagenet"].update(explain_attacks=["bim"]),
         "datasets.imagenet.explain_attacks: 'bim' is not a configured attack"),
        (lambda c: c["rectifiers"]["dae"].update(width=0), "rectifiers.dae.width = 0"),
        (lambda c: c["lan_detection"].update(models=["alexnet"]),
         "lan_detection.models: 'alexnet' is not a configured model"),
        (lambda c: c["lan_detection"].update(models=["effnet_lite0"]),
         "lan_detection.models: 'effnet_lite0' is an ImageNet model"),
        (lambda c: c["lan_detection"]["transfer"].update(mnist_cnn="effnet_lite0"),
         "lan_detection.transfer.mnist_cnn = 'effnet_lite0': trained on 'imagenet', f1 on 'mnist'"),
        (lambda c: c["lan_detection"].update(transfer={}),
         "models.mnist_vgg.stages = 'lan_detection': 'mnist_vgg' is neither in lan_detection.models"),
        (lambda c: c["lan_detection"].update(attacks=["deepfool"]), "lan_detection.attacks: 'deepfool' is not a configured attack"),
        (lambda c: c["lan_detection"]["lan"].update(hidden=[2000]), "lan_detection.lan.hidden.0 = 2000"),
        (lambda c: c["lan_detection"]["lan"].update(per_dataset={"mnist": {"beta": -1}}),
         "lan_detection.lan.per_dataset.mnist: beta = -1"),
        (lambda c: (c["lan_detection"].update(models=[], transfer={}), c["models"].pop("mnist_vgg")),
         "tables: nguyen2018_table1 needs lan_detection.models and lan_detection.attacks"),
        (lambda c: c["models"]["mnist_vgg"].update(stages="some"), "models.mnist_vgg.stages = 'some': must be one of all, lan_detection"),
    ],
)
def test_bad_values_fail_with_one_line_naming_the_key(mutate, expected):
    cfg = default()
    mutate(cfg)
    with pytest.raises(xcfg.ConfigError) as e:
        xcfg.validate(cfg)
    msg = str(e.value)
    assert expected in msg
    assert "\n" not in msg


def test_attack_spec_merges_per_dataset_overrides():
    cfg = xcfg.validate(default())
    assert dag.attack_spec(cfg, "fgsm_linf", "imagenet")["eps"] == pytest.approx(0.0157)
    assert dag.attack_spec(cfg, "fgsm_linf", "mnist")["eps"] == 0.3
    assert "jsma" in dag.attacks_for(cfg, "mnist") and "jsma" not in dag.attacks_for(cfg, "imagenet")


def test_validation_does_not_change_a_valid_config_twice():
    cfg = xcfg.validate(default())
    again = xcfg.validate(copy.deepcopy(cfg))
    assert again == cfg


def test_nguyen_axes_of_the_default():
    """f1 = the MNIST CNN, its LAN jobs on its own attacks and on the VGG-like transfer source's; the source is
    in no other paper's stage and attacks its own (smaller) n_eval."""
    cfg = xcfg.validate(default())
    assert dag.lan_models(cfg) == [("mnist", "mnist_cnn")]
    assert dag.lan_jobs(cfg) == [("mnist", "mnist_cnn", s, a) for s in ("mnist_cnn", "mnist_vgg")
                                  for a in ("fgsm_linf", "jsma", "cw_l2")]
    assert ("mnist", "mnist_vgg") not in dag.model_pairs(cfg)
    assert dag.lan_spec(cfg, "lan", "mnist")["beta"] == 5.0


def test_goepfert_axes_of_the_default():
    """EfficientNet-Lite0 attacked on its segments; the paper's three explainers first, then the others; the
    localization-only explainers (LIME, signed saliency) in no per-attack cache and no Saito detector."""
    cfg = xcfg.validate(default())
    assert dag.localization_models(cfg) == [("imagenet", "effnet_lite0")]
    names = dag.localization_explainers(cfg)
    assert names[:3] == ["saliency_signed", "guided_backprop", "lime"] and "grad_cam" in names
    for d, m in (("mnist", "mnist_cnn"), ("imagenet", "effnet_lite0")):
        assert "lime" not in dag.explainers_for(cfg, d, m) and "saliency_signed" not in dag.explainers_for(cfg, d, m)
    assert not {e for *_, e in dag.detection_jobs(cfg)} & {"lime", "saliency_signed"}


def test_brama_axes_of_the_default():
    """Heat and Blur on every model's CW / targeted CW / L-BFGS; L-BFGS capped at its own n_eval; the
    heat_and_blur-only attacks are attacked but not explained; per-data-set adaptive budgets."""
    cfg = xcfg.validate(default())
    assert {a for _, _, a in dag.heat_blur_jobs(cfg)} == {"cw_l2", "cw_l2_targeted", "lbfgs_targeted", "boundary"}
    assert dag.attack_n_eval(cfg, "lbfgs_targeted", "mnist", "mnist_cnn") == 40
    assert dag.attack_n_eval(cfg, "boundary", "imagenet", "effnet_lite0") == 6
    assert {a for d, _, a in dag.heat_blur_jobs(cfg) if d == "imagenet"} == {"cw_l2", "boundary"}
    assert dag.attack_n_eval(cfg, "fgsm_linf", "mnist", "mnist_cnn") == cfg["datasets"]["mnist"]["n_eval"]
    assert "lbfgs_targeted" in dag.attacks_for(cfg, "mnist") and "lbfgs_targeted" not in dag.explained_attacks(cfg, "mnist")
    assert dag.heat_blur_spec(cfg, "imagenet")["adaptive"]["eps"] == pytest.approx(0.031)
    assert dag.heat_blur_spec(cfg, "mnist")["adaptive"]["eps"] == pytest.approx(0.3)
    assert dag.heat_blur_spec(cfg, "imagenet")["n_images"] == 12


def test_stage_axes_of_the_default():
    """Which attacks are explained, how many samples, the CAM grid and the end-to-end setup."""
    cfg = xcfg.validate(default())
    assert dag.explained_attacks(cfg, "imagenet") == ["bim_untargeted", "bim_targeted_random", "bim_targeted_second"]
    assert "cw_l2" in dag.explained_attacks(cfg, "mnist")
    assert dag.explain_count(cfg, "mnist", "cw_l2") == 250  # only the end-to-end detector reads it
    assert dag.explain_count(cfg, "mnist", "bim_untargeted") == 300  # Saito's attacks: the data set's n_explain
    assert dag.explain_count(cfg, "imagenet", "bim_untargeted") == 3
    assert dag.grid_rectifiers(cfg) == ["gradcam_gaussian", "gradcam_deletion", "iggradcam_gaussian", "iggradcam_deletion"]
    assert dag.grid_spec(cfg, "imagenet")["attacks"] == ["pgd_linf"] and len(dag.grid_spec(cfg, "mnist")["attacks"]) == 7
    assert [j for j in dag.grid_jobs(cfg) if j[0] == "imagenet"] == [("imagenet", "effnet_lite0", "pgd_linf")]
    assert dag.endtoend_setup(cfg) == ("expected_gradients", "forest")
    assert {d for d, _, _ in dag.endtoend_jobs(cfg)} == {"mnist"}


# --- issue 17: names, keys per method, values against their data set ---------------------------------------

SHELL_NAMES = ["f$(touch /tmp/x)", "a;b", "x y", "`id`", "a|b", "a'b", "a&b", "../a", "a/b"]


@pytest.mark.parametrize("section,entry", [("attacks", {"method": "fgsm", "eps": 0.1}), ("explainers", {"method": "saliency"}),
                                           ("detectors", {"method": "random_forest"}), ("rectifiers", {"method": "jpeg"}),
                                           ("models", {"dataset": "mnist", "arch": "kao_mnist_cnn"})])
@pytest.mark.parametrize("name", SHELL_NAMES)
def test_a_shell_metacharacter_in_any_name_is_refused(section, entry, name):
    cfg = default()
    cfg[section][name] = dict(entry)
    with pytest.raises(xcfg.ConfigError, match=rf"^{section}: name .* must match"):
        xcfg.validate(cfg)


@pytest.mark.parametrize("section,name,key,value", [
    ("attacks", "pgd_linf", "kappa", 0.0), ("rectifiers", "igos", "quality", 50),
    ("rectifiers", "heat_and_blur", "iterations", 3), ("explainers", "saliency", "nsamples", 10),
    ("detectors", "forest", "C", 1.0), ("attacks", "jsma", "norm", "Linf")])
def test_a_key_the_method_does_not_read_is_refused_in_one_line(section, name, key, value):
    cfg = default()
    cfg[section][name][key] = value
    with pytest.raises(xcfg.ConfigError) as e:
        xcfg.validate(cfg)
    msg = str(e.value)
    method = cfg[section][name]["method"]
    assert msg.startswith(f"{section}.{name}: unknown key {key!r} for method {method!r}") and "\n" not in msg


def test_a_key_the_method_does_not_read_is_refused_in_a_per_dataset_override():
    cfg = default()
    cfg["attacks"]["fgsm_linf"]["per_dataset"]["imagenet"]["steps"] = 5
    with pytest.raises(xcfg.ConfigError, match=r"^attacks.fgsm_linf.per_dataset.imagenet: unknown key 'steps' for method 'fgsm'"):
        xcfg.validate(cfg)


def test_train_settings_on_a_pretrained_model_are_refused():
    cfg = default()
    cfg["models"]["effnet_lite0"]["train"] = {"epochs": 3}
    with pytest.raises(xcfg.ConfigError, match=r"^models.effnet_lite0.train: not read"):
        xcfg.validate(cfg)


@pytest.mark.parametrize("target,ok", [(999, True), (1000, False), (5000, False)])
def test_a_class_index_outside_the_data_set_is_refused(target, ok):
    cfg = default()
    cfg["localization"]["target"] = target
    if ok:
        xcfg.validate(cfg)
    else:
        with pytest.raises(xcfg.ConfigError, match=rf"^localization.target = {target}: not a class of 'imagenet'.*0-999"):
            xcfg.validate(cfg)


def test_method_defaults_live_in_the_schema_only():
    """The dispatchers fill a hand-written spec from the method's schema: the same values the config gets."""
    cfg = xcfg.validate(default())
    spec = xcfg.method_spec("attacks", {"method": "pgd", "eps": 0.3})
    assert spec["steps"] == 10 and spec["random_start"] is True and spec["alpha"] is None and spec["norm"] == "Linf"
    assert xcfg.method_spec("explainers", {"method": "integrated_gradients"}) == {
        "method": "integrated_gradients", "n_steps": 32, "internal_batch_size": None}
    assert cfg["explainers"]["saliency"] == {"method": "saliency", "abs": True}
    # no library function repeats a default of a config key: the method entry points take them keyword-only
    import inspect

    from xaiadv.attacks import pgd
    from xaiadv.explainers import integrated_gradients
    from xaiadv.rectifiers import cam

    for fn, keys in ((pgd.attack, ("eps", "alpha", "steps", "norm", "random_start")),
                     (integrated_gradients.explain, ("n_steps", "internal_batch_size")),
                     (cam.rectify, ("intensity", "percentage", "repeats", "n_steps", "blur_kernel", "blur_sigma"))):
        params = inspect.signature(fn).parameters
        for k in keys:
            assert params[k].default is inspect.Parameter.empty, f"{fn.__module__}.{k} repeats a default"
        assert not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()), f"{fn.__module__}: **kwargs"


def test_every_rule_takes_its_resources_from_config():
    """Issue 21: mem_mb / runtime / gpu per rule follow the data set, the model and resources.rules; every rule
    of the workflow is a model rule or a CPU rule (so none falls back to a hard-coded figure)."""
    import re

    from xaiadv import dag

    shares = {"train_robust": "train_classifier",  # adversarial training is classifier training: its resources
              # the shared clean-image and transfer jobs (issue 18) do their per-attack rule's work: its resources
              "explain_clean": "explain", "rectify_clean": "rectify", "rectify_grid_clean": "rectify_grid",
              "leaderboard_transfer": "leaderboard"}
    rules = set()
    for p in (ROOT / "workflow" / "rules").glob("*.smk"):
        text = p.read_text()
        rules |= set(re.findall(r"^rule (\w+):", text, re.M))
        for rule, block in re.findall(r"^rule (\w+):\n((?:    .*\n|\n)*)", text, re.M):
            if "resources:" in block:
                assert f'job_resource("{shares.get(rule, rule)}", "mem_mb")' in block, \
                    f"{p.name}: rule {rule} resources not from config"
    assert rules - {"all", "download"} - set(shares) == set(dag.MODEL_RULES) | set(dag.CPU_RULES)
    cfg = xcfg.validate({**default(), "resources": {
        "gpu": 1, "mem_mb": {"mnist": 3000, "default": 9000}, "runtime": 50,
        "rules": {"rectify": {"runtime": {"mnist": 90, "default": 500}}}}})
    cfg["models"]["mnist_cnn"]["resources"] = {"mem_mb": 5000}
    assert dag.rule_resources(cfg, "attack", "mnist", "mnist_cnn") == {"mem_mb": 5000, "runtime": 50, "gpu": 1}
    assert dag.rule_resources(cfg, "attack", "imagenet", "effnet_lite0") == {"mem_mb": 9000, "runtime": 50, "gpu": 1}
    assert dag.rule_resources(cfg, "rectify", "imagenet", "effnet_lite0")["runtime"] == 500
    assert dag.rule_resources(cfg, "rectify", "mnist", "mnist_cnn")["runtime"] == 90
    assert dag.rule_resources(cfg, "prepare_dataset", "imagenet") == {"mem_mb": 4000, "runtime": 30, "gpu": 0}
    with pytest.raises(xcfg.ConfigError, match="resources.rules.rectfy: not a rule"):
        xcfg.validate({**default(), "resources": {"rules": {"rectfy": {"runtime": 5}}}})
    with pytest.raises(xcfg.ConfigError, match="resources.mem_mb: no value for data set 'cifar10'|'imagenet'"):
        xcfg.validate({**default(), "resources": {"mem_mb": {"mnist": 3000}}})


def test_model_batches_default_to_batch_size_and_leave_training_alone():
    from xaiadv import dag

    cfg = default()
    cfg["models"]["effnet_lite0"]["batch"] = {"igos_path": 96}
    cfg = xcfg.validate(cfg)
    b = dag.model_batches(cfg, "effnet_lite0")
    assert b["igos_path"] == 96 and b["attack"] == b["explain"] == b["rectify"] == cfg["batch_size"]
    assert b["adaptive"] is None
    with pytest.raises(xcfg.ConfigError, match="batch"):
        bad = default()
        bad["models"]["effnet_lite0"]["batch"] = {"igos": 96}
        xcfg.validate(bad)
