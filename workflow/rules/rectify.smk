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
        denoisers=lambda wc: list(denoisers(wc.dataset).values()),
        code=code("stages/rectify.py", "stages/_attacked.py", "rectifiers/__init__.py", "rectifiers/base.py", "rectifiers/filters.py",
                  "stats.py", *sorted({f"rectifiers/{r['method']}.py" for r in config["rectifiers"].values()})),
    params:
        rectifiers=lambda wc: as_json(xcfg.rectifier_specs(config, wc.dataset)),
        denoisers=lambda wc: as_json(denoisers(wc.dataset)),
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
        "--denoisers {params.denoisers:q} --n-rectify {params.n_rectify} --batch-size {params.batch_size} --seed {params.seed} --threads {threads} "
        "--device {params.device} --outputs {output} > {log} 2>&1"


# Kao et al. Figures 6-7: the CAM rectifiers over an intensity x percentage grid (heatmaps once per image,
# then repeats x cells forward passes).
rule rectify_grid:
    output:
        "results/rectify/{dataset}/{model}/{attack}/cam_grid.csv",
    input:
        model="results/models/{dataset}/{model}/model.safetensors",
        test="results/data/{dataset}/test.safetensors",
        adv="results/attacks/{dataset}/{model}/{attack}.safetensors",
        code=code("stages/rectify_grid.py", "stages/rectify.py", "stages/_attacked.py", "rectifiers/base.py",
                  "rectifiers/cam.py", "rectifiers/filters.py"),
    params:
        rectifiers=lambda wc: as_json({r: xcfg.rectifier_specs(config, wc.dataset)[r] for r in xcfg.grid_rectifiers(config)}),
        grid=lambda wc: as_json(xcfg.grid_spec(config, wc.dataset)),
        n_rectify=lambda wc: config["datasets"][wc.dataset]["n_rectify"] or 0,
        seed=config["seed"],
        device=config["device"],
    log:
        "results/logs/rectify_grid/{dataset}/{model}/{attack}.log",
    threads: config["threads"]
    resources:
        mem_mb=RES["mem_mb"],
        runtime=RES["runtime"],
        gpu=RES["gpu"],
    conda:
        "../../envs/explain.yaml"
    shell:
        "PYTHONPATH=$XAIADV_SRC${{PYTHONPATH:+:$PYTHONPATH}} $XAIADV_PYTHON -m xaiadv rectify_grid --dataset {wildcards.dataset} --model {wildcards.model} "
        "--attack {wildcards.attack} --rectifiers {params.rectifiers:q} --grid {params.grid:q} --model-file {input.model} "
        "--test-split {input.test} --attack-file {input.adv} --n-rectify {params.n_rectify} --seed {params.seed} "
        "--threads {threads} --device {params.device} --out {output} > {log} 2>&1"
