# One job per (dataset, model, attack) computes every configured explainer and
# writes one Parquet file per explainer: on a 2-core CPU a job's start-up
# (interpreter + torch + captum imports, ~2.5 s) rivals an explainer's compute
# on a few hundred images, so a job per explainer would spend most of the
# default run importing. Downstream rules still depend on one explainer's file.
rule explain:
    input:
        model=R("models/{dataset}/{model}/model.safetensors"),
        test=R("data/{dataset}/test.safetensors"),
        train=R("data/{dataset}/train.safetensors"),
        adv=R("attacks/{dataset}/{model}/{attack}.safetensors"),
        clean=[R(f"explanations_clean/{{dataset}}/{{model}}/{e}.parquet") for e in PIXEL_EXPLAINERS],
        code=code("explain", *methods("explainers", PIXEL_EXPLAINERS)),
    output:
        files=[R(f"explanations/{{dataset}}/{{model}}/{{attack}}/{e}.parquet") for e in PIXEL_EXPLAINERS],
    log:
        R("logs/explain/{dataset}/{model}/{attack}.log"),
    conda:
        "../../envs/explain.yaml"
    threads: config["threads"]
    resources:
        mem_mb=job_resource("explain", "mem_mb"),
        runtime=job_resource("explain", "runtime"),
        gpu=job_resource("explain", "gpu"),
    params:
        explainers=canonical(PIXEL_EXPLAINERS),
        batch=batches,
        n_explain=lambda wc: dag.explain_count(config, wc.dataset, wc.attack),
        seed=config["seed"],
        device=config["device"],
        deterministic=config["deterministic"],
    script:
        "../scripts/stage.py"


# The clean rows of every explained attack's cache, each clean image explained once per model (explain copies its rows);
# the images follow from the config and the model's predictions, not from the attacks' outputs (no attack reruns it).
rule explain_clean:
    input:
        model=R("models/{dataset}/{model}/model.safetensors"),
        test=R("data/{dataset}/test.safetensors"),
        train=R("data/{dataset}/train.safetensors"),
        code=code("explain_clean", *methods("explainers", PIXEL_EXPLAINERS)),
    output:
        files=[R(f"explanations_clean/{{dataset}}/{{model}}/{e}.parquet") for e in PIXEL_EXPLAINERS],
    log:
        R("logs/explain_clean/{dataset}/{model}.log"),
    conda:
        "../../envs/explain.yaml"
    threads: config["threads"]
    resources:
        mem_mb=job_resource("explain", "mem_mb"),
        runtime=job_resource("explain", "runtime"),
        gpu=job_resource("explain", "gpu"),
    params:
        explainers=canonical(PIXEL_EXPLAINERS),
        n_evals=lambda wc: [
            dag.attack_n_eval(config, a, wc.dataset, wc.model) for a in dag.explained_attacks(config, wc.dataset)
        ],
        counts=lambda wc: [dag.explain_count(config, wc.dataset, a) for a in dag.explained_attacks(config, wc.dataset)],
        batch=batches,
        seed=config["seed"],
        device=config["device"],
        deterministic=config["deterministic"],
    script:
        "../scripts/stage.py"


# Nguyen et al.'s LAN masks (1 - A) in the same cache: one job per (data set, model with a LAN, attack) and lan
# explainer, so Saito & Wang's detectors read them like any explainer's maps.
rule explain_lan:
    input:
        model=R("models/{dataset}/{model}/model.safetensors"),
        lan=R("models/{dataset}/{model}/lan.safetensors"),
        test=R("data/{dataset}/test.safetensors"),
        train=R("data/{dataset}/train.safetensors"),
        adv=R("attacks/{dataset}/{model}/{attack}.safetensors"),
        code=code("explain", "explainers.lan"),
    output:
        files=[R("explanations/{dataset}/{model}/{attack}/{lan_explainer}.parquet")],
    log:
        R("logs/explain_lan/{dataset}/{model}/{attack}/{lan_explainer}.log"),
    conda:
        "../../envs/explain.yaml"
    threads: 1
    resources:
        mem_mb=job_resource("explain_lan", "mem_mb"),
        runtime=job_resource("explain_lan", "runtime"),
        gpu=job_resource("explain_lan", "gpu"),
    params:
        explainers=lambda wc: canonical({wc.lan_explainer: LAN_EXPLAINERS[wc.lan_explainer]}),
        n_explain=lambda wc: dag.explain_count(config, wc.dataset, wc.attack),
        batch=batches,
        seed=config["seed"],
        device="cpu",
        deterministic=config["deterministic"],
    script:
        "../scripts/stage.py"
