def table_items(table):
    """(keys..., path) per table row, in config order."""
    if table == "kao2021_table1":
        return [[d, m, f"results/models/{d}/{m}/metrics.json"] for d, m in xcfg.model_pairs(config)]
    if table == "saito2020_table1":
        return [[d, m, a, f"results/attacks/{d}/{m}/{a}.json"] for d, m, a in all_attack_jobs()]
    raise ValueError(f"unknown table {table!r}")


rule tables:
    output:
        csv=report("results/tables/{table}.csv", category="Tables", caption="../report/tables.rst"),
        md="results/tables/{table}.md",
    input:
        rows=lambda wc: [item[-1] for item in table_items(wc.table)],
        code=code("stages/tables.py", "tables/render.py", "tables/kao2021.py", "tables/saito2020.py",
                  "papers/__init__.py", "papers/kao2021.csv", "papers/saito2020.csv", "stats.py"),
    params:
        rows=lambda wc: as_json(table_items(wc.table)),
    log:
        "results/logs/tables/{table}.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
        gpu=0,
    conda:
        "../../envs/tables.yaml"
    shell:
        "{PY} tables --table {wildcards.table} --items {params.rows:q} --out-csv {output.csv} "
        "--out-md {output.md} > {log} 2>&1"
