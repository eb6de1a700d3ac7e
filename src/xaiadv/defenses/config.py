"""The ``leaderboard`` config section resolved for the workflow: which jobs run and what each job's defense is.

Names only, no torch (the Snakefile imports this when it builds the DAG)."""

from __future__ import annotations

from typing import Any

from ..config import ConfigError, for_dataset
from . import SURROGATE_EXPLAINERS

SUPERVISED = ("saito", "pipeline", "plugin")  # kinds fitted or calibrated on images outside the evaluated set


def models(config: dict) -> list[tuple[str, str]]:
    """(dataset, model) pairs ranked: ``leaderboard.models`` (none when no defense is configured)."""
    lb = config.get("leaderboard") or {}
    if not lb.get("defenses"):
        return []
    out = []
    for m in lb.get("models") or []:
        if m not in config["models"]:
            raise ConfigError(f"leaderboard.models: {m!r} is not a model; models: {', '.join(config['models'])}")
        d = config["models"][m]["dataset"]
        if d not in lb["threat_models"]:
            raise ConfigError(f"leaderboard.threat_models: no threat model for {d!r} (model {m!r})")
        out.append((d, m))
    return out


def jobs(config: dict) -> list[tuple[str, str, str]]:
    """(dataset, model, defense) of every leaderboard job; every defense is resolved once here, so a bad
    reference fails before any job runs. A defense that needs a LAN (:func:`uses_lan`) runs only on the models with
    one (``lan_detection.models``)."""
    out = []
    lan_models = set((config.get("lan_detection") or {}).get("models") or [])
    for d, m in models(config):
        for name in config["leaderboard"]["defenses"]:
            spec = defense_spec(config, d, name)
            if uses_lan(spec) and m not in lan_models:
                continue  # a LAN exists only for the models it is trained for (lan_detection.models)
            out.append((d, m, name))
    return out


def uses_lan(spec: dict) -> bool:
    """Whether the resolved defense ``spec`` needs the model's LAN (rule train_lan): Nguyen et al.'s detector, a
    Saito detector on LAN masks, or a pipeline with either."""
    if spec["kind"] == "pipeline":
        return uses_lan(spec["detector"])
    return spec["kind"] == "lan" or (spec["kind"] == "saito" and spec["explainer"]["method"] == "lan")


def fits_detector(config: dict, dataset: str, model: str) -> bool:
    """Whether a leaderboard job of (``dataset``, ``model``) fits a detector (a kind in ``SUPERVISED``): then rule
    leaderboard_transfer also attacks the ``n_fit`` detector fit images."""
    return any(defense_spec(config, d, name)["kind"] in SUPERVISED for d, m, name in jobs(config)
               if (d, m) == (dataset, model))


def threat(config: dict, dataset: str) -> dict[str, Any]:
    """The threat model of ``dataset`` with its eps curve (default: 0, 1/4, 1/2, 3/4 of the budget, the budget,
    and four times it, capped at 1 for L_inf: the point beyond the budget for the unbounded check, where any
    working attack wins on almost every image; at twice CIFAR-10's 8/255 an adversarially trained CNN kept 2 of 10
    images, which is robustness, not a broken attack)."""
    t = dict(config["leaderboard"]["threat_models"][dataset])
    eps = t["eps"]
    if "eps_curve" not in t:
        beyond = min(4 * eps, 1.0) if t["norm"] == "Linf" else 4 * eps
        t["eps_curve"] = [0.0, eps / 4, eps / 2, 3 * eps / 4, eps, beyond]
    return t


def attack_for(config: dict, name: str) -> dict[str, Any]:
    """The attack ensemble of defense ``name``: ``leaderboard.attack`` with the entry's own ``attack`` keys over it
    (``apgd`` merged key by key)."""
    lb = config["leaderboard"]
    base, own = dict(lb.get("attack") or {}), dict(lb["defenses"][name].get("attack") or {})
    apgd = {**(base.get("apgd") or {}), **(own.pop("apgd", None) or {})}
    return {**base, **own, **({"apgd": apgd} if apgd else {})}


def defense_spec(config: dict, dataset: str, name: str) -> dict[str, Any]:
    """The resolved entry ``leaderboard.defenses.<name>`` for ``dataset``: ``kind``, ``name``, ``n``, ``paper``
    (the claim for ``dataset``: the entry's string, or its mapping's value for ``dataset``, else None) and its
    components (``rectifier``: the rectifier's parameters; ``explainer`` / ``detector``: theirs; ``pipeline``: the
    two resolved defenses). Raises :class:`ConfigError` naming the key for a reference to an
    entry that does not exist or a key the kind does not read."""
    lb = config["leaderboard"]
    if name not in lb["defenses"]:
        raise ConfigError(f"leaderboard.defenses: no defense {name!r}; defenses: {', '.join(lb['defenses'])}")
    e = lb["defenses"][name]
    kind = e["kind"]
    reads = {"undefended": set(), "adversarial_training": {"train"}, "rectifier": {"rectifier"}, "saito": {"explainer", "detector"}, "lan": set(),
             "pipeline": {"detector", "rectifier"}, "plugin": {"class"}}[kind]
    extra = set(e) - reads - {"kind", "n", "paper", "attack"} - ({"params"} if kind == "plugin" else set())
    if extra:
        raise ConfigError(f"leaderboard.defenses.{name}: {', '.join(sorted(extra))} not read by kind {kind!r}")
    missing = reads - set(e)
    if missing:
        raise ConfigError(f"leaderboard.defenses.{name}: kind {kind!r} needs {', '.join(sorted(missing))}")
    paper = e.get("paper")
    if isinstance(paper, dict):  # per data set: a claim is printed only beside rows of the data set it was made on
        paper = paper.get(dataset)
    out = {"kind": kind, "name": name, "n": e.get("n"), "paper": paper, "attack": attack_for(config, name)}

    def ref(section, key):
        v = e[key]
        if v not in config[section]:
            raise ConfigError(f"leaderboard.defenses.{name}.{key}: {v!r} is not in {section}; "
                              f"{section}: {', '.join(config[section])}")
        return v

    if kind == "adversarial_training":  # at the data set's threat model unless the entry says otherwise
        t = lb["threat_models"][dataset]
        tr = dict(e["train"])
        out["train"] = {**tr, "eps": tr.get("eps") or t["eps"], "norm": tr.get("norm") or t["norm"]}
    elif kind == "rectifier":
        r = ref("rectifiers", "rectifier")
        out["rectifier"] = {k: v for k, v in for_dataset(config["rectifiers"][r], dataset).items()
                            if k not in ("stages", "datasets")}
        out["rectifier_name"] = r
    elif kind == "saito":
        ex, det = ref("explainers", "explainer"), ref("detectors", "detector")
        method = config["explainers"][ex]["method"]
        if method not in SURROGATE_EXPLAINERS:
            raise ConfigError(f"leaderboard.defenses.{name}.explainer: {ex!r} ({method}) has no differentiable "
                              f"surrogate for the adaptive attack; allowed methods: {', '.join(SURROGATE_EXPLAINERS)}")
        if method == "expected_gradients" and config["explainers"][ex].get("layer"):
            raise ConfigError(f"leaderboard.defenses.{name}.explainer: {ex!r} explains at a layer; the surrogate "
                              f"attributes to the pixels (an expected_gradients entry without layer)")
        if method == "lrp" and config["explainers"][ex].get("first_rule", "zplus") != "zplus":
            raise ConfigError(f"leaderboard.defenses.{name}.explainer: {ex!r} uses first_rule "
                              f"{config['explainers'][ex]['first_rule']!r}; the LRP surrogate propagates z+ only")
        out["explainer"] = {k: v for k, v in config["explainers"][ex].items() if k not in ("stages", "datasets")}
        out["detector"] = dict(config["detectors"][det])
        out["fpr"] = lb["fpr"]
    elif kind == "lan":  # thresholded on its score at the common FPR
        out["fpr"] = lb["fpr"]
    elif kind == "plugin":  # a class outside the package (xaiadv.defenses.plugin); its params checked by its schema
        from .plugin import load_class, validate_params

        where = f"leaderboard.defenses.{name}"
        cls = load_class(e["class"], where)
        out["class"], out["params"] = e["class"], dict(e.get("params") or {})
        validate_params(cls, out["params"], where)
        out["fpr"] = lb["fpr"]
    elif kind == "pipeline":
        d_name, r_name = e["detector"], e["rectifier"]
        for key, v in (("detector", d_name), ("rectifier", r_name)):
            if v not in lb["defenses"]:
                raise ConfigError(f"leaderboard.defenses.{name}.{key}: {v!r} is not a leaderboard defense")
        out["detector"] = defense_spec(config, dataset, d_name)
        out["rectifier"] = defense_spec(config, dataset, r_name)
        if out["detector"]["kind"] not in ("saito", "lan") or out["rectifier"]["kind"] != "rectifier":
            raise ConfigError(f"leaderboard.defenses.{name}: a pipeline is a detector (saito, lan) then a rectifier")
    return out
