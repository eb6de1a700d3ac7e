# Göpfert et al. (2019): a targeted BIM confined to one Felzenszwalb segment per adversarial example (rule
# localize_attack), every explainer's map of it (rule localize_explain, one job per explainer: LIME alone is
# hundreds of model calls per image) and their overlap with the attacked region (rule localize_score).


rule localize_attack:
    input:
        model=R("models/{dataset}/{model}/model.safetensors"),
        test=R("data/{dataset}/test.safetensors"),
        code=code("localize_attack"),
    output:
        tensors=R("localized/{dataset}/{model}/attack.safetensors"),
        summary=R("localized/{dataset}/{model}/attack.json"),
    log:
        R("logs/localize_attack/{dataset}/{model}.log"),
    conda:
        "../../envs/localize.yaml"
    threads: config["threads"]
    resources:
        mem_mb=job_resource("localize_attack", "mem_mb"),
        runtime=job_resource("localize_attack", "runtime"),
        gpu=job_resource("localize_attack", "gpu"),
    params:
        spec=canonical(localization_spec()),
        seed=config["seed"],
        device=config["device"],
        deterministic=config["deterministic"],
    script:
        "../scripts/stage.py"


rule localize_explain:
    input:
        model=R("models/{dataset}/{model}/model.safetensors"),
        adv=R("localized/{dataset}/{model}/attack.safetensors"),
        train=R("data/{dataset}/train.safetensors"),
        test=R("data/{dataset}/test.safetensors"),
        code=lambda wc: code("localize_explain", *methods("explainers", [wc.loc_explainer])),
    output:
        parquet=R("localized/{dataset}/{model}/explanations/{loc_explainer}.parquet"),
    log:
        R("logs/localize_explain/{dataset}/{model}/{loc_explainer}.log"),
    conda:
        "../../envs/localize.yaml"
    threads: config["threads"]
    resources:
        mem_mb=job_resource("localize_explain", "mem_mb"),
        runtime=job_resource("localize_explain", "runtime"),
        gpu=job_resource("localize_explain", "gpu"),
    params:
        spec=lambda wc: canonical(config["explainers"][wc.loc_explainer]),
        batch=batches,
        seed=config["seed"],
        device=config["device"],
        deterministic=config["deterministic"],
    script:
        "../scripts/stage.py"


rule localize_score:
    input:
        adv=R("localized/{dataset}/{model}/attack.safetensors"),
        explanations=lambda wc: [
            R(f"localized/{wc.dataset}/{wc.model}/explanations/{e}.parquet")
            for e in dag.localization_explainers(config)
        ],
        code=code("localize_score"),
    output:
        csv=R("localized/{dataset}/{model}/scores.csv"),
    log:
        R("logs/localize_score/{dataset}/{model}.log"),
    conda:
        "../../envs/tables.yaml"
    threads: 1
    resources:
        mem_mb=job_resource("localize_score", "mem_mb"),
        runtime=job_resource("localize_score", "runtime"),
        gpu=job_resource("localize_score", "gpu"),
    params:
        lime=lambda wc: lime_explainer(),
        max_superpixels=config["localization"]["max_superpixels"],
        seed=config["seed"],
    script:
        "../scripts/stage.py"
