# Göpfert et al. (2019): a targeted BIM confined to one Felzenszwalb segment per adversarial example (rule
# localize_attack), every explainer's map of it (rule localize_explain, one job per explainer: LIME alone is
# hundreds of model calls per image) and their overlap with the attacked region (rule localize_score).

rule localize_attack:
    output:
        tensors=R("localized/{dataset}/{model}/attack.safetensors"),
        summary=R("localized/{dataset}/{model}/attack.json"),
    input:
        model=R("models/{dataset}/{model}/model.safetensors"),
        test=R("data/{dataset}/test.safetensors"),
        code=code("stages/localize_attack.py", "attacks/localized_bim.py", "localization/segments.py", "stats.py"),
    params:
        spec=as_json(localization_spec()),
        seed=config["seed"],
        device=config["device"],
    log:
        R("logs/localize_attack/{dataset}/{model}.log"),
    threads: config["threads"]
    resources:
        mem_mb=RES["mem_mb"],
        runtime=RES["runtime"],
        gpu=RES["gpu"],
    conda:
        "../../envs/localize.yaml"
    shell:
        "PYTHONPATH=$XAIADV_SRC${{PYTHONPATH:+:$PYTHONPATH}} $XAIADV_PYTHON -m xaiadv localize_attack --dataset {wildcards.dataset} "
        "--model {wildcards.model} --spec {params.spec:q} --model-file {input.model} --test-split {input.test} "
        "--seed {params.seed} --threads {threads} --device {params.device} --out-tensors {output.tensors} "
        "--out-summary {output.summary} > {log} 2>&1"


rule localize_explain:
    output:
        R("localized/{dataset}/{model}/explanations/{loc_explainer}.parquet"),
    input:
        model=R("models/{dataset}/{model}/model.safetensors"),
        adv=R("localized/{dataset}/{model}/attack.safetensors"),
        train=R("data/{dataset}/train.safetensors"),
        test=R("data/{dataset}/test.safetensors"),
        code=lambda wc: code("stages/localize_explain.py", "stages/explain.py", "cache.py", "explainers/base.py",
                             "explainers/layers.py", f"explainers/{config['explainers'][wc.loc_explainer]['method']}.py"),
    params:
        spec=lambda wc: as_json(config["explainers"][wc.loc_explainer]),
        batch_size=config["batch_size"],
        seed=config["seed"],
        device=config["device"],
    log:
        R("logs/localize_explain/{dataset}/{model}/{loc_explainer}.log"),
    threads: config["threads"]
    resources:
        mem_mb=RES["mem_mb"],
        runtime=RES["runtime"],
        gpu=RES["gpu"],
    conda:
        "../../envs/localize.yaml"
    shell:
        "PYTHONPATH=$XAIADV_SRC${{PYTHONPATH:+:$PYTHONPATH}} $XAIADV_PYTHON -m xaiadv localize_explain --dataset {wildcards.dataset} "
        "--model {wildcards.model} --explainer {wildcards.loc_explainer} --spec {params.spec:q} --model-file {input.model} "
        "--attack-file {input.adv} --train-split {input.train} --test-split {input.test} --batch-size {params.batch_size} "
        "--seed {params.seed} --threads {threads} --device {params.device} --out {output} > {log} 2>&1"


rule localize_score:
    output:
        R("localized/{dataset}/{model}/scores.csv"),
    input:
        adv=R("localized/{dataset}/{model}/attack.safetensors"),
        explanations=lambda wc: [R(f"localized/{wc.dataset}/{wc.model}/explanations/{e}.parquet")
                                 for e in xcfg.localization_explainers(config)],
        code=code("stages/localize_score.py", "localization/metrics.py", "cache.py"),
    params:
        lime=lambda wc: lime_explainer(),
        max_superpixels=config["localization"]["max_superpixels"],
        seed=config["seed"],
    log:
        R("logs/localize_score/{dataset}/{model}.log"),
    threads: 1
    resources:
        mem_mb=RES["mem_mb"],
        runtime=RES["runtime"],
        gpu=0,
    conda:
        "../../envs/tables.yaml"
    shell:
        "PYTHONPATH=$XAIADV_SRC${{PYTHONPATH:+:$PYTHONPATH}} $XAIADV_PYTHON -m xaiadv localize_score --attack-file {input.adv} "
        "--explanations {input.explanations} --lime {params.lime} --max-superpixels {params.max_superpixels} "
        "--seed {params.seed} --out {output} > {log} 2>&1"
