# Nguyen et al. (2018): a Latent Attention Network g per classifier f1, a mask classifier f2 on g's masks,
# the detector (f1 != f2(g(x))) on attacks crafted on f1 or on a transfer source, and an adaptive attack.


rule train_lan:
    input:
        model=R("models/{dataset}/{model}/model.safetensors"),
        train=R("data/{dataset}/train.safetensors"),
        code=code("train_lan"),
    output:
        model=R("models/{dataset}/{model}/lan.safetensors"),
        metrics=R("models/{dataset}/{model}/lan.json"),
    log:
        R("logs/train_lan/{dataset}/{model}.log"),
    conda:
        "../../envs/torch.yaml"
    threads: config["threads"]
    resources:
        mem_mb=job_resource("train_lan", "mem_mb"),
        runtime=job_resource("train_lan", "runtime"),
        gpu=job_resource("train_lan", "gpu"),
    params:
        spec=lambda wc: canonical(dag.lan_spec(config, "lan", wc.dataset)),
        seed=config["seed"],
        device=config["device"],
        deterministic=config["deterministic"],
    script:
        "../scripts/stage.py"


rule train_mask_classifier:
    input:
        model=R("models/{dataset}/{model}/model.safetensors"),
        lan=R("models/{dataset}/{model}/lan.safetensors"),
        train=R("data/{dataset}/train.safetensors"),
        test=R("data/{dataset}/test.safetensors"),
        code=code("train_mask_classifier"),
    output:
        model=R("models/{dataset}/{model}/lan_f2.safetensors"),
        metrics=R("models/{dataset}/{model}/lan_f2.json"),
    log:
        R("logs/train_mask_classifier/{dataset}/{model}.log"),
    conda:
        "../../envs/torch.yaml"
    threads: config["threads"]
    resources:
        mem_mb=job_resource("train_mask_classifier", "mem_mb"),
        runtime=job_resource("train_mask_classifier", "runtime"),
        gpu=job_resource("train_mask_classifier", "gpu"),
    params:
        spec=lambda wc: canonical(dag.lan_spec(config, "mask_classifier", wc.dataset)),
        seed=config["seed"],
        device=config["device"],
        deterministic=config["deterministic"],
    script:
        "../scripts/stage.py"


# One job per (f1, source, attack): source = f1 (Tables 1, 2, 4) or its transfer source (Table 3).
rule lan_detect:
    input:
        model=R("models/{dataset}/{model}/model.safetensors"),
        lan=R("models/{dataset}/{model}/lan.safetensors"),
        f2=R("models/{dataset}/{model}/lan_f2.safetensors"),
        test=R("data/{dataset}/test.safetensors"),
        adv=R("attacks/{dataset}/{source}/{attack}.safetensors"),
        code=code("lan_detect"),
    output:
        json=R("lan/{dataset}/{model}/{source}/{attack}.json"),
        examples=R("lan/{dataset}/{model}/{source}/{attack}.safetensors"),
    log:
        R("logs/lan_detect/{dataset}/{model}/{source}/{attack}.log"),
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=job_resource("lan_detect", "mem_mb"),
        runtime=job_resource("lan_detect", "runtime"),
        gpu=job_resource("lan_detect", "gpu"),
    params:
        batch=batches,
        n_detect=config["lan_detection"]["n_detect"] or 0,
        fpr=config["lan_detection"]["fpr"],
        seed=config["seed"],
        device="cpu",
        deterministic=config["deterministic"],
    script:
        "../scripts/stage.py"


rule lan_adaptive:
    input:
        model=R("models/{dataset}/{model}/model.safetensors"),
        lan=R("models/{dataset}/{model}/lan.safetensors"),
        f2=R("models/{dataset}/{model}/lan_f2.safetensors"),
        test=R("data/{dataset}/test.safetensors"),
        code=code("lan_adaptive"),
    output:
        json=R("lan/{dataset}/{model}/adaptive.json"),
    log:
        R("logs/lan_adaptive/{dataset}/{model}.log"),
    conda:
        "../../envs/torch.yaml"
    threads: config["threads"]
    resources:
        mem_mb=job_resource("lan_adaptive", "mem_mb"),
        runtime=job_resource("lan_adaptive", "runtime"),
        gpu=job_resource("lan_adaptive", "gpu"),
    params:
        batch=batches,
        spec=lambda wc: canonical(dag.lan_spec(config, "adaptive", wc.dataset)),
        seed=config["seed"],
        device=config["device"],
        deterministic=config["deterministic"],
    script:
        "../scripts/stage.py"


# Beyond the paper: the same detector with f2 trained on other explainers' maps (which interpretation rises best).
rule lan_interpretations:
    input:
        model=R("models/{dataset}/{model}/model.safetensors"),
        lan=R("models/{dataset}/{model}/lan.safetensors"),
        train=R("data/{dataset}/train.safetensors"),
        test=R("data/{dataset}/test.safetensors"),
        adv=lambda wc: [
            R(f"attacks/{wc.dataset}/{wc.model}/{a}.safetensors")
            for a in config["lan_detection"]["attacks"]
            if a in dag.attacks_for(config, wc.dataset)
        ],
        code=code(
            "lan_interpretations", *methods("explainers", config["lan_detection"]["interpretations"]["explainers"])
        ),
    output:
        json=R("lan/{dataset}/{model}/interpretations.json"),
    log:
        R("logs/lan_interpretations/{dataset}/{model}.log"),
    conda:
        "../../envs/explain.yaml"
    threads: config["threads"]
    resources:
        mem_mb=job_resource("lan_interpretations", "mem_mb"),
        runtime=job_resource("lan_interpretations", "runtime"),
        gpu=job_resource("lan_interpretations", "gpu"),
    params:
        explainers=canonical(
            {e: config["explainers"][e] for e in config["lan_detection"]["interpretations"]["explainers"]}
        ),
        spec=canonical(config["lan_detection"]["interpretations"]),
        batch=batches,
        seed=config["seed"],
        device=config["device"],
        deterministic=config["deterministic"],
    script:
        "../scripts/stage.py"
