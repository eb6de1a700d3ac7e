rule attack:
    output:
        tensors=R("attacks/{dataset}/{model}/{attack}.safetensors"),
        summary=R("attacks/{dataset}/{model}/{attack}.json"),
    input:
        model=R("models/{dataset}/{model}/model.safetensors"),
        test=R("data/{dataset}/test.safetensors"),
        code=lambda wc: code("stages/attack.py", "attacks/base.py", f"attacks/{config['attacks'][wc.attack]['method']}.py"),
    params:
        spec=lambda wc: as_json(xcfg.attack_spec(config, wc.attack, wc.dataset)),
        n_eval=lambda wc: xcfg.attack_n_eval(config, wc.attack, wc.dataset, wc.model),
        batch_size=config["batch_size"],
        seed=config["seed"],
        device=config["device"],
    log:
        R("logs/attack/{dataset}/{model}/{attack}.log"),
    threads: config["threads"]
    resources:
        mem_mb=RES["mem_mb"],
        runtime=RES["runtime"],
        gpu=RES["gpu"],
    conda:
        "../../envs/torch.yaml"
    shell:
        "PYTHONPATH=$XAIADV_SRC${{PYTHONPATH:+:$PYTHONPATH}} $XAIADV_PYTHON -m xaiadv attack --dataset {wildcards.dataset} --model {wildcards.model} --attack {wildcards.attack} "
        "--spec {params.spec:q} --model-file {input.model} --test-split {input.test} --n-eval {params.n_eval} "
        "--batch-size {params.batch_size} --seed {params.seed} --threads {threads} --device {params.device} "
        "--out-tensors {output.tensors} --out-summary {output.summary} > {log} 2>&1"
