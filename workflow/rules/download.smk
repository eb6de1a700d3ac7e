# What the config needs from the internet, fetched on the machine that runs Snakemake (a login node under SLURM:
# local rules), before the jobs that read it; compute jobs never download. `snakemake download` fetches it alone.


localrules:
    download,
    download_weights,
    download_data,


rule download:
    input:
        download_targets(),


rule download_weights:
    input:
        code=code("download"),
    output:
        json=R("downloads/weights/{arch}.json"),
    log:
        R("logs/download_weights/{arch}.log"),
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=job_resource("download_weights", "mem_mb"),
        runtime=job_resource("download_weights", "runtime"),
        gpu=job_resource("download_weights", "gpu"),
    script:
        "../scripts/stage.py"


rule download_data:
    input:
        code=code("download"),
    output:
        json=R("downloads/data/{dataset}.json"),
    log:
        R("logs/download_data/{dataset}.log"),
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=job_resource("download_data", "mem_mb"),
        runtime=job_resource("download_data", "runtime"),
        gpu=job_resource("download_data", "gpu"),
    params:
        root=lambda wc: torchvision_root(config["datasets"][wc.dataset]),
    script:
        "../scripts/stage.py"
