# Brama & Grinshpoun (2020): Heat and Blur on each attack's successful adversarial examples (sigma sweep, NDCG;
# rule heat_blur) and adaptive attacks on it (rule heat_blur_adaptive). Heat and Blur is also a rectifier
# (rectifiers: method heat_and_blur), so it fills a row of Kao's Table II through rule rectify.

rule heat_blur:
    output:
        R("heat_blur/{dataset}/{model}/{attack}.json"),
    input:
        model=R("models/{dataset}/{model}/model.safetensors"),
        test=R("data/{dataset}/test.safetensors"),
        adv=R("attacks/{dataset}/{model}/{attack}.safetensors"),
        code=code("stages/heat_blur.py", "stages/_attacked.py", "rectifiers/heat_and_blur.py", "rectifiers/filters.py",
                  "explainers/lrp.py", "metrics/ndcg.py", "stats.py"),
    params:
        spec=lambda wc: as_json(xcfg.heat_blur_spec(config, wc.dataset)),
        n_images=lambda wc: xcfg.heat_blur_spec(config, wc.dataset)["n_images"],
        batch_size=config["batch_size"],
        seed=config["seed"],
        device=config["device"],
    log:
        R("logs/heat_blur/{dataset}/{model}/{attack}.log"),
    threads: config["threads"]
    resources:
        mem_mb=RES["mem_mb"],
        runtime=RES["runtime"],
        gpu=RES["gpu"],
    conda:
        "../../envs/explain.yaml"
    shell:
        "PYTHONPATH=$XAIADV_SRC${{PYTHONPATH:+:$PYTHONPATH}} $XAIADV_PYTHON -m xaiadv heat_blur --dataset {wildcards.dataset} "
        "--model {wildcards.model} --attack {wildcards.attack} --spec {params.spec:q} --model-file {input.model} "
        "--test-split {input.test} --attack-file {input.adv} --n-images {params.n_images} --batch-size {params.batch_size} "
        "--seed {params.seed} --threads {threads} --device {params.device} --out {output} > {log} 2>&1"


rule heat_blur_adaptive:
    output:
        R("heat_blur/{dataset}/{model}/adaptive.json"),
    input:
        model=R("models/{dataset}/{model}/model.safetensors"),
        test=R("data/{dataset}/test.safetensors"),
        code=code("stages/heat_blur_adaptive.py", "attacks/heat_blur_adaptive.py", "attacks/base.py",
                  "rectifiers/heat_and_blur.py", "rectifiers/filters.py", "explainers/lrp.py", "stats.py"),
    params:
        spec=lambda wc: as_json({**xcfg.heat_blur_spec(config, wc.dataset)["adaptive"],
                                 **{k: xcfg.heat_blur_spec(config, wc.dataset)[k] for k in ("sigma", "k_std", "absolute", "first_rule")}}),
        seed=config["seed"],
        device=config["device"],
    log:
        R("logs/heat_blur_adaptive/{dataset}/{model}.log"),
    threads: config["threads"]
    resources:
        mem_mb=RES["mem_mb"],
        runtime=RES["runtime"],
        gpu=RES["gpu"],
    conda:
        "../../envs/explain.yaml"
    shell:
        "PYTHONPATH=$XAIADV_SRC${{PYTHONPATH:+:$PYTHONPATH}} $XAIADV_PYTHON -m xaiadv heat_blur_adaptive --dataset {wildcards.dataset} "
        "--model {wildcards.model} --spec {params.spec:q} --model-file {input.model} --test-split {input.test} "
        "--seed {params.seed} --threads {threads} --device {params.device} --out {output} > {log} 2>&1"
