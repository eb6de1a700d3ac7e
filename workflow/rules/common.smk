# Helpers, validation and wildcard constraints shared by every rule.
import sys
from pathlib import Path

sys.path.insert(0, str(Path(workflow.basedir) / "src"))

from xaiadv import config as xcfg  # light: yaml + jsonschema only
from xaiadv import dag
from xaiadv.data.prepare import torchvision_root  # light: numpy only
from xaiadv.deps import source_files
import xaiadv.defenses.config as lbconf  # names only, no torch
from xaiadv.tables import CAPTIONS, CLAIMS_GAPS, FIGURES, PAPERS, TABLES, paper_of  # names only, no pandas

try:
    xcfg.validate(config, Path(workflow.basedir) / "workflow" / "schemas" / "config.schema.yaml")
except xcfg.ConfigError as e:
    sys.exit(f"config error: {e}")

# One output root per config (config key results_dir, default "results"): two configs run in one
# checkout never write over each other's files.
OUT = str(Path(config["results_dir"]))
PKG = Path(workflow.basedir) / "src" / "xaiadv"
# the committed gap experiments (docs/results/gaps/*.csv) some claims of the ledger are judged on
GAPS_DIR = Path(workflow.basedir) / "docs" / "results" / "gaps"


def R(path):
    """``path`` under this config's output root (``results_dir``)."""
    return f"{OUT}/{path}"


wildcard_constraints:
    dataset="|".join(config["datasets"]),
    model="[A-Za-z0-9_\-]+",
    arch="resnet50|inception_v3|vgg19",
    attack="[A-Za-z0-9_\-]+",
    source="[A-Za-z0-9_\-]+",
    explainer="[A-Za-z0-9_\-]+",
    table="|".join(TABLES),  # not "summary": that job writes <results_dir>/tables/summary.csv
    figure="|".join(FIGURES),
    rectifier="|".join(config["rectifiers"]) or "-",
    lan_explainer="|".join(n for n, e in config["explainers"].items() if e["method"] == "lan") or "-",
    loc_explainer=("|".join(dag.localization_explainers(config)) if config["localization"]["models"] else "-"),


def job_resource(rule, key):
    """``key`` (mem_mb, runtime, gpu) of a job of ``rule``, from config (xaiadv.dag.rule_resources: per data set,
    model and rule); a retried job asks for ``attempt`` times the memory."""

    def value(wildcards, attempt):
        v = dag.rule_resources(config, rule, wildcards.get("dataset"), wildcards.get("model"))[key]
        return v * attempt if key == "mem_mb" else v

    return value


def weights_download(model):
    """The download_weights output a model's train_classifier job reads ([] unless it has torchvision weights)."""
    m = config["models"][model]
    return [R(f"downloads/weights/{m['arch']}.json")] if m.get("pretrained") == "torchvision" else []


def data_download(dataset):
    """The download_data output a data set's prepare_dataset job reads ([] unless torchvision with download)."""
    d = config["datasets"][dataset]
    return [R(f"downloads/data/{dataset}.json")] if d["source"] == "torchvision" and d.get("download") else []


def download_targets():
    """Everything the config needs from the internet: pretrained torchvision weights and torchvision data sets."""
    return sorted({p for m in config["models"] for p in weights_download(m)}) + sorted(
        {p for d in config["datasets"] for p in data_download(d)}
    )


def model_spec(model):
    """What train_classifier reads of a model's entry: not its resources or per-stage batches (changing them
    must not retrain it)."""
    return {k: v for k, v in config["models"][model].items() if k not in ("resources", "batch")}


def batches(wildcards):
    """Images per pass of the job's model per stage (xaiadv.dag.model_batches)."""
    return dag.model_batches(config, wildcards.model)


def canonical(obj):
    """``obj`` with every mapping's keys sorted, recursively: a stage that iterates a mapping (the CAM grid's
    rectifiers, the detectors, the summary's tables) sees one order, whatever the config's key order, so
    reordering config entries changes no number (seeds follow the iteration order)."""
    if isinstance(obj, dict):
        return {k: canonical(obj[k]) for k in sorted(obj)}
    if isinstance(obj, (list, tuple)):
        return [canonical(v) for v in obj]
    return obj


def code(stage, *modules):
    """The package's source files that a job of ``stage`` runs, as inputs (Snakemake does not track imports):
    the stage module and everything it imports within xaiadv, plus ``modules`` it loads by name (a method's
    module, e.g. "attacks.pgd") and theirs. Editing one of them reruns exactly the jobs that import it."""
    return source_files(f"xaiadv.stages.{stage}", *(f"xaiadv.{m}" for m in modules))


def methods(section, names=None):
    """The modules (e.g. "explainers.saliency") of the methods of the entries ``names`` of ``section``
    (attacks, explainers, rectifiers; default: every entry)."""
    entries = config[section]
    return sorted({f"{section}.{entries[n]['method']}" for n in (entries if names is None else names)})


def data_spec(dataset):
    """What prepare_dataset reads of a data set's entry: not the per-stage counts (changing n_rectify or
    explain_attacks must not re-prepare the data and so rerun everything)."""
    stage_keys = ("n_eval", "n_explain", "n_rectify", "explain_attacks")
    return {k: v for k, v in config["datasets"][dataset].items() if k not in stage_keys}


def all_attack_jobs():
    return [(d, m, a) for d, m in dag.model_pairs(config) for a in dag.attacks_for(config, d)]


def all_explanations():
    return [
        R(f"explanations/{d}/{m}/{a}/{e}.parquet")
        for d, m in dag.model_pairs(config)
        for a in dag.explained_attacks(config, d)
        for e in dag.explainers_for(config, d, m)
    ]


def all_tables():
    tables = [t for t in config["tables"] if t not in FIGURES]
    figures = [t for t in config["tables"] if t in FIGURES]
    return (
        expand(R("tables/{table}.{ext}"), table=tables, ext=["csv", "md"])
        + expand(R("figures/{figure}.png"), figure=figures)
        + ([R("tables/summary.csv"), R("report/summary.rst"), R("CLAIMS.md")] if tables else [])
        + (
            [
                R("tables/leaderboard.csv"),
                R("tables/leaderboard.md"),
                R("tables/leaderboard.json"),
                R("figures/leaderboard.png"),
            ]
            if lbconf.jobs(config)
            else []
        )
    )


def summary_inputs():
    return {t: R(f"tables/{t}.csv") for t in config["tables"] if t not in FIGURES}


def claims_gaps():
    """The gap experiments' CSVs the claims ledger reads (those committed in this checkout)."""
    return [str(p) for p in (GAPS_DIR / f"{g}.csv" for g in CLAIMS_GAPS) if p.exists()]


def report_category(name):
    """Report category of a table or figure: its paper."""
    return PAPERS.get(paper_of(name), paper_of(name))


def caption(name):
    """{paper, what, deviations} of a table or figure, for its report caption."""
    key, what, deviations = CAPTIONS.get(name, (paper_of(name), name, []))
    return {"paper": PAPERS.get(key, key), "what": what, "deviations": deviations}


def denoisers(dataset):
    """{dae rectifier: its denoiser file} for ``dataset`` (made by train_denoiser)."""
    return {
        r: R(f"models/{dataset}/denoisers/{r}.safetensors")
        for r, spec in config["rectifiers"].items()
        if spec["method"] == "dae"
    }


# the explain job computes every explainer but the LAN (explain_lan: it needs the model's trained LAN)
PIXEL_EXPLAINERS = {
    n: e for n, e in config["explainers"].items() if e["method"] != "lan" and e.get("stages", "all") == "all"
}
LAN_EXPLAINERS = {n: e for n, e in config["explainers"].items() if e["method"] == "lan"}


def localization_spec():
    """What localize_attack reads of the localization section (not the explainer lists: adding an explainer
    must not rerun the attack)."""
    loc = config["localization"]
    return {k: loc[k] for k in ("n_images", "target", "segmentation", "attack")}


def lime_explainer():
    return next(n for n in config["localization"]["paper_explainers"] if config["explainers"][n]["method"] == "lime")


def localization_scores():
    return {(d, m): R(f"localized/{d}/{m}/scores.csv") for d, m in dag.localization_models(config)}


def shap_explainer():
    return next(n for n, e in config["explainers"].items() if e["method"] == "expected_gradients")


def heat_blur_adaptive_spec(dataset):
    """heat_and_blur.adaptive for ``dataset`` plus the defense's own parameters (sigma, k_std, ...)."""
    spec = dag.heat_blur_spec(config, dataset)
    return {**spec["adaptive"], **{k: spec[k] for k in ("sigma", "k_std", "absolute", "first_rule")}}


def item_files(items):
    """The files of table / figure items (keys..., path, ...): every entry under this config's output root."""
    return [p for item in items for p in item if isinstance(p, str) and p.startswith(f"{OUT}/")]


def figure_items(figure):
    if figure == "saito2020_fig2":
        e = shap_explainer()
        return [
            [d, m, a, R(f"explanations/{d}/{m}/{a}/{e}.parquet")]
            for d, m in dag.model_pairs(config)
            for a in dag.explained_attacks(config, d)
            if a in config["detection"]["attacks"]
        ]
    if figure == "nguyen2018_fig3":
        return [[d, m, a, R(f"lan/{d}/{m}/{s}/{a}.safetensors")] for d, m, s, a in dag.lan_jobs(config) if s == m]
    if figure == "goepfert2019_fig4":
        return [[d, m, p] for (d, m), p in localization_scores().items()]
    if figure == "goepfert2019_fig3":
        return [
            [
                d,
                m,
                R(f"localized/{d}/{m}/attack.safetensors"),
                p,
                *[R(f"localized/{d}/{m}/explanations/{e}.parquet") for e in config["localization"]["paper_explainers"]],
            ]
            for (d, m), p in localization_scores().items()
        ]
    if figure in ("brama2020_fig4", "brama2020_fig5"):
        return [[d, m, a, R(f"heat_blur/{d}/{m}/{a}.json")] for d, m, a in dag.heat_blur_jobs(config)]
    if figure in ("kao2021_fig6", "kao2021_fig7"):
        return [[d, m, a, R(f"rectify/{d}/{m}/{a}/cam_grid.csv")] for d, m, a in dag.grid_jobs(config)]
    raise ValueError(f"unknown figure {figure!r}")


def table_items(table):
    """(keys..., path) per table row, in config order."""
    if table == "kao2021_table1":
        return [[d, m, R(f"models/{d}/{m}/metrics.json")] for d, m in dag.model_pairs(config)]
    if table == "saito2020_table1":
        return [[d, m, a, R(f"attacks/{d}/{m}/{a}.json")] for d, m, a in all_attack_jobs()]
    if table == "kao2021_table2":
        return [
            [d, m, a, r, R(f"rectify/{d}/{m}/{a}/{r}.json")]
            for d, m, a in dag.rectification_jobs(config)
            for r in config["rectifiers"]
        ]
    if table == "kao2021_endtoend":
        return [[d, m, a, R(f"endtoend/{d}/{m}/{a}.json")] for d, m, a in dag.endtoend_jobs(config)]
    if table == "saito2020_table2":
        return [[d, m, a, e, R(f"detection/{d}/{m}/{a}/{e}.json")] for d, m, a, e in dag.detection_jobs(config)]
    if table in ("nguyen2018_table1", "nguyen2018_table2", "nguyen2018_table4"):
        # Table 4 also takes the transfer rows (the paper: "exactly the same results for AlexNet and VGG-like")
        return [
            [d, m, s, a, R(f"lan/{d}/{m}/{s}/{a}.json")]
            for d, m, s, a in dag.lan_jobs(config)
            if s == m or table == "nguyen2018_table4"
        ]
    if table == "nguyen2018_table3":
        return [[d, m, s, a, R(f"lan/{d}/{m}/{s}/{a}.json")] for d, m, s, a in dag.lan_jobs(config) if s != m]
    if table == "nguyen2018_models":
        return [[d, m, R(f"models/{d}/{m}/lan_f2.json")] for d, m in dag.lan_models(config)]
    if table == "nguyen2018_interpretations":
        return [[d, m, R(f"lan/{d}/{m}/interpretations.json")] for d, m in dag.lan_models(config)]
    if table == "nguyen2018_adaptive":
        return [[d, m, R(f"lan/{d}/{m}/adaptive.json")] for d, m in dag.lan_models(config)]
    if table in ("goepfert2019_table1", "goepfert2019_leaderboard"):
        names = ",".join(config["localization"]["paper_explainers"])
        return [[d, m, names, R(f"localized/{d}/{m}/attack.json"), p] for (d, m), p in localization_scores().items()]
    if table == "brama2020_table":
        return [[d, m, a, R(f"heat_blur/{d}/{m}/{a}.json")] for d, m, a in dag.heat_blur_jobs(config)]
    if table == "brama2020_adaptive":
        return [[d, m, R(f"heat_blur/{d}/{m}/adaptive.json")] for d, m in dag.heat_blur_models(config)]
    raise ValueError(f"unknown table {table!r}")


def leaderboard_inputs(wc):
    """What a leaderboard job reads beyond the model and test split: the adversarially trained model, a DAE rectifier's
    denoiser, the LAN (Nguyen et al.'s detector, a Saito detector on LAN masks) and its mask classifier (the defense's
    components, a pipeline's included)."""
    spec = lbconf.defense_spec(config, wc.dataset, wc.defense)
    parts = [spec] + ([spec["detector"], spec["rectifier"]] if spec["kind"] == "pipeline" else [])
    out = {}
    for p in parts:
        if p["kind"] == "saito" and p["explainer"]["method"] == "expected_gradients":
            out["train"] = R(f"data/{wc.dataset}/train.safetensors")  # its background images
        if p["kind"] == "adversarial_training":
            out["defended"] = R(f"models/{wc.dataset}/{wc.model}/robust/{p['name']}.safetensors")
        if p["kind"] == "rectifier" and p["rectifier"]["method"] == "dae":
            out["denoiser"] = R(f"models/{wc.dataset}/denoisers/{p['rectifier_name']}.safetensors")
        if lbconf.uses_lan(p):
            out["lan"] = R(f"models/{wc.dataset}/{wc.model}/lan.safetensors")
        if p["kind"] == "lan":
            out["f2"] = R(f"models/{wc.dataset}/{wc.model}/lan_f2.safetensors")
        if p["kind"] == "plugin":  # its own source: editing it reruns its rows
            from xaiadv.defenses.plugin import module_path

            src = module_path(p["class"])
            if src is not None:
                out["plugin"] = src
    return out


def leaderboard_modules():
    """The modules the leaderboard jobs load by name: the defense kinds' modules, PGD, the rectifiers and
    explainers of its defenses."""
    lb = config.get("leaderboard") or {}
    rect = sorted({e["rectifier"] for e in (lb.get("defenses") or {}).values() if e["kind"] == "rectifier"})
    expl = sorted({e["explainer"] for e in (lb.get("defenses") or {}).values() if e["kind"] == "saito"})
    from xaiadv.defenses import KINDS

    kinds = {e["kind"] for e in (lb.get("defenses") or {}).values()} | {"undefended"}
    by_name = {f"defenses.{KINDS[k].split('.')[0]}" for k in kinds}  # defense_class imports them by name
    return [
        *sorted(by_name),
        "attacks.pgd",  # the transferred attack (PGD on the undefended model)
        *(methods("rectifiers", rect) if rect else []),
        *(methods("explainers", expl) if expl else []),
    ]


def leaderboard_params(dataset):
    """What a leaderboard job reads of the section beyond its defense and threat model."""
    lb = config["leaderboard"]
    return {k: lb[k] for k in ("n", "n_fit", "n_calib", "transfer", "sanity")} | {
        "eps_curve": lbconf.threat(config, dataset)["eps_curve"]
    }
