# One job per (dataset, model, attack) computes every configured explainer and
# writes one Parquet file per explainer: on a 2-core CPU a job's start-up
# (interpreter + torch + captum imports, ~2.5 s) rivals an explainer's compute
# on a few hundred images, so a job per explainer would spend most of the
# default run importing. Downstream rules still depend on one explainer's file.
rule explain:
    output:
        [R(f"explanations/{{dataset}}/{{model}}/{{attack}}/{e}.parquet") for e in PIXEL_EXPLAINERS],
    input:
        model=R("models/{dataset}/{model}/model.safetensors"),
        test=R("data/{dataset}/test.safetensors"),
        train=R("data/{dataset}/train.safetensors"),
        adv=R("attacks/{dataset}/{model}/{attack}.safetensors"),
        code=code("stages/explain.py", "stages/_attacked.py", "cache.py", "explainers/base.py", "explainers/layers.py",
                  *sorted({f"explainers/{e['method']}.py" for e in PIXEL_EXPLAINERS.values()})),
    params:
        explainers=as_json(PIXEL_EXPLAINERS),
        batch_size=config["batch_size"],
        n_explain=lambda wc: xcfg.explain_count(config, wc.dataset, wc.attack),
        seed=config["seed"],
        device=config["device"],
    log:
        R("logs/explain/{dataset}/{model}/{attack}.log"),
    threads: config["threads"]
    resources:
        mem_mb=RES["mem_mb"],
        runtime=RES["runtime"],
        gpu=RES["gpu"],
    conda:
        "../../envs/explain.yaml"
    shell:
        "PYTHONPATH=$XAIADV_SRC${{PYTHONPATH:+:$PYTHONPATH}} $XAIADV_PYTHON -m xaiadv explain --dataset {wildcards.dataset} --model {wildcards.model} --attack {wildcards.attack} "
        "--explainers {params.explainers:q} --model-file {input.model} --test-split {input.test} --train-split {input.train} "
        "--attack-file {input.adv} --n-explain {params.n_explain} --batch-size {params.batch_size} --seed {params.seed} --threads {threads} "
        "--device {params.device} --outputs {output} > {log} 2>&1"


# Nguyen et al.'s LAN masks (1 - A) in the same cache: one job per (data set, model with a LAN, attack) and lan
# explainer, so Saito & Wang's detectors read them like any explainer's maps.
rule explain_lan:
    output:
        R("explanations/{dataset}/{model}/{attack}/{lan_explainer}.parquet"),
    input:
        model=R("models/{dataset}/{model}/model.safetensors"),
        lan=R("models/{dataset}/{model}/lan.safetensors"),
        test=R("data/{dataset}/test.safetensors"),
        train=R("data/{dataset}/train.safetensors"),
        adv=R("attacks/{dataset}/{model}/{attack}.safetensors"),
        code=code("stages/explain.py", "stages/_attacked.py", "cache.py", "explainers/base.py", "explainers/lan.py"),
    params:
        explainers=lambda wc: as_json({wc.lan_explainer: LAN_EXPLAINERS[wc.lan_explainer]}),
        n_explain=lambda wc: xcfg.explain_count(config, wc.dataset, wc.attack),
        batch_size=config["batch_size"],
        seed=config["seed"],
    log:
        R("logs/explain_lan/{dataset}/{model}/{attack}/{lan_explainer}.log"),
    threads: 1
    resources:
        mem_mb=RES["mem_mb"],
        runtime=RES["runtime"],
        gpu=0,
    conda:
        "../../envs/explain.yaml"
    shell:
        "PYTHONPATH=$XAIADV_SRC${{PYTHONPATH:+:$PYTHONPATH}} $XAIADV_PYTHON -m xaiadv explain --dataset {wildcards.dataset} --model {wildcards.model} --attack {wildcards.attack} "
        "--explainers {params.explainers:q} --model-file {input.model} --lan-file {input.lan} --test-split {input.test} "
        "--train-split {input.train} --attack-file {input.adv} --n-explain {params.n_explain} --batch-size {params.batch_size} "
        "--seed {params.seed} --threads {threads} --device cpu --outputs {output} > {log} 2>&1"
