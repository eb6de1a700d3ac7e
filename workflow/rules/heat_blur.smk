# Brama & Grinshpoun (2020): Heat and Blur on each attack's successful adversarial examples (sigma sweep, NDCG;
# rule heat_blur) and adaptive attacks on it (rule heat_blur_adaptive). Heat and Blur is also a rectifier
# (rectifiers: method heat_and_blur), so it fills a row of Kao's Table II through rule rectify.


rule heat_blur:
    input:
        model=R("models/{dataset}/{model}/model.safetensors"),
        test=R("data/{dataset}/test.safetensors"),
        adv=R("attacks/{dataset}/{model}/{attack}.safetensors"),
        code=code("heat_blur"),
    output:
        json=R("heat_blur/{dataset}/{model}/{attack}.json"),
    log:
        R("logs/heat_blur/{dataset}/{model}/{attack}.log"),
    conda:
        "../../envs/explain.yaml"
    threads: config["threads"]
    resources:
        mem_mb=job_resource("heat_blur", "mem_mb"),
        runtime=job_resource("heat_blur", "runtime"),
        gpu=job_resource("heat_blur", "gpu"),
    params:
        spec=lambda wc: canonical(dag.heat_blur_spec(config, wc.dataset)),
        n_images=lambda wc: dag.heat_blur_spec(config, wc.dataset)["n_images"],
        batch=batches,
        seed=config["seed"],
        device=config["device"],
        deterministic=config["deterministic"],
    script:
        "../scripts/stage.py"


rule heat_blur_adaptive:
    input:
        model=R("models/{dataset}/{model}/model.safetensors"),
        test=R("data/{dataset}/test.safetensors"),
        code=code("heat_blur_adaptive"),
    output:
        json=R("heat_blur/{dataset}/{model}/adaptive.json"),
    log:
        R("logs/heat_blur_adaptive/{dataset}/{model}.log"),
    conda:
        "../../envs/explain.yaml"
    threads: config["threads"]
    resources:
        mem_mb=job_resource("heat_blur_adaptive", "mem_mb"),
        runtime=job_resource("heat_blur_adaptive", "runtime"),
        gpu=job_resource("heat_blur_adaptive", "gpu"),
    params:
        batch=batches,
        spec=lambda wc: canonical(heat_blur_adaptive_spec(wc.dataset)),
        seed=config["seed"],
        device=config["device"],
        deterministic=config["deterministic"],
    script:
        "../scripts/stage.py"
