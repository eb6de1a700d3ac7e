# Kao et al. (2021): rectifiers on one attack's successful adversarial examples. One job per
# (dataset, model, attack) runs every rectifier and writes one JSON per rectifier, for the same
# reason as `explain` (job start-up rivals a rectifier's compute on a laptop's few hundred digits).
rule rectify:
    output:
        [R(f"rectify/{{dataset}}/{{model}}/{{attack}}/{r}.json") for r in config["rectifiers"]],
    input:
        model=R("models/{dataset}/{model}/model.safetensors"),
        test=R("data/{dataset}/test.safetensors"),
        adv=R("attacks/{dataset}/{model}/{attack}.safetensors"),
        denoisers=lambda wc: list(denoisers(wc.dataset).values()),
        code=code("stages/rectify.py", "stages/_attacked.py", "rectifiers/__init__.py", "rectifiers/base.py", "rectifiers/filters.py",
                  "stats.py", "metrics/ndcg.py", *sorted({f"rectifiers/{r['method']}.py" for r in config["rectifiers"].values()}),
                  *(["explainers/lrp.py"] if any(r["method"] == "heat_and_blur" for r in config["rectifiers"].values()) else [])),
    params:
        rectifiers=lambda wc: as_json(xcfg.rectifier_specs(config, wc.dataset)),
        denoisers=lambda wc: as_json(denoisers(wc.dataset)),
        batch_size=config["batch_size"],
        n_rectify=lambda wc: config["datasets"][wc.dataset]["n_rectify"] or 0,
        seed=config["seed"],
        device=config["device"],
    log:
        R("logs/rectify/{dataset}/{model}/{attack}.log"),
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
        R("rectify/{dataset}/{model}/{attack}/cam_grid.csv"),
    input:
        model=R("models/{dataset}/{model}/model.safetensors"),
        test=R("data/{dataset}/test.safetensors"),
        adv=R("attacks/{dataset}/{model}/{attack}.safetensors"),
        code=code("stages/rectify_grid.py", "stages/_attacked.py", "rectifiers/base.py",
                  "rectifiers/cam.py", "rectifiers/filters.py"),
    params:
        rectifiers=lambda wc: as_json({r: xcfg.rectifier_specs(config, wc.dataset)[r] for r in xcfg.grid_rectifiers(config)}),
        grid=lambda wc: as_json(xcfg.grid_spec(config, wc.dataset)),
        n_rectify=lambda wc: config["datasets"][wc.dataset]["n_rectify"] or 0,
        seed=config["seed"],
        device=config["device"],
    log:
        R("logs/rectify_grid/{dataset}/{model}/{attack}.log"),
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


# Beyond Kao et al.: the rectifiers behind Saito & Wang's detector (fitted on the attack's other images).
rule endtoend:
    output:
        R("endtoend/{dataset}/{model}/{attack}.json"),
    input:
        explanations=lambda wc: R(f"explanations/{wc.dataset}/{wc.model}/{wc.attack}/{xcfg.endtoend_setup(config)[0]}.parquet"),
        rectified=[R(f"rectify/{{dataset}}/{{model}}/{{attack}}/{r}.json") for r in config["rectifiers"]],
        code=code("stages/endtoend.py", "endtoend.py", "cache.py", "stats.py", "detectors/features.py", "detectors/models.py"),
    params:
        detector_name=lambda wc: xcfg.endtoend_setup(config)[1],
        detector=lambda wc: as_json(config["detectors"][xcfg.endtoend_setup(config)[1]]),
        min_images=config["detection"]["min_images"],
        seed=config["seed"],
    log:
        R("logs/endtoend/{dataset}/{model}/{attack}.log"),
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
        gpu=0,
    conda:
        "../../envs/tables.yaml"
    shell:
        "PYTHONPATH=$XAIADV_SRC${{PYTHONPATH:+:$PYTHONPATH}} $XAIADV_PYTHON -m xaiadv endtoend --explanations {input.explanations} "
        "--rectified {input.rectified} --detector-name {params.detector_name} --detector {params.detector:q} "
        "--min-images {params.min_images} --seed {params.seed} --out {output} > {log} 2>&1"
