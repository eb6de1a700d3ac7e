rule prepare_dataset:
    output:
        train=R("data/{dataset}/train.safetensors"),
        test=R("data/{dataset}/test.safetensors"),
    input:
        code("stages/prepare.py", "data/prepare.py", "data/split.py", "data/images.py", "data/folders.py",
             "data/mnist.py", "data/cifar10.py", "data/imagenet.py"),
    params:
        spec=lambda wc: as_json(data_spec(wc.dataset)),
        seed=config["seed"],
    log:
        R("logs/prepare_dataset/{dataset}.log"),
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
        gpu=0,
    conda:
        "../../envs/torch.yaml"
    shell:
        "PYTHONPATH=$XAIADV_SRC${{PYTHONPATH:+:$PYTHONPATH}} $XAIADV_PYTHON -m xaiadv prepare --dataset {wildcards.dataset} --spec {params.spec:q} --seed {params.seed} "
        "--threads {threads} --out-dir $(dirname {output.train}) > {log} 2>&1"
