rule detect:
    output:
        R("detection/{dataset}/{model}/{attack}/{explainer}.json"),
    input:
        explanations=R("explanations/{dataset}/{model}/{attack}/{explainer}.parquet"),
        code=code("stages/detect.py", "cache.py", "detectors/__init__.py", "detectors/features.py",
                  "detectors/models.py", "detectors/evaluate.py"),
    params:
        detectors=as_json(config["detectors"]),
        detection=as_json(config["detection"]),
        seed=config["seed"],
    log:
        R("logs/detect/{dataset}/{model}/{attack}/{explainer}.log"),
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
        gpu=0,
    conda:
        "../../envs/tables.yaml"
    shell:
        "PYTHONPATH=$XAIADV_SRC${{PYTHONPATH:+:$PYTHONPATH}} $XAIADV_PYTHON -m xaiadv detect "
        "--explanations {input.explanations} --detectors {params.detectors:q} --detection {params.detection:q} "
        "--seed {params.seed} --out {output} > {log} 2>&1"
