"""The DAG's axes: which (dataset, model, attack, explainer, ...) combinations a validated config runs.

Pure functions of a config that :func:`xaiadv.config.validate` has checked and filled with defaults. The
workflow (``workflow/rules/common.smk``) expands its rules' wildcards with them; the printed-cell key
check (:mod:`xaiadv.tables.keys`) and the tests read the same axes. Light on imports (none beyond typing).
"""

from __future__ import annotations

from typing import Any


def model_pairs(config: dict) -> list[tuple[str, str]]:
    """``[(dataset, model), ...]`` in config order: the classifiers every stage runs on (not the models
    with ``stages: lan_detection``, on which only Nguyen et al.'s stages run)."""
    return [(m["dataset"], name) for name, m in config["models"].items() if m.get("stages", "all") == "all"]


def lan_models(config: dict) -> list[tuple[str, str]]:
    """``[(dataset, f1 model), ...]`` of Nguyen et al.'s detector (each gets a LAN and a mask classifier)."""
    want = config["lan_detection"]["models"]
    return [(config["models"][m]["dataset"], m) for m in want]


def lan_jobs(config: dict) -> list[tuple[str, str, str, str]]:
    """``[(dataset, f1 model, source model, attack), ...]``: adversarial examples crafted on ``source``
    (f1 itself: Table 1, 2, 4; the transfer source: Table 3) and detected with f1 / g / f2."""
    ld = config["lan_detection"]
    jobs = []
    for d, m in lan_models(config):
        for src in [m, *([ld["transfer"][m]] if m in ld["transfer"] else [])]:
            jobs += [(d, m, src, a) for a in ld["attacks"] if a in attacks_for(config, d)]
    return jobs


def lan_spec(config: dict, section: str, dataset: str) -> dict[str, Any]:
    """``lan_detection.<section>`` (lan, mask_classifier, adaptive) for ``dataset``, overrides merged in."""
    return for_dataset(config["lan_detection"][section], dataset)


def attacks_for(config: dict, dataset: str) -> list[str]:
    """Names of the attacks that run on ``dataset``."""
    return [n for n, a in config["attacks"].items() if not a.get("datasets") or dataset in a["datasets"]]


def explainers_for(config: dict, dataset: str, model: str) -> list[str]:
    """Names of the explainers cached for ``model``: every configured one, except ``lan`` explainers for a model
    without a LAN (one not in ``lan_detection.models``)."""
    has_lan = (dataset, model) in lan_models(config)
    return [n for n, e in config["explainers"].items()
            if (e["method"] != "lan" or has_lan) and e.get("stages", "all") == "all"]


def localization_models(config: dict) -> list[tuple[str, str]]:
    """``[(dataset, model), ...]`` attacked with Göpfert et al.'s localized BIM (``localization.models``)."""
    return [(config["models"][m]["dataset"], m) for m in config["localization"]["models"]]


def localization_explainers(config: dict) -> list[str]:
    """Names of the explainers scored against the localized attacks' regions: the paper's three first, then
    ``localization.explainers`` in config order (no duplicates)."""
    loc = config["localization"]
    return list(dict.fromkeys([*loc["paper_explainers"], *loc["explainers"]]))


def explained_attacks(config: dict, dataset: str) -> list[str]:
    """Names of the attacks whose examples are explained (cached) on ``dataset`` (not those with ``stages:
    heat_and_blur``)."""
    only = config["datasets"][dataset].get("explain_attacks")
    return [a for a in attacks_for(config, dataset) if (only is None or a in only)
            and config["attacks"][a].get("stages", "all") == "all"]


def attack_n_eval(config: dict, attack: str, dataset: str, model: str) -> int:
    """Evaluation images an attack job takes: the model's or data set's ``n_eval``, capped by the attack's own."""
    n = config["models"][model].get("n_eval") or config["datasets"][dataset]["n_eval"]
    cap = attack_spec(config, attack, dataset).get("n_eval")
    return min(n, cap) if cap else n


def heat_blur_spec(config: dict, dataset: str) -> dict[str, Any]:
    """``heat_and_blur`` for ``dataset`` (per_dataset overrides merged in; ``adaptive`` merged key by key)."""
    hb = config["heat_and_blur"]
    spec = {k: v for k, v in hb.items() if k not in ("per_dataset", "attacks", "models")}
    over = dict(hb.get("per_dataset", {}).get(dataset, {}))
    spec["adaptive"] = {**hb["adaptive"], **over.pop("adaptive", {})}
    spec.update(over)
    return spec


def heat_blur_models(config: dict) -> list[tuple[str, str]]:
    """``[(dataset, model), ...]`` that Brama & Grinshpoun's stages run on."""
    want = config["heat_and_blur"]["models"]
    return [(d, m) for d, m in model_pairs(config) if not want or m in want]


def heat_blur_jobs(config: dict) -> list[tuple[str, str, str]]:
    """``[(dataset, model, attack), ...]`` cleaned by Heat and Blur (Fig. 4-5, table)."""
    want = config["heat_and_blur"]["attacks"]
    return [(d, m, a) for d, m in heat_blur_models(config) for a in attacks_for(config, d) if a in want]


def explain_count(config: dict, dataset: str, attack: str) -> int:
    """Attacked samples explained for ``attack`` on ``dataset`` (the first k; 0 = all): the data set's
    ``n_explain``, capped by ``rectification.n_explain`` for attacks that only the rectification stage
    uses (their explanations feed the end-to-end detector, not Saito's tables)."""
    n = config["datasets"][dataset].get("n_explain") or 0
    cap = config["rectification"].get("n_explain")
    if cap and attack in config["rectification"]["attacks"] and attack not in config["detection"]["attacks"]:
        n = min(n, cap) if n else cap
    return n


def for_dataset(entry: dict, dataset: str) -> dict[str, Any]:
    """A config entry (an attack or a rectifier) for ``dataset``: its parameters with its
    ``per_dataset[dataset]`` overrides merged in, without ``per_dataset`` / ``datasets``."""
    spec = {k: v for k, v in entry.items() if k not in ("per_dataset", "datasets")}
    spec.update(entry.get("per_dataset", {}).get(dataset, {}))
    return spec


def attack_spec(config: dict, attack: str, dataset: str) -> dict[str, Any]:
    """The attack's parameters for ``dataset`` (``per_dataset`` overrides merged in)."""
    return for_dataset(config["attacks"][attack], dataset)


def detection_jobs(config: dict) -> list[tuple[str, str, str, str]]:
    """``[(dataset, model, attack, explainer), ...]`` fed to the detectors."""
    det = config["detection"]
    want = det["explainers"] or list(config["explainers"])
    return [(d, m, a, e) for d, m in model_pairs(config) for a in explained_attacks(config, d) if a in det["attacks"]
            for e in explainers_for(config, d, m) if e in want]


def rectification_jobs(config: dict) -> list[tuple[str, str, str]]:
    """``[(dataset, model, attack), ...]`` whose successful adversarial examples are rectified."""
    want = config["rectification"]["attacks"]
    return [(d, m, a) for d, m in model_pairs(config) for a in attacks_for(config, d) if a in want]


def endtoend_setup(config: dict) -> tuple[str, str] | None:
    """``(explainer, detector)`` names for the end-to-end evaluation (defaults: the expected_gradients
    explainer - Saito's SHAP - and the first detector); None when either is missing."""
    e2e = config["rectification"].get("endtoend", {})
    explainer = e2e.get("explainer") or next(
        (n for n, e in config["explainers"].items() if e["method"] == "expected_gradients"), None)
    detector = e2e.get("detector") or next(iter(config["detectors"]), None)
    return (explainer, detector) if explainer and detector else None


def endtoend_jobs(config: dict) -> list[tuple[str, str, str]]:
    """``[(dataset, model, attack), ...]`` rectified and explained: the end-to-end evaluation's jobs."""
    return [(d, m, a) for d, m, a in rectification_jobs(config) if a in explained_attacks(config, d)]


def grid_rectifiers(config: dict) -> list[str]:
    """The CAM rectifiers swept for Kao's Figures 6-7."""
    names = config["rectification"]["grid"].get("rectifiers") or list(config["rectifiers"])
    return [n for n in names if config["rectifiers"][n]["method"] == "cam"]


def grid_spec(config: dict, dataset: str) -> dict[str, Any]:
    """Kao Figures 6-7 grid for ``dataset``: {"attacks", "intensity", "percentage", "repeats"}."""
    spec = for_dataset(config["rectification"]["grid"], dataset)
    spec.pop("rectifiers", None)
    spec.setdefault("attacks", list(config["rectification"]["attacks"]))
    spec.setdefault("repeats", None)
    return spec


def grid_jobs(config: dict) -> list[tuple[str, str, str]]:
    """``[(dataset, model, attack), ...]`` swept over the CAM grid (Kao Figures 6-7)."""
    if not grid_rectifiers(config):
        return []
    return [(d, m, a) for d, m, a in rectification_jobs(config) if a in grid_spec(config, d)["attacks"]]


def rectifier_specs(config: dict, dataset: str) -> dict[str, dict[str, Any]]:
    """Every rectifier's parameters for ``dataset`` (``per_dataset`` overrides merged in)."""
    return {name: for_dataset(r, dataset) for name, r in config["rectifiers"].items()}


def explainer_spec(config: dict, explainer: str) -> dict[str, Any]:
    return dict(config["explainers"][explainer])


# Rules that run a model (GPU-capable: gpu, mem_mb and runtime from config.resources) and the rest
# (config.resources.cpu_rules, gpu 0). A test checks that every rule of the workflow is in one of them.
MODEL_RULES = ("train_classifier", "train_denoiser", "attack", "explain", "rectify", "rectify_grid", "train_lan",
               "train_mask_classifier", "lan_adaptive", "lan_interpretations", "localize_attack", "localize_explain",
               "heat_blur", "heat_blur_adaptive", "leaderboard")
CPU_RULES = ("prepare_dataset", "detect", "endtoend", "lan_detect", "explain_lan", "localize_score", "tables",
             "figure", "summary", "download_weights", "download_data", "leaderboard_table")


def _per_dataset(value, dataset: str | None, where: str):
    if not isinstance(value, dict):
        return value
    if dataset in value:
        return value[dataset]
    if "default" in value:
        return value["default"]
    raise KeyError(f"{where}: no value for data set {dataset!r} and no 'default'")


def rule_resources(config: dict, rule: str, dataset: str | None = None, model: str | None = None) -> dict[str, int]:
    """``{"mem_mb", "runtime", "gpu"}`` of one job of ``rule`` on ``dataset`` / ``model``, from ``config.resources``
    (model rules) or ``resources.cpu_rules``, each value per data set where it is a mapping, then
    ``models.<model>.resources`` (model rules), then ``resources.rules.<rule>``. Raises ``KeyError`` for a rule
    in neither :data:`MODEL_RULES` nor :data:`CPU_RULES` or a per-data-set mapping without the data set."""
    res = config["resources"]
    if rule in MODEL_RULES:
        base = {"mem_mb": res["mem_mb"], "runtime": res["runtime"], "gpu": res["gpu"]}
        if model is not None:
            base.update(config["models"][model].get("resources") or {})
    elif rule in CPU_RULES:
        base = {**res["cpu_rules"], "gpu": 0}
    else:
        raise KeyError(f"rule {rule!r} is in neither dag.MODEL_RULES nor dag.CPU_RULES")
    base.update(res["rules"].get(rule) or {})
    return {k: int(_per_dataset(v, dataset, f"resources ({rule}.{k})")) for k, v in base.items()}


BATCH_DEFAULTS = {"attack": "batch_size", "explain": "batch_size", "rectify": "batch_size"}


def model_batches(config: dict, model: str) -> dict[str, int | None]:
    """Images per pass of ``model`` per stage (``models.<model>.batch``): attack / explain / rectify default to
    ``batch_size``; the others (explain_pass, igos_path, adaptive, lan) stay None (the stage's own rule)."""
    b = dict(config["models"][model].get("batch") or {})
    for k, fallback in BATCH_DEFAULTS.items():
        if b.get(k) is None:
            b[k] = config[fallback]
    return {k: b[k] for k in sorted(b)}
