rule train_classifier:
    output:
        model=R("models/{dataset}/{model}/model.safetensors"),
        metrics=R("models/{dataset}/{model}/metrics.json"),
    input:
        train=R("data/{dataset}/train.safetensors"),
        test=R("data/{dataset}/test.safetensors"),
        code=code("stages/train.py", "train.py", "stats.py", "models/registry.py", "models/normalize.py",
                  "models/cnn.py", "models/imagenet.py"),
    params:
        spec=lambda wc: as_json(model_spec(wc)),
        seed=config["seed"],
        device=config["device"],
    log:
        R("logs/train_classifier/{dataset}/{model}.log"),
    threads: config["threads"]
    resources:
        mem_mb=RES["mem_mb"],
        runtime=RES["runtime"],
        gpu=RES["gpu"],
    conda:
        "../../envs/torch.yaml"
    shell:
        "PYTHONPATH=$XAIADV_SRC${{PYTHONPATH:+:$PYTHONPATH}} $XAIADV_PYTHON -m xaiadv train --dataset {wildcards.dataset} --model {wildcards.model} --spec {params.spec:q} "
        "--data-dir $(dirname {input.train}) --seed {params.seed} --threads {threads} --device {params.device} "
        "--out-model {output.model} --out-metrics {output.metrics} > {log} 2>&1"


# Kao et al.'s denoising-autoencoder baseline: one denoiser per data set and `dae` rectifier.
rule train_denoiser:
    output:
        R("models/{dataset}/denoisers/{rectifier}.safetensors"),
    input:
        train=R("data/{dataset}/train.safetensors"),
        code=code("stages/train_denoiser.py", "rectifiers/dae.py"),
    params:
        spec=lambda wc: as_json(xcfg.rectifier_specs(config, wc.dataset)[wc.rectifier]),
        seed=config["seed"],
        device=config["device"],
    log:
        R("logs/train_denoiser/{dataset}/{rectifier}.log"),
    threads: config["threads"]
    resources:
        mem_mb=RES["mem_mb"],
        runtime=RES["runtime"],
        gpu=RES["gpu"],
    conda:
        "../../envs/torch.yaml"
    shell:
        "PYTHONPATH=$XAIADV_SRC${{PYTHONPATH:+:$PYTHONPATH}} $XAIADV_PYTHON -m xaiadv train_denoiser --dataset {wildcards.dataset} "
        "--spec {params.spec:q} --train-split {input.train} --seed {params.seed} --threads {threads} "
        "--device {params.device} --out {output} > {log} 2>&1"
