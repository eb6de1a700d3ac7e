# Issue 19: every defense under one threat model and an adaptive attacker. One job per (dataset, model, defense)
# (adding a defense reruns only its job), then one table job: CSV, Markdown, RobustBench-style JSON rows, figure.


rule leaderboard:
    input:
        unpack(leaderboard_inputs),
        model=R("models/{dataset}/{model}/model.safetensors"),
        test=R("data/{dataset}/test.safetensors"),
        transfer=R("leaderboard_transfer/{dataset}/{model}.safetensors"),
        code=code("leaderboard", *leaderboard_modules()),
    output:
        json=R("leaderboard/{dataset}/{model}/{defense}.json"),
        examples=R("leaderboard/{dataset}/{model}/{defense}.safetensors"),
    log:
        R("logs/leaderboard/{dataset}/{model}/{defense}.log"),
    conda:
        "../../envs/leaderboard.yaml"
    threads: config["threads"]
    resources:
        mem_mb=job_resource("leaderboard", "mem_mb"),
        runtime=job_resource("leaderboard", "runtime"),
        gpu=job_resource("leaderboard", "gpu"),
    params:
        spec=lambda wc: canonical(lbconf.defense_spec(config, wc.dataset, wc.defense)),
        threat=lambda wc: canonical(lbconf.threat(config, wc.dataset)),
        leaderboard=lambda wc: canonical(leaderboard_params(wc.dataset)),
        batch=batches,
        seed=config["seed"],
        device=config["device"],
        deterministic=config["deterministic"],
    script:
        "../scripts/stage.py"


# The papers' attack (PGD on the undefended model), transferred to every defense: computed once per (dataset, model)
# for every row (the rows' images, the eps curve's subset, a detector's fit images).
rule leaderboard_transfer:
    input:
        model=R("models/{dataset}/{model}/model.safetensors"),
        test=R("data/{dataset}/test.safetensors"),
        code=code("leaderboard_transfer", "attacks.pgd"),
    output:
        tensors=R("leaderboard_transfer/{dataset}/{model}.safetensors"),
    log:
        R("logs/leaderboard_transfer/{dataset}/{model}.log"),
    priority: 40
    conda:
        "../../envs/leaderboard.yaml"
    threads: config["threads"]
    resources:
        mem_mb=job_resource("leaderboard", "mem_mb"),
        runtime=job_resource("leaderboard", "runtime"),
        gpu=job_resource("leaderboard", "gpu"),
    params:
        threat=lambda wc: canonical(lbconf.threat(config, wc.dataset)),
        leaderboard=lambda wc: canonical({k: v for k, v in leaderboard_params(wc.dataset).items() if k != "n_calib"}),
        fit=lambda wc: lbconf.fits_detector(config, wc.dataset, wc.model),
        batch=batches,
        seed=config["seed"],
        device=config["device"],
        deterministic=config["deterministic"],
    script:
        "../scripts/stage.py"


rule leaderboard_table:
    input:
        rows=[R(f"leaderboard/{d}/{m}/{n}.json") for d, m, n in lbconf.jobs(config)],
        code=code("leaderboard_table"),
    output:
        csv=report(R("tables/leaderboard.csv"), category="0. Leaderboard", caption="../report/leaderboard.rst"),
        md=R("tables/leaderboard.md"),
        json=R("tables/leaderboard.json"),
        png=report(R("figures/leaderboard.png"), category="0. Leaderboard", caption="../report/leaderboard.rst"),
    log:
        R("logs/leaderboard_table/leaderboard.log"),
    conda:
        "../../envs/tables.yaml"
    threads: 1
    resources:
        mem_mb=job_resource("leaderboard_table", "mem_mb"),
        runtime=job_resource("leaderboard_table", "runtime"),
        gpu=job_resource("leaderboard_table", "gpu"),
    params:
        rows=[[d, m, n, R(f"leaderboard/{d}/{m}/{n}.json")] for d, m, n in lbconf.jobs(config)],
    script:
        "../scripts/stage.py"


# The leaderboard's adversarially trained reference: the ranked model's architecture, trained on adversarial batches.
# Classifier training: it asks for train_classifier's resources (resources.rules.train_classifier governs both).
rule train_robust:
    input:
        train=R("data/{dataset}/train.safetensors"),
        test=R("data/{dataset}/test.safetensors"),
        code=code("train_robust", "attacks.pgd"),
    output:
        model=R("models/{dataset}/{model}/robust/{defense}.safetensors"),
        metrics=R("models/{dataset}/{model}/robust/{defense}.json"),
    log:
        R("logs/train_robust/{dataset}/{model}/{defense}.log"),
    priority: 60
    conda:
        "../../envs/torch.yaml"
    threads: config["threads"]
    resources:
        mem_mb=job_resource("train_classifier", "mem_mb"),
        runtime=job_resource("train_classifier", "runtime"),
        gpu=job_resource("train_classifier", "gpu"),
    params:
        train=lambda wc: canonical(lbconf.defense_spec(config, wc.dataset, wc.defense)["train"]),
        arch=lambda wc: config["models"][wc.model]["arch"],
        n_eval=lambda wc: config["leaderboard"]["n"],
        seed=config["seed"],
        device=config["device"],
        deterministic=config["deterministic"],
    script:
        "../scripts/stage.py"
