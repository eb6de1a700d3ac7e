# Nguyen et al. (2018): a Latent Attention Network g per classifier f1, a mask classifier f2 on g's masks,
# the detector (f1 != f2(g(x))) on attacks crafted on f1 or on a transfer source, and an adaptive attack.

rule train_lan:
    output:
        model=R("models/{dataset}/{model}/lan.safetensors"),
        metrics=R("models/{dataset}/{model}/lan.json"),
    input:
        model=R("models/{dataset}/{model}/model.safetensors"),
        train=R("data/{dataset}/train.safetensors"),
        code=code("stages/train_lan.py", "explainers/lan.py"),
    params:
        spec=lambda wc: as_json(xcfg.lan_spec(config, "lan", wc.dataset)),
        seed=config["seed"],
        device=config["device"],
    log:
        R("logs/train_lan/{dataset}/{model}.log"),
    threads: config["threads"]
    resources:
        mem_mb=RES["mem_mb"],
        runtime=RES["runtime"],
        gpu=RES["gpu"],
    conda:
        "../../envs/torch.yaml"
    shell:
        "PYTHONPATH=$XAIADV_SRC${{PYTHONPATH:+:$PYTHONPATH}} $XAIADV_PYTHON -m xaiadv train_lan --dataset {wildcards.dataset} --model {wildcards.model} "
        "--spec {params.spec:q} --model-file {input.model} --train-split {input.train} --seed {params.seed} --threads {threads} "
        "--device {params.device} --out {output.model} --out-metrics {output.metrics} > {log} 2>&1"


rule train_mask_classifier:
    output:
        model=R("models/{dataset}/{model}/lan_f2.safetensors"),
        metrics=R("models/{dataset}/{model}/lan_f2.json"),
    input:
        model=R("models/{dataset}/{model}/model.safetensors"),
        lan=R("models/{dataset}/{model}/lan.safetensors"),
        train=R("data/{dataset}/train.safetensors"),
        test=R("data/{dataset}/test.safetensors"),
        code=code("stages/train_mask_classifier.py", "stages/_lan.py", "detectors/lan.py", "explainers/lan.py", "train.py", "models/cnn.py"),
    params:
        spec=lambda wc: as_json(xcfg.lan_spec(config, "mask_classifier", wc.dataset)),
        seed=config["seed"],
        device=config["device"],
    log:
        R("logs/train_mask_classifier/{dataset}/{model}.log"),
    threads: config["threads"]
    resources:
        mem_mb=RES["mem_mb"],
        runtime=RES["runtime"],
        gpu=RES["gpu"],
    conda:
        "../../envs/torch.yaml"
    shell:
        "PYTHONPATH=$XAIADV_SRC${{PYTHONPATH:+:$PYTHONPATH}} $XAIADV_PYTHON -m xaiadv train_mask_classifier --dataset {wildcards.dataset} "
        "--model {wildcards.model} --spec {params.spec:q} --model-file {input.model} --lan-file {input.lan} "
        "--train-split {input.train} --test-split {input.test} --seed {params.seed} --threads {threads} "
        "--device {params.device} --out {output.model} --out-metrics {output.metrics} > {log} 2>&1"


# One job per (f1, source, attack): source = f1 (Tables 1, 2, 4) or its transfer source (Table 3).
rule lan_detect:
    output:
        json=R("lan/{dataset}/{model}/{source}/{attack}.json"),
        examples=R("lan/{dataset}/{model}/{source}/{attack}.safetensors"),
    input:
        model=R("models/{dataset}/{model}/model.safetensors"),
        lan=R("models/{dataset}/{model}/lan.safetensors"),
        f2=R("models/{dataset}/{model}/lan_f2.safetensors"),
        test=R("data/{dataset}/test.safetensors"),
        adv=R("attacks/{dataset}/{source}/{attack}.safetensors"),
        code=code("stages/lan_detect.py", "stages/_lan.py", "stages/_attacked.py", "detectors/lan.py", "detectors/evaluate.py",
                  "explainers/lan.py", "stats.py"),
    params:
        n_detect=config["lan_detection"]["n_detect"] or 0,
        fpr=config["lan_detection"]["fpr"],
        seed=config["seed"],
        device=config["device"],
    log:
        R("logs/lan_detect/{dataset}/{model}/{source}/{attack}.log"),
    threads: 1
    resources:
        mem_mb=RES["mem_mb"],
        runtime=RES["runtime"],
        gpu=0,
    conda:
        "../../envs/torch.yaml"
    shell:
        "PYTHONPATH=$XAIADV_SRC${{PYTHONPATH:+:$PYTHONPATH}} $XAIADV_PYTHON -m xaiadv lan_detect --dataset {wildcards.dataset} "
        "--model {wildcards.model} --source {wildcards.source} --attack {wildcards.attack} --model-file {input.model} "
        "--lan-file {input.lan} --f2-file {input.f2} --test-split {input.test} --attack-file {input.adv} "
        "--n-detect {params.n_detect} --fpr {params.fpr} --seed {params.seed} --threads {threads} --device cpu "
        "--out {output.json} --out-examples {output.examples} > {log} 2>&1"


rule lan_adaptive:
    output:
        R("lan/{dataset}/{model}/adaptive.json"),
    input:
        model=R("models/{dataset}/{model}/model.safetensors"),
        lan=R("models/{dataset}/{model}/lan.safetensors"),
        f2=R("models/{dataset}/{model}/lan_f2.safetensors"),
        test=R("data/{dataset}/test.safetensors"),
        code=code("stages/lan_adaptive.py", "stages/_lan.py", "attacks/lan_adaptive.py", "attacks/base.py", "detectors/lan.py",
                  "explainers/lan.py", "stats.py"),
    params:
        spec=lambda wc: as_json(xcfg.lan_spec(config, "adaptive", wc.dataset)),
        seed=config["seed"],
        device=config["device"],
    log:
        R("logs/lan_adaptive/{dataset}/{model}.log"),
    threads: config["threads"]
    resources:
        mem_mb=RES["mem_mb"],
        runtime=RES["runtime"],
        gpu=RES["gpu"],
    conda:
        "../../envs/torch.yaml"
    shell:
        "PYTHONPATH=$XAIADV_SRC${{PYTHONPATH:+:$PYTHONPATH}} $XAIADV_PYTHON -m xaiadv lan_adaptive --dataset {wildcards.dataset} "
        "--model {wildcards.model} --spec {params.spec:q} --model-file {input.model} --lan-file {input.lan} "
        "--f2-file {input.f2} --test-split {input.test} --seed {params.seed} --threads {threads} "
        "--device {params.device} --out {output} > {log} 2>&1"


# Beyond the paper: the same detector with f2 trained on other explainers' maps (which interpretation rises best).
rule lan_interpretations:
    output:
        R("lan/{dataset}/{model}/interpretations.json"),
    input:
        model=R("models/{dataset}/{model}/model.safetensors"),
        lan=R("models/{dataset}/{model}/lan.safetensors"),
        train=R("data/{dataset}/train.safetensors"),
        test=R("data/{dataset}/test.safetensors"),
        adv=lambda wc: [R(f"attacks/{wc.dataset}/{wc.model}/{a}.safetensors") for a in config["lan_detection"]["attacks"]
                        if a in xcfg.attacks_for(config, wc.dataset)],
        code=lambda wc: code("stages/lan_interpretations.py", "stages/_lan.py", "stages/_attacked.py", "detectors/lan.py", "explainers/base.py",
                             "explainers/lan.py", "train.py", *sorted({f"explainers/{config['explainers'][e]['method']}.py"
                                                                       for e in config["lan_detection"]["interpretations"]["explainers"]})),
    params:
        explainers=as_json({e: config["explainers"][e] for e in config["lan_detection"]["interpretations"]["explainers"]}),
        spec=as_json(config["lan_detection"]["interpretations"]),
        batch_size=config["batch_size"],
        seed=config["seed"],
        device=config["device"],
    log:
        R("logs/lan_interpretations/{dataset}/{model}.log"),
    threads: config["threads"]
    resources:
        mem_mb=RES["mem_mb"],
        runtime=RES["runtime"],
        gpu=RES["gpu"],
    conda:
        "../../envs/explain.yaml"
    shell:
        "PYTHONPATH=$XAIADV_SRC${{PYTHONPATH:+:$PYTHONPATH}} $XAIADV_PYTHON -m xaiadv lan_interpretations --dataset {wildcards.dataset} "
        "--model {wildcards.model} --explainers {params.explainers:q} --spec {params.spec:q} --model-file {input.model} "
        "--lan-file {input.lan} --train-split {input.train} --test-split {input.test} --attack-files {input.adv} "
        "--batch-size {params.batch_size} --seed {params.seed} --threads {threads} --device {params.device} "
        "--out {output} > {log} 2>&1"
