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
        "PYTHONPATH=$XAIADV_SRC${{PYTHONPATH:+:$PYTHONPATH}} $XAIADV_PYTHON -m xaiadv tables --table {wildcards.table} --items {params.rows:q} --out-csv {output.csv} "
        "--out-md {output.md} > {log} 2>&1"


rule figure:
    output:
        report("results/figures/{figure}.png", category="Figures", caption="../report/figures.rst"),
    input:
        rows=lambda wc: [item[-1] for item in figure_items(wc.figure)],
        code=code("stages/figure.py", "figures/saito2020.py", "cache.py"),
    params:
        rows=lambda wc: as_json(figure_items(wc.figure)),
    log:
        "results/logs/figure/{figure}.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
        gpu=0,
    conda:
        "../../envs/tables.yaml"
    shell:
        "PYTHONPATH=$XAIADV_SRC${{PYTHONPATH:+:$PYTHONPATH}} $XAIADV_PYTHON -m xaiadv figure --figure {wildcards.figure} "
        "--items {params.rows:q} --out {output} > {log} 2>&1"
