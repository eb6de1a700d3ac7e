# Kao et al. (2021): rectifiers on one attack's successful adversarial examples. One job per
# (dataset, model, attack) runs every rectifier and writes one JSON per rectifier, for the same
# reason as `explain` (job start-up rivals a rectifier's compute on a laptop's few hundred digits).
rule rectify:
    input:
        model=R("models/{dataset}/{model}/model.safetensors"),
        test=R("data/{dataset}/test.safetensors"),
        adv=R("attacks/{dataset}/{model}/{attack}.safetensors"),
        clean=R("rectify_clean/{dataset}/{model}.safetensors"),
        denoisers=lambda wc: list(denoisers(wc.dataset).values()),
        code=code("rectify", *methods("rectifiers")),
    output:
        files=[R(f"rectify/{{dataset}}/{{model}}/{{attack}}/{r}.json") for r in config["rectifiers"]],
    log:
        R("logs/rectify/{dataset}/{model}/{attack}.log"),
    conda:
        "../../envs/explain.yaml"
    threads: config["threads"]
    resources:
        mem_mb=job_resource("rectify", "mem_mb"),
        runtime=job_resource("rectify", "runtime"),
        gpu=job_resource("rectify", "gpu"),
    params:
        rectifiers=lambda wc: canonical(dag.rectifier_specs(config, wc.dataset)),
        denoisers=lambda wc: canonical(denoisers(wc.dataset)),
        batch=batches,
        n_rectify=lambda wc: config["datasets"][wc.dataset]["n_rectify"] or 0,
        seed=config["seed"],
        device=config["device"],
        deterministic=config["deterministic"],
    script:
        "../scripts/stage.py"


# Beyond Kao et al.: every rectifier on the clean images of a model's rectified attacks, each image once (every image
# they attack, from the config and the model's predictions, not the attacks' outputs; rectify reads its rows).
rule rectify_clean:
    input:
        model=R("models/{dataset}/{model}/model.safetensors"),
        test=R("data/{dataset}/test.safetensors"),
        denoisers=lambda wc: list(denoisers(wc.dataset).values()),
        code=code("rectify_clean", *methods("rectifiers")),
    output:
        tensors=R("rectify_clean/{dataset}/{model}.safetensors"),
    log:
        R("logs/rectify_clean/{dataset}/{model}.log"),
    priority: 50
    conda:
        "../../envs/explain.yaml"
    threads: config["threads"]
    resources:
        mem_mb=job_resource("rectify", "mem_mb"),
        runtime=job_resource("rectify", "runtime"),
        gpu=job_resource("rectify", "gpu"),
    params:
        rectifiers=lambda wc: canonical(dag.rectifier_specs(config, wc.dataset)),
        denoisers=lambda wc: canonical(denoisers(wc.dataset)),
        batch=batches,
        n_evals=lambda wc: [
            dag.attack_n_eval(config, a, d, m)
            for d, m, a in dag.rectification_jobs(config)
            if (d, m) == (wc.dataset, wc.model)
        ],
        seed=config["seed"],
        device=config["device"],
        deterministic=config["deterministic"],
    script:
        "../scripts/stage.py"


# Kao et al. Figures 6-7: the CAM rectifiers over an intensity x percentage grid (heatmaps once per image,
# then repeats x cells forward passes).
rule rectify_grid:
    input:
        model=R("models/{dataset}/{model}/model.safetensors"),
        test=R("data/{dataset}/test.safetensors"),
        adv=R("attacks/{dataset}/{model}/{attack}.safetensors"),
        clean=R("rectify_clean/{dataset}/{model}/cam_grid.safetensors"),
        code=code("rectify_grid"),
    output:
        csv=R("rectify/{dataset}/{model}/{attack}/cam_grid.csv"),
    log:
        R("logs/rectify_grid/{dataset}/{model}/{attack}.log"),
    conda:
        "../../envs/explain.yaml"
    threads: config["threads"]
    resources:
        mem_mb=job_resource("rectify_grid", "mem_mb"),
        runtime=job_resource("rectify_grid", "runtime"),
        gpu=job_resource("rectify_grid", "gpu"),
    params:
        rectifiers=lambda wc: canonical(
            {r: dag.rectifier_specs(config, wc.dataset)[r] for r in dag.grid_rectifiers(config)}
        ),
        grid=lambda wc: canonical(dag.grid_spec(config, wc.dataset)),
        n_rectify=lambda wc: config["datasets"][wc.dataset]["n_rectify"] or 0,
        seed=config["seed"],
        device=config["device"],
        deterministic=config["deterministic"],
    script:
        "../scripts/stage.py"


# The grid's clean images: each image the model's swept attacks attack, once (rectify_grid reads its rows).
rule rectify_grid_clean:
    input:
        model=R("models/{dataset}/{model}/model.safetensors"),
        test=R("data/{dataset}/test.safetensors"),
        code=code("rectify_grid_clean"),
    output:
        tensors=R("rectify_clean/{dataset}/{model}/cam_grid.safetensors"),
    log:
        R("logs/rectify_grid_clean/{dataset}/{model}.log"),
    priority: 50
    conda:
        "../../envs/explain.yaml"
    threads: config["threads"]
    resources:
        mem_mb=job_resource("rectify_grid", "mem_mb"),
        runtime=job_resource("rectify_grid", "runtime"),
        gpu=job_resource("rectify_grid", "gpu"),
    params:
        rectifiers=lambda wc: canonical(
            {r: dag.rectifier_specs(config, wc.dataset)[r] for r in dag.grid_rectifiers(config)}
        ),
        grid=lambda wc: canonical(dag.grid_spec(config, wc.dataset)),
        batch=batches,
        n_evals=lambda wc: [
            dag.attack_n_eval(config, a, d, m) for d, m, a in dag.grid_jobs(config) if (d, m) == (wc.dataset, wc.model)
        ],
        seed=config["seed"],
        device=config["device"],
        deterministic=config["deterministic"],
    script:
        "../scripts/stage.py"


# Beyond Kao et al.: the rectifiers behind Saito & Wang's detector (fitted on the attack's other images).
rule endtoend:
    input:
        explanations=lambda wc: R(
            f"explanations/{wc.dataset}/{wc.model}/{wc.attack}/{dag.endtoend_setup(config)[0]}.parquet"
        ),
        rectified=[R(f"rectify/{{dataset}}/{{model}}/{{attack}}/{r}.json") for r in config["rectifiers"]],
        code=code("endtoend"),
    output:
        json=R("endtoend/{dataset}/{model}/{attack}.json"),
    log:
        R("logs/endtoend/{dataset}/{model}/{attack}.log"),
    conda:
        "../../envs/tables.yaml"
    threads: 1
    resources:
        mem_mb=job_resource("endtoend", "mem_mb"),
        runtime=job_resource("endtoend", "runtime"),
        gpu=job_resource("endtoend", "gpu"),
    params:
        detector_name=lambda wc: dag.endtoend_setup(config)[1],
        detector=lambda wc: canonical(config["detectors"][dag.endtoend_setup(config)[1]]),
        min_images=config["detection"]["min_images"],
        seed=config["seed"],
    script:
        "../scripts/stage.py"
