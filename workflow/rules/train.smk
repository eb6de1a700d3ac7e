rule train_classifier:
    input:
        train=R("data/{dataset}/train.safetensors"),
        test=R("data/{dataset}/test.safetensors"),
        code=code("train"),
        weights=lambda wc: weights_download(wc.model),
    output:
        model=R("models/{dataset}/{model}/model.safetensors"),
        metrics=R("models/{dataset}/{model}/metrics.json"),
    log:
        R("logs/train_classifier/{dataset}/{model}.log"),
    conda:
        "../../envs/torch.yaml"
    threads: config["threads"]
    resources:
        mem_mb=job_resource("train_classifier", "mem_mb"),
        runtime=job_resource("train_classifier", "runtime"),
        gpu=job_resource("train_classifier", "gpu"),
    params:
        spec=lambda wc: canonical(model_spec(wc.model)),
        seed=config["seed"],
        device=config["device"],
        deterministic=config["deterministic"],
    script:
        "../scripts/stage.py"


# Kao et al.'s denoising-autoencoder baseline: one denoiser per data set and `dae` rectifier.
rule train_denoiser:
    input:
        train=R("data/{dataset}/train.safetensors"),
        code=code("train_denoiser"),
    output:
        model=R("models/{dataset}/denoisers/{rectifier}.safetensors"),
    log:
        R("logs/train_denoiser/{dataset}/{rectifier}.log"),
    priority: 60
    conda:
        "../../envs/torch.yaml"
    threads: config["threads"]
    resources:
        mem_mb=job_resource("train_denoiser", "mem_mb"),
        runtime=job_resource("train_denoiser", "runtime"),
        gpu=job_resource("train_denoiser", "gpu"),
    params:
        spec=lambda wc: canonical(dag.rectifier_specs(config, wc.dataset)[wc.rectifier]),
        seed=config["seed"],
        device=config["device"],
        deterministic=config["deterministic"],
    script:
        "../scripts/stage.py"
