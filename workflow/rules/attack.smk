rule attack:
    input:
        model=R("models/{dataset}/{model}/model.safetensors"),
        test=R("data/{dataset}/test.safetensors"),
        code=lambda wc: code("attack", *methods("attacks", [wc.attack])),
    output:
        tensors=R("attacks/{dataset}/{model}/{attack}.safetensors"),
        summary=R("attacks/{dataset}/{model}/{attack}.json"),
    log:
        R("logs/attack/{dataset}/{model}/{attack}.log"),
    conda:
        "../../envs/torch.yaml"
    threads: config["threads"]
    resources:
        mem_mb=job_resource("attack", "mem_mb"),
        runtime=job_resource("attack", "runtime"),
        gpu=job_resource("attack", "gpu"),
    params:
        spec=lambda wc: canonical(dag.attack_spec(config, wc.attack, wc.dataset)),
        n_eval=lambda wc: dag.attack_n_eval(config, wc.attack, wc.dataset, wc.model),
        batch=batches,
        seed=config["seed"],
        device=config["device"],
        deterministic=config["deterministic"],
    script:
        "../scripts/stage.py"
