rule detect:
    input:
        explanations=R("explanations/{dataset}/{model}/{attack}/{explainer}.parquet"),
        code=code("detect"),
    output:
        json=R("detection/{dataset}/{model}/{attack}/{explainer}.json"),
    log:
        R("logs/detect/{dataset}/{model}/{attack}/{explainer}.log"),
    conda:
        "../../envs/tables.yaml"
    threads: 1
    resources:
        mem_mb=job_resource("detect", "mem_mb"),
        runtime=job_resource("detect", "runtime"),
        gpu=job_resource("detect", "gpu"),
    params:
        detectors=canonical(config["detectors"]),
        detection=canonical(config["detection"]),
        seed=config["seed"],
    script:
        "../scripts/stage.py"
