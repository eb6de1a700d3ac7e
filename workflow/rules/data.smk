rule prepare_dataset:
    input:
        code=code("prepare", "data.prepare"),
        downloaded=lambda wc: data_download(wc.dataset),
    output:
        train=R("data/{dataset}/train.safetensors"),
        test=R("data/{dataset}/test.safetensors"),
    log:
        R("logs/prepare_dataset/{dataset}.log"),
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=job_resource("prepare_dataset", "mem_mb"),
        runtime=job_resource("prepare_dataset", "runtime"),
        gpu=job_resource("prepare_dataset", "gpu"),
    params:
        spec=lambda wc: canonical(data_spec(wc.dataset)),
        seed=config["seed"],
    script:
        "../scripts/stage.py"
