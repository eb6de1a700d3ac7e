# Kao et al. (2021): rectifiers on one attack's successful adversarial examples. One job per
# (dataset, model, attack) runs every rectifier and writes one JSON per rectifier, for the same
# reason as `explain` (job start-up rivals a rectifier's compute on a laptop's few hundred digits).
rule rectify:
    output:
        [f"results/rectify/{{dataset}}/{{model}}/{{attack}}/{r}.json" for r in config["rectifiers"]],
    input:
        model="results/models/{dataset}/{model}/model.safetensors",
        test="results/data/{dataset}/test.safetensors",
        adv="results/attacks/{dataset}/{model}/{attack}.safetensors",
        code=code("stages/rectify.py", "stages/_attacked.py", "rectifiers/__init__.py", "rectifiers/base.py", "rectifiers/filters.py",
                  "stats.py", *sorted({f"rectifiers/{r['method']}.py" for r in config["rectifiers"].values()})),
    params:
        rectifiers=lambda wc: as_json(xcfg.rectifier_specs(config, wc.dataset)),
        batch_size=config["batch_size"],
        n_rectify=lambda wc: config["datasets"][wc.dataset]["n_rectify"] or 0,
        seed=config["seed"],
        device=config["device"],
    log:
        "results/logs/rectify/{dataset}/{model}/{attack}.log",
    threads: config["threads"]
    resources:
        mem_mb=RES["mem_mb"],
        runtime=RES["runtime"],
        gpu=RES["gpu"],
    conda:
        "../../envs/explain.yaml"
    shell:
        "PYTHONPATH=$XAIADV_SRC${{PYTHONPATH:+:$PYTHONPATH}} $XAIADV_PYTHON -m xaiadv rectify --dataset {wildcards.dataset} --model {wildcards.model} --attack {wildcards.attack} "
        "--rectifiers {params.rectifiers:q} --model-file {input.model} --test-split {input.test} --attack-file {input.adv} "
        "--n-rectify {params.n_rectify} --batch-size {params.batch_size} --seed {params.seed} --threads {threads} "
        "--device {params.device} --outputs {output} > {log} 2>&1"
